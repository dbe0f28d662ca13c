"""A Report as Plotly figures, CSV and a self-contained HTML document. Pure functions."""

from __future__ import annotations

import csv
import io
import json
from functools import cache
from typing import Any

import polars as pl

from app.domain.reports.schemas import Report

Figure = dict[str, Any]
# Day over month on two short lines: a week's labels fit the narrow card without turning.
_DAY_TICKS = "%d<br>%b"
_LAYOUT: dict[str, Any] = {
    "autosize": True,
    "margin": {"l": 48, "r": 12, "t": 8, "b": 32, "pad": 4},
    "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
    "hovermode": "x unified",
    "font": {"size": 12},
}


def events_figure(series: pl.DataFrame, report: Report) -> Figure:
    """Events per hour in the period, the unusual hours marked, and the next day's forecast with its band."""
    x = [t.isoformat() for t in series["t"].to_list()]
    traces: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines", "name": "Events per hour", "x": x, "y": series["value"].to_list()}
    ]
    if report.anomalies:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Anomaly",
                "x": [a.t.isoformat() for a in report.anomalies],
                "y": [a.value for a in report.anomalies],
                "marker": {"size": 10, "symbol": "circle-open", "line": {"width": 2}, "color": "#dc2626"},
            }
        )
    if report.forecast:
        fx = [p.t.isoformat() for p in report.forecast]
        band = {"type": "scatter", "mode": "lines", "x": fx, "line": {"width": 0}, "hoverinfo": "skip"}
        traces += [
            {**band, "name": "Forecast low", "y": [p.lower for p in report.forecast], "showlegend": False},
            {
                **band,
                "name": "Forecast range",
                "y": [p.upper for p in report.forecast],
                "fill": "tonexty",
                "fillcolor": "rgba(99, 102, 241, 0.15)",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Forecast",
                "x": fx,
                "y": [p.forecast for p in report.forecast],
                "line": {"dash": "dash"},
            },
        ]
    xaxis = {
        "type": "date",
        "showgrid": False,
        "tickformat": _DAY_TICKS,
        "hoverformat": "%a %d %b %H:00",
        "automargin": True,
    }
    layout = {**_LAYOUT, "xaxis": xaxis, "yaxis": {"rangemode": "tozero", "tickformat": "~s", "automargin": True}}
    return {"data": traces, "layout": layout}


def daily_figure(report: Report) -> Figure:
    dates = [p.date for p in report.daily]
    return {
        "data": [
            {"type": "bar", "name": "Events", "x": dates, "y": [p.events for p in report.daily]},
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "Users",
                "x": dates,
                "y": [p.users for p in report.daily],
                "yaxis": "y2",
            },
        ],
        "layout": {
            **_LAYOUT,
            "xaxis": {"type": "date", "tickformat": _DAY_TICKS, "hoverformat": "%a %d %b", "automargin": True},
            # automargin: room for each axis's tick labels and title, which otherwise overlap.
            "yaxis": {"title": {"text": "Events"}, "rangemode": "tozero", "tickformat": "~s", "automargin": True},
            "yaxis2": {
                "title": {"text": "Users"},
                "overlaying": "y",
                "side": "right",
                "showgrid": False,  # the events axis draws the grid; two would not line up
                "rangemode": "tozero",
                "tickformat": "~s",
                "automargin": True,
            },
        },
    }


def top_events_figure(report: Report) -> Figure:
    ranked = list(reversed(report.top_events))  # Plotly draws the first bar at the bottom
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": "Events",
                "x": [e.events for e in ranked],
                "y": [e.event for e in ranked],
            }
        ],
        "layout": {**_LAYOUT, "hovermode": "closest", "yaxis": {"automargin": True}, "showlegend": False},
    }


def figures(series: pl.DataFrame, report: Report) -> dict[str, Figure]:
    return {"events": events_figure(series, report), "daily": daily_figure(report), "top": top_events_figure(report)}


def script_json(figure: Figure) -> str:
    """JSON safe inside a <script>: event names are user data, so no `<` reaches the HTML parser."""
    return json.dumps(figure, default=str).replace("<", "\\u003c")


@cache
def plotly_js() -> str:
    """The Plotly bundle shipped with the plotly package, inlined so the file works offline."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def to_csv(report: Report) -> str:
    """One tidy table (section, date, name, metric, value): KPIs, the daily series, top events."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "date", "name", "metric", "value"])
    period = f"{report.date_from.isoformat()}/{report.date_to.isoformat()}"
    for metric, value in _kpi_items(report):
        writer.writerow(["kpi", period, report.app_name, metric, "" if value is None else value])
    for point in report.daily:
        writer.writerow(["daily", point.date, "", "events", point.events])
        writer.writerow(["daily", point.date, "", "users", point.users])
    for top in report.top_events:
        writer.writerow(["top_event", period, top.event, "events", top.events])
        writer.writerow(["top_event", period, top.event, "users", top.users])
    return out.getvalue()


def _kpi_items(report: Report) -> list[tuple[str, Any]]:
    return [(name, getattr(report.kpis, name)) for name in report.kpis.__struct_fields__]
