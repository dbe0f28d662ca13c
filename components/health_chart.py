"""The Health tab's chart: a connection's check latency over time, failed checks marked.

Pure: check rows in, a Plotly figure dict out (colours are applied in the browser by
static/js/charts.js, like every other chart)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from components.charts import Figure

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # naive UTC: Plotly has no time zones


def latency_figure(checks: Iterable[Mapping[str, Any]]) -> Figure:
    """`checks`: rows with `checked_at` (UTC datetime), `ok`, `latency_ms`, `error`, oldest first.

    Successful checks draw the latency line; failed ones are crosses on the time axis (at
    the latency they took to fail, or 0), so an outage is visible even when it was instant."""
    rows = list(checks)
    answered = [r for r in rows if r["ok"]]
    failed = [r for r in rows if not r["ok"]]
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers" if len(answered) <= 60 else "lines",
            "name": "Latency",
            "x": [r["checked_at"].strftime(_TIME_FORMAT) for r in answered],
            "y": [r["latency_ms"] or 0 for r in answered],
            "line": {"width": 2},
            "marker": {"size": 5},
            "hovertemplate": "%{y:,d} ms<extra>%{x|%b %d %H:%M UTC}</extra>",
        }
    ]
    if failed:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Failed check",
                "x": [r["checked_at"].strftime(_TIME_FORMAT) for r in failed],
                "y": [r["latency_ms"] or 0 for r in failed],
                "text": [r.get("error") or "Failed" for r in failed],
                "marker": {"symbol": "x", "size": 10},
                "hovertemplate": "%{text}<extra>Failed %{x|%b %d %H:%M UTC}</extra>",
            }
        )
    layout: dict[str, Any] = {
        "autosize": True,
        "margin": {"l": 48, "r": 12, "t": 8, "b": 32, "pad": 4},
        "showlegend": bool(failed),
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": 12}},
        "hovermode": "closest",
        "font": {"size": 12},
        "xaxis": {"type": "date", "showgrid": False, "automargin": True, "fixedrange": True},
        "yaxis": {
            "rangemode": "tozero",
            "ticksuffix": " ms",
            "automargin": True,
            "fixedrange": True,
            "zeroline": False,
        },
    }
    return {"data": traces, "layout": layout}


def uptime_percent(checks: Iterable[Mapping[str, Any]]) -> float | None:
    """Share of successful checks, in percent with one decimal; None with no checks."""
    flags = [bool(r["ok"]) for r in checks]
    return round(100 * sum(flags) / len(flags), 1) if flags else None
