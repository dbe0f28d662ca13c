"""The overview's requests chart: response time per step of time (median and p95, in ms)
with each step's server errors as bars on a second axis.

Pure: analytics.api_requests.over_time's frame in, a Plotly figure dict out (colours applied in
the browser by static/js/charts.js; the error bars take the danger colour by their role).
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from components.charts import Figure, base_layout, time_axis, time_labels


def requests_figure(steps: pl.DataFrame) -> Figure:
    x = time_labels(steps)
    errors = steps["errors"].to_list()
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": name,
            "x": x,
            "y": [None if v is None else round(v, 1) for v in steps[column].to_list()],
            "line": {"width": 2, **({"dash": "dot"} if column == "p50_ms" else {})},
            "hovertemplate": f"%{{y:,.0f}} ms<extra>{name}</extra>",
        }
        for column, name in (("p95_ms", "p95"), ("p50_ms", "Median"))
    ]
    traces.append(
        {
            "type": "bar",
            "name": "Server errors",
            "x": x,
            "y": errors,
            "yaxis": "y2",
            "opacity": 0.55,
            "meta": {"role": "error"},
            "hovertemplate": "%{y:,d} 5xx<extra>Server errors</extra>",
        }
    )
    layout = base_layout(True)
    layout["xaxis"] = time_axis("minute")
    layout["yaxis"] = {
        "rangemode": "tozero",
        "ticksuffix": " ms",
        "tickformat": ",~s",
        "automargin": True,
        "fixedrange": True,
        "zeroline": False,
    }
    # Errors are rare: their bars keep to the lower third of the chart, under the lines, and
    # tick at whole numbers.
    span = max(max(errors, default=0), 1) * 3
    layout["yaxis2"] = {
        "overlaying": "y",
        "side": "right",
        "range": [0, span],
        "dtick": max(1, math.ceil(span / 4)),
        "showgrid": False,
        "tickformat": ",d",
        "automargin": True,
        "fixedrange": True,
        "zeroline": False,
    }
    layout["bargap"] = 0.3
    return {"data": traces, "layout": layout}


def requests_summary(steps: pl.DataFrame) -> str:
    """The chart in one sentence, for screen readers."""
    requests = int(steps["requests"].sum())
    if requests == 0:
        return "No requests in this window."
    errors = int(steps["errors"].sum())
    p95 = steps["p95_ms"].drop_nulls()
    latest = f"; the latest p95 was {p95[-1]:,.0f} ms" if len(p95) else ""
    return f"{requests:,} requests, {errors:,} of them server errors{latest}."
