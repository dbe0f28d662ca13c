"""Plotly figures from analytics frames: pure functions, JSON-serialisable dicts out.

Input frames are analytics.shaping's: series mode (`t`, `series`, `value`) for line, area
and bar; total mode (`series`, `value`) for number and table. The figures carry structure
only (trace types, axes, hover text); colours come from the page's CSS variables, applied
in the browser by static/js/charts.js so a theme switch restyles without a round trip.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from app.domain.analytics.schemas import Interval
from app.domain.analytics.timerange import STEP, floor

Figure = dict[str, Any]

SERIES_CHARTS = ("line", "area", "bar")
TOTAL_CHARTS = ("number", "table")
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # naive UTC: Plotly has no time zones
_TICK_FORMAT = {"minute": "%H:%M", "hour": "%H:%M\n%b %d", "day": "%b %d"}
_HOVER_TIME = {"minute": "%b %d %H:%M UTC", "hour": "%b %d %H:00 UTC", "day": "%a %b %d"}
# Markers only while they can be told apart.
_MAX_MARKED_POINTS = 31
MAX_NUMBERS = 4


def format_value(value: float | int, integral: bool) -> str:
    """Thousands separated; at most two decimals, trailing zeros dropped."""
    if integral:
        return f"{round(value):,}"
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _labels(frame: pl.DataFrame) -> list[str]:
    return list(dict.fromkeys(frame["series"].to_list())) if frame.height else []


def _value_format(integral: bool) -> str:
    return ",d" if integral else ",.2~f"


def base_layout(show_legend: bool) -> dict[str, Any]:
    return {
        "autosize": True,
        "margin": {"l": 48, "r": 12, "t": 8, "b": 32, "pad": 4},
        "showlegend": show_legend,
        # "normal": stacked traces keep the order of the series (Plotly reverses them otherwise).
        "legend": {
            "orientation": "h",
            "x": 0,
            "y": 1.02,
            "yanchor": "bottom",
            "traceorder": "normal",
            "font": {"size": 12},
        },
        "hovermode": "x unified" if show_legend else "closest",
        "font": {"size": 12},
        "separators": ".,",
    }


def series_figure(
    frame: pl.DataFrame, chart_type: str, interval: str, integral: bool, stack: bool | None = None
) -> Figure:
    """Line, area or bar: one trace per series over time. Areas and bars stack when the
    series add up (`stack`; by default when the values are whole numbers): counts and sums
    do, averages and percentiles do not."""
    labels = _labels(frame)
    stacked = integral if stack is None else stack
    traces = []
    for label in labels:
        rows = frame.filter(pl.col("series") == label).sort("t")
        x = time_labels(rows)
        y = rows["value"].to_list()
        hover = f"%{{y:{_value_format(integral)}}}<extra>{_escape(label)}</extra>"
        trace: dict[str, Any] = {"name": label, "x": x, "y": y, "hovertemplate": hover}
        if chart_type == "bar":
            trace.update(type="bar")
        else:
            marked = len(x) <= _MAX_MARKED_POINTS
            trace.update(type="scatter", mode="lines+markers" if marked else "lines", line={"width": 2})
            if marked:
                trace["marker"] = {"size": 5}
            if chart_type == "area":
                if stacked and len(labels) > 1:
                    trace["stackgroup"] = "one"
                else:
                    trace["fill"] = "tozeroy"
        traces.append(trace)
    layout = base_layout(len(labels) > 1)
    layout["xaxis"] = time_axis(interval)
    layout["yaxis"] = {
        "rangemode": "tozero",
        "tickformat": "~s" if integral else ",.3~s",
        "automargin": True,
        "fixedrange": True,
        "zeroline": False,
    }
    if chart_type == "bar":
        layout["barmode"] = "stack" if stacked else "group"
        layout["bargap"] = 0.25
    top = max((abs(v) for t in traces for v in t["y"] if v is not None), default=0)
    layout["yaxis"].update(y_ticks(top, integral))
    return {"data": traces, "layout": layout}


# Whole counts below this get a tick per whole number; Plotly would tick them at 0.2 steps
# ("200m" events). static/js/live.js applies the same rule as a live chart's counts change.
SMALL_COUNT = 5


def y_ticks(top: float, integral: bool) -> dict[str, Any]:
    """What the y axis needs beyond Plotly's own choice, its largest value being `top`."""
    if top == 0:
        return {"range": [0, 1], "tickvals": [0]}  # a flat line at the bottom, not in the middle
    if integral and top < SMALL_COUNT:
        return {"dtick": 1}
    return {}


