"""The evidence chart of an insight: its metric over time, the expected band, flagged points.

Pure: the insight's `data.series` ([{t, value, expected?, lower?, upper?, anomaly?}]) in, a
Plotly figure dict out (structure only; static/js/charts.js applies the theme's colours by
trace order: band edges, band, value, flagged points).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

Figure = dict[str, Any]
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # naive UTC: Plotly has no time zones
MARKED_POINTS = 31  # markers only while they can be told apart
# A shorter series (one slow minute, say) is drawn in this much time ending a minute after its
# last point: alone, Plotly spreads a single point over a second or two of axis, and minute
# labels repeat ("05:08 05:08 05:09").
MIN_SPAN = timedelta(minutes=10)


def _times(points: list[dict[str, Any]]) -> list[datetime]:
    return [datetime.fromisoformat(str(p["t"])) for p in points]


def _x(times: list[datetime]) -> list[str]:
    return [t.strftime(_TIME_FORMAT) for t in times]


def _x_range(times: list[datetime]) -> list[str] | None:
    if not times:
        return None
    first, last = min(times), max(times)
    if last - first >= MIN_SPAN:
        return None
    end = last + timedelta(minutes=1)
    return [(end - MIN_SPAN).strftime(_TIME_FORMAT), end.strftime(_TIME_FORMAT)]


def _is_flagged(point: dict[str, Any], data: dict[str, Any]) -> bool:
    if "anomaly" in point:
        return bool(point["anomaly"])
    return point.get("t") == data.get("at")


def reference_line(data: dict[str, Any]) -> tuple[str, float] | None:
    """The level the value was judged against, to draw beside it: for a regression its own
    baseline (a p95 of 600 ms regressed from 170 ms is under the 1,000 ms target, and a target
    line alone would make the evidence look like no problem at all), else the target."""
    baseline = data.get("baseline")
    if str(data.get("detector", "")).endswith("_regression") and isinstance(baseline, int | float):
        return "Baseline", float(baseline)
    target = data.get("threshold_ms", data.get("threshold"))
    return ("Target", float(target)) if isinstance(target, int | float) else None


def evidence_figure(series: list[dict[str, Any]], data: dict[str, Any]) -> Figure:
    points = [p for p in series if p.get("t") is not None]
    times = _times(points)
    x = _x(times)
    x_range = _x_range(times)
    traces: list[dict[str, Any]] = []
    has_band = any(p.get("lower") is not None and p.get("upper") is not None for p in points)
    if has_band:
        common = {"type": "scatter", "mode": "lines", "x": x, "line": {"width": 0}, "hoverinfo": "skip"}
        traces.append({**common, "name": "Expected low", "y": [p.get("lower") for p in points], "showlegend": False})
        traces.append({**common, "name": "Expected range", "y": [p.get("upper") for p in points], "fill": "tonexty"})
    metric = str(data.get("metric") or "value").replace("_", " ")
    traces.append(
        {
            "type": "scatter",
            "mode": "lines+markers" if len(points) <= MARKED_POINTS else "lines",
            "name": metric.capitalize(),
            "x": x,
            "y": [p.get("value") for p in points],
            "line": {"width": 2},
            "marker": {"size": 5},
            "hovertemplate": "%{y:,.4~g}<extra>" + metric + "</extra>",
        }
    )
    reference = reference_line(data)
    if reference is not None and x:
        name, level = reference
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": name,
                "x": x_range or [x[0], x[-1]],
                "y": [level, level],
                "line": {"width": 1, "dash": "dash"},
                "hoverinfo": "skip",
            }
        )
    flagged = [(t, p) for t, p in zip(times, points, strict=True) if _is_flagged(p, data)]
    if flagged:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Flagged",
                "x": _x([t for t, _ in flagged]),
                "y": [p.get("value") for _, p in flagged],
                "marker": {"size": 10, "symbol": "circle-open", "line": {"width": 2}},
                "hovertemplate": "%{y:,.4~g}<extra>flagged</extra>",
            }
        )
    layout = {
        "autosize": True,
        "margin": {"l": 48, "r": 12, "t": 8, "b": 32, "pad": 4},
        "showlegend": True,
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": 12}},
        "hovermode": "x unified",
        "font": {"size": 12},
        "xaxis": {
            "type": "date",
            "showgrid": False,
            "tickformat": "%H:%M",
            "automargin": True,
            "fixedrange": True,
            **({"range": x_range} if x_range else {}),
        },
        "yaxis": {"rangemode": "tozero", "automargin": True, "fixedrange": True, "zeroline": False},
    }
    return {"data": traces, "layout": layout}


def evidence_summary(series: list[dict[str, Any]], data: dict[str, Any]) -> str:
    """The chart in one sentence, for screen readers."""
    if not series:
        return "No time series was recorded for this insight."
    metric = str(data.get("metric") or "value").replace("_", " ")
    last = series[-1]
    text = f"{metric.capitalize()} over the last {len(series)} minutes; latest {last.get('value')}"
    if last.get("expected") is not None:
        text += f" against an expected {last['expected']}"
    reference = reference_line(data)
    if reference is not None:
        text += f"; {reference[0].lower()} {reference[1]:g}"
    return text + "."
