"""The funnel panel: a Plotly funnel of people per step, with each step's conversion.

Input is analytics.funnels.conversion()'s frame (step, event, users, conversion,
step_conversion, dropped). Pure functions; colours come from the page (static/js/charts.js).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from components.charts import Figure, _escape, base_layout, format_value


def step_label(step: int, event: str) -> str:
    return f"{step}. {event}"


def figure(frame: pl.DataFrame) -> Figure:
    """Horizontal funnel, first step on top: bar length is people; the text on each bar
    says how many, the % of the first step and, on a second line (narrow enough to sit
    beside a bar too short to hold it), the % of the step before."""
    rows = list(frame.iter_rows(named=True))
    labels = [_escape(step_label(row["step"], row["event"])) for row in rows]
    text = [
        f"{format_value(row['users'], True)} · {_percent(row['conversion'])}"
        + ("" if row["step"] == 1 else f"<br>{_percent(row['step_conversion'])} of previous")
        for row in rows
    ]
    trace: dict[str, Any] = {
        "type": "funnel",
        "y": labels,
        "x": [row["users"] for row in rows],
        "text": text,
        "textinfo": "text",
        "textposition": "auto",  # outside a bar too narrow for it, rather than shrunk to unreadable
        "hovertemplate": "%{y}<br>%{x:,d} people<extra></extra>",
        "connector": {"line": {"width": 0}},
    }
    layout = base_layout(False)
    layout["margin"] = {"l": 8, "r": 8, "t": 8, "b": 8, "pad": 4}
    layout["yaxis"] = {"automargin": True, "fixedrange": True}
    layout["xaxis"] = {"fixedrange": True}
    layout["funnelmode"] = "stack"
    return {"data": [trace], "layout": layout}


def _percent(value: float) -> str:
    return format_value(value, False) + "%"


def summary(frame: pl.DataFrame, window_label: str) -> str:
    """The funnel in words, for screen readers and the panel's caption."""
    if frame.height == 0 or frame["users"][0] == 0:
        return "Funnel: nobody did the first step in this range."
    parts = [
        f"{row['event']}: {format_value(row['users'], True)} people ({_percent(row['conversion'])})"
        for row in frame.iter_rows(named=True)
    ]
    overall = _percent(float(frame["conversion"][-1]))
    return f"Funnel within {window_label}: " + "; ".join(parts) + f". Overall conversion {overall}."


def view(frame: pl.DataFrame, window_label: str) -> dict[str, Any]:
    """What the panel shows under the figure: the overall conversion and the window."""
    overall = float(frame["conversion"][-1]) if frame.height else 0.0
    return {
        "overall": _percent(overall),
        "window": window_label,
        "entered": format_value(int(frame["users"][0]) if frame.height else 0, True),
        "completed": format_value(int(frame["users"][-1]) if frame.height else 0, True),
    }