def number_figure(frame: pl.DataFrame, integral: bool, previous: pl.DataFrame | None = None) -> Figure:
    """Big numbers: one per series (the first MAX_NUMBERS), side by side; with `previous`
    (the same panel over the previous period), each with its change from then."""
    rows = frame.head(MAX_NUMBERS).iter_rows(named=True) if frame.height else iter([{"series": "", "value": 0}])
    shown = list(rows)
    before = _by_series(previous)
    width = 1 / len(shown)
    traces = []
    for i, row in enumerate(shown):
        trace: dict[str, Any] = {
            "type": "indicator",
            "mode": "number",
            "value": row["value"],
            "number": {"valueformat": _value_format(integral), "font": {"size": 44 if len(shown) == 1 else 32}},
            "domain": {"x": [i * width, (i + 1) * width], "y": [0, 1]},
        }
        reference = before.get(row["series"], 0) if before is not None else None
        if reference:  # (a change from nothing has no percentage)
            trace["mode"] = "number+delta"
            # The number it changed from, beside the change: "▲+25.0% vs 1,000".
            trace["delta"] = {
                "reference": reference,
                "relative": True,
                "valueformat": "+.1%",
                "position": "bottom",
                "suffix": " vs " + format_value(reference, integral),
            }
        if len(shown) > 1:
            trace["title"] = {"text": _escape(row["series"]), "font": {"size": 13}}
        traces.append(trace)
    layout = base_layout(False)
    layout["margin"] = {"l": 8, "r": 8, "t": 8, "b": 8}
    return {"data": traces, "layout": layout}


def _by_series(frame: pl.DataFrame | None) -> dict[str, float] | None:
    """A total-mode frame as {series: value}."""
    if frame is None:
        return None
    return dict(zip(frame["series"].to_list(), frame["value"].to_list(), strict=True)) if frame.height else {}


def table_figure(
    frame: pl.DataFrame, label_heading: str, integral: bool, previous: pl.DataFrame | None = None
) -> Figure:
    """A table of each series (event or breakdown value) and its total; with `previous`
    (the same panel over the previous period), its total then and the change."""
    labels = frame["series"].to_list() if frame.height else []
    totals = frame["value"].to_list() if frame.height else []
    headings = [_escape(label_heading), "Value"]
    columns: list[list[str]] = [[_escape(label) for label in labels], [format_value(v, integral) for v in totals]]
    before = _by_series(previous)
    if before is not None:
        then = [before.get(label, 0) for label in labels]
        headings += ["Previous", "Change"]
        columns += [
            [format_value(v, integral) for v in then],
            [change_text(v, w) for v, w in zip(totals, then, strict=True)],
        ]
    trace = {
        "type": "table",
        "columnwidth": [3, *[1] * (len(columns) - 1)],
        "header": {"values": headings, "align": ["left", "right"], "height": 30},
        "cells": {"values": columns, "align": ["left", "right"], "height": 28},
    }
    layout = base_layout(False)
    layout["margin"] = {"l": 0, "r": 0, "t": 0, "b": 0}
    return {"data": [trace], "layout": layout}


def change_text(now: float, then: float) -> str:
    """The change from `then` to `now`, "+12.5%" or "-3.0%"; "new" when there was nothing before."""
    if now == then:
        return "no change"
    if not then:
        return "new"
    return f"{(now - then) / abs(then):+.1%}"


def figure(
    frame: pl.DataFrame,
    chart_type: str,
    *,
    interval: str,
    integral: bool,
    label_heading: str = "Series",
    stack: bool | None = None,
    previous: pl.DataFrame | None = None,
) -> Figure:
    """The Plotly figure for a panel's frame; with `previous`, the same panel over the
    previous period (for a series chart, moved onto this period's times) beside it."""
    if chart_type in SERIES_CHARTS:
        drawn = series_figure(frame, chart_type, interval, integral, stack)
        return drawn if previous is None else with_previous_period(drawn, previous, integral=integral)
    if chart_type == "number":
        return number_figure(frame, integral, previous)
    if chart_type == "table":
        return table_figure(frame, label_heading, integral, previous)
    raise ValueError(f"unknown chart type {chart_type!r}")


