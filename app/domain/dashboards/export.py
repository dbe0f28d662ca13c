"""A panel's numbers as JSON (PanelData) and as CSV."""

from __future__ import annotations

import re

import polars as pl
from litestar import Response

from app.domain.analytics import shaping
from app.domain.analytics.service import TrendResult
from app.domain.dashboards.schemas import Panel, PanelData

# A spreadsheet runs a cell that starts with one of these as a formula; labels come from
# event properties, i.e. from anyone who can send events.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def panel_data(panel: Panel, result: TrendResult) -> PanelData:
    query = result.query
    series_mode = query.mode == "series"
    return PanelData(
        panel_id=panel.id,
        chart_type=panel.chart_type,
        app_id=query.app_id,
        interval=query.interval,
        aggregation=query.aggregation,
        date_from=query.date_from,
        date_to=query.date_to,
        series=result.series() if series_mode else [],
        totals=[] if series_mode else result.totals(),
    )


def safe_cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def label_heading(result: TrendResult) -> str:
    """What the label column holds: the breakdown property, else the event(s)."""
    return result.query.breakdown or "event"


def to_csv(result: TrendResult) -> str:
    """Series mode: one row per bucket (`time`, then a column per series). Total mode:
    one row per series (the label, `value`)."""
    frame = result.frame
    if result.query.mode == "total":
        table = frame.select(
            pl.col("series").map_elements(safe_cell, return_dtype=pl.Utf8).alias(safe_cell(label_heading(result))),
            pl.col("value"),
        )
    else:
        wide = shaping.to_wide(frame)
        labels = {c: safe_cell(c) for c in wide.columns if c != "t"}
        table = wide.rename({**labels, "t": "time" if "time" not in labels.values() else "time (UTC)"})
    return table.write_csv(datetime_format="%Y-%m-%dT%H:%M:%SZ")


def filename(panel: Panel) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", panel.title.lower()).strip("-")[:60] or "panel"
    return f"{slug}.csv"


def csv_response(panel: Panel, result: TrendResult) -> Response[bytes]:
    return Response(
        content=to_csv(result).encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename(panel)}"', "Cache-Control": "no-store"},
    )