def _escape(text: str) -> str:
    """Plotly renders a subset of HTML in labels; event data must show as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def summary(frame: pl.DataFrame, chart_type: str, integral: bool) -> str:
    """A sentence describing the chart for screen readers (the chart's aria-label)."""
    if frame.height == 0:
        return "No data."
    if chart_type in TOTAL_CHARTS:
        parts = [
            f"{label}: {format_value(value, integral)}" for label, value in frame.select("series", "value").iter_rows()
        ]
        return "; ".join(parts[:10]) + ("." if len(parts) <= 10 else f"; and {len(parts) - 10} more.")
    sentences = []
    for label in _labels(frame)[:5]:
        values = frame.filter(pl.col("series") == label)["value"]
        sentences.append(
            f"{label}: {values.len()} points, total {format_value(float(values.sum()), integral)}, "
            f"highest {format_value(values.max(), integral)}, latest {format_value(values[-1], integral)}."  # type: ignore[arg-type]
        )
    return " ".join(sentences)


# Overlays for one series of a line or area chart (`series_index`: its trace in the figure):
# the band the anomaly detector expects values in, the points it flagged, and a forecast.
# They return a new figure; `meta` tells static/js/charts.js which series' colour to use
# (a band takes its series' colour, light; flagged points the danger colour).


def _overlaid(figure: Figure) -> tuple[list[dict[str, Any]], Figure]:
    """A copy of the figure whose traces all name their colour's series, so overlays can be
    put before them (under them) without shifting the palette."""
    data = [{**trace, "meta": trace.get("meta") or {"series": i}} for i, trace in enumerate(figure["data"])]
    return data, {**figure, "data": data}


def time_axis(interval: str) -> dict[str, Any]:
    """An x axis of time labelled for steps of `interval` (minute, hour or day)."""
    return {
        "type": "date",
        "showgrid": False,
        "tickformat": _TICK_FORMAT[interval],
        "hoverformat": _HOVER_TIME[interval],
        "automargin": True,
        "fixedrange": True,
    }


def time_labels(frame: pl.DataFrame) -> list[str]:
    """The frame's `t` as Plotly's x values."""
    return [t.strftime(_TIME_FORMAT) for t in frame["t"].to_list()]


def _band(
    frame: pl.DataFrame, name: str, series_index: int, integral: bool, *, in_legend: bool = True
) -> list[dict[str, Any]]:
    """Upper edge then lower edge filled up to it: Plotly's fill between two traces."""
    rows = frame.filter(pl.col("lower").is_not_null() & pl.col("upper").is_not_null())
    if integral:  # counts: a band below zero says nothing
        rows = rows.with_columns(pl.col("lower").clip(lower_bound=0))
    x = time_labels(rows)
    edge = {"type": "scatter", "mode": "lines", "x": x, "line": {"width": 0}, "showlegend": False}
    hover = f"%{{y:{_value_format(integral)}}}<extra>{_escape(name)}</extra>"
    upper = {**edge, "name": f"{name} (upper)", "y": rows["upper"].to_list(), "hovertemplate": hover}
    lower = {**edge, "name": name, "y": rows["lower"].to_list(), "fill": "tonexty", "hovertemplate": hover}
    meta = {"series": series_index, "role": "band"}
    return [{**upper, "meta": meta}, {**lower, "meta": meta, "showlegend": in_legend}]


def with_expected_band(figure: Figure, detected: pl.DataFrame, *, integral: bool, series_index: int = 0) -> Figure:
    """The detector's expected range (`lower`..`upper` of anomaly.detect_anomalies' frame),
    drawn under the series as a light filled band."""
    band = _band(detected, "Expected range", series_index, integral)
    if not band[0]["x"]:
        return figure  # no baseline anywhere in the range yet
    data, out = _overlaid(figure)
    out["data"] = band + data
    out["layout"] = {**figure["layout"], "showlegend": True}
    return out


def with_anomalies(figure: Figure, detected: pl.DataFrame, *, integral: bool) -> Figure:
    """Markers on the points the detector flagged (none: the figure is unchanged)."""
    flagged = detected.filter(pl.col("anomaly"))
    if flagged.height == 0:
        return figure
    data, out = _overlaid(figure)
    value = _value_format(integral)
    markers = {
        "type": "scatter",
        "mode": "markers",
        "name": "Anomaly",
        "x": time_labels(flagged),
        "y": flagged["value"].to_list(),
        "customdata": flagged["expected"].to_list(),
        "marker": {"size": 9, "symbol": "circle-open", "line": {"width": 2}},
        "hovertemplate": f"%{{y:{value}}} (expected %{{customdata:{value}}})<extra>Anomaly</extra>",
        "meta": {"role": "anomaly"},
    }
    out["data"] = [*data, markers]
    out["layout"] = {**figure["layout"], "showlegend": True}
    return out


def with_forecast(figure: Figure, predicted: pl.DataFrame, *, integral: bool, series_index: int = 0) -> Figure:
    """forecast.forecast's frame as a dashed continuation of the series, with its interval
    as a light band (an empty forecast leaves the figure unchanged)."""
    if predicted.height == 0:
        return figure
    data, out = _overlaid(figure)
    line = _drawn_over(
        predicted, "forecast", "Forecast", "dash", integral, {"series": series_index, "role": "forecast"}
    )
    # The dashed line's legend entry stands for its band too: a panel's legend must not
    # crowd out its plot (its hover still names the band).
    out["data"] = _band(predicted, "Forecast range", series_index, integral, in_legend=False) + data + [line]
    out["layout"] = {**figure["layout"], "showlegend": True}
    return out


def with_previous_period(figure: Figure, previous: pl.DataFrame, *, integral: bool) -> Figure:
    """The previous period of a one-series chart (`previous`, its times already moved onto
    this period's) as a dotted line in the series' colour. Beside several series, or stacked,
    it would only add noise: those charts are left as they are."""
    if len(figure["data"]) != 1 or previous.height == 0:
        return figure
    data, out = _overlaid(figure)
    line = _drawn_over(
        previous.sort("t"), "value", "Previous period", "dot", integral, {"series": 0, "role": "previous"}
    )
    out["data"] = [*data, line]
    out["layout"] = {**figure["layout"], "showlegend": True}
    return out


# Marks what is drawn over a chart's bucket still under way (static/js/charts.js colours it).
UNDER_WAY = "under way"


def with_bucket_under_way(
    figure: Figure, date_from: datetime, date_to: datetime, interval: Interval, now: datetime
) -> Figure:
    """For a chart of `date_from`..`date_to` by `interval` that `now` falls in: its bucket still
    filling, shaded and labelled "so far", each series' value there hovering as "... so far"
    (overlays and the previous period keep theirs). A range ends with the bucket under way, so
    without this a count per hour seen at ten past always ends in a plunge. Any other chart
    is returned as it is."""
    if not date_from <= now < date_to:
        return figure
    start, step = floor(now, interval), STEP[interval]
    at = start.strftime(_TIME_FORMAT)
    data = []
    for trace in figure["data"]:
        if "role" in (trace.get("meta") or {}) or at not in trace.get("x", ()):
            data.append(trace)  # an overlay (band, forecast, previous period) keeps its hover
            continue
        template = trace["hovertemplate"]
        so_far = template.replace("<extra>", " so far<extra>", 1)
        data.append({**trace, "hovertemplate": [so_far if x == at else template for x in trace["x"]]})
    edges = [(start + offset).strftime(_TIME_FORMAT) for offset in (-step / 2, step / 2)]
    shade = {
        "type": "rect",
        "name": UNDER_WAY,
        "layer": "below",
        "xref": "x",
        "yref": "paper",
        "x0": edges[0],
        "x1": edges[1],
        "y0": 0,
        "y1": 1,
        "line": {"width": 0},
    }
    label = {
        "name": UNDER_WAY,
        "text": "so far",
        "xref": "x",
        "yref": "paper",
        "x": at,
        "y": 1,
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 11},
    }
    layout = figure["layout"]
    return {
        **figure,
        "data": data,
        "layout": {
            **layout,
            # Room above the plot for the label when no legend has made it already.
            "margin": {**layout["margin"], "t": max(layout["margin"]["t"], 20)},
            "shapes": [*layout.get("shapes", ()), shade],
            "annotations": [*layout.get("annotations", ()), label],
        },
    }


def _drawn_over(
    frame: pl.DataFrame, column: str, name: str, dash: str, integral: bool, meta: dict[str, Any]
) -> dict[str, Any]:
    """`column` over time as a line drawn over a chart (a forecast, the previous period), in
    its series' colour (`meta`), named in the legend and on hover."""
    return {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": time_labels(frame),
        "y": frame[column].to_list(),
        "line": {"width": 2, "dash": dash},
        "hovertemplate": f"%{{y:{_value_format(integral)}}}<extra>{name}</extra>",
        "meta": meta,
    }
