"""A panel's numbers as JSON (PanelData) and as CSV."""

from __future__ import annotations

import re

import polars as pl
from litestar import Response

from app.domain.analytics import funnels, retention, shaping
from app.domain.analytics.service import TrendResult
from app.domain.dashboards.schemas import Panel, PanelData, PreviousPeriod

# A spreadsheet runs a cell that starts with one of these as a formula; labels come from
# event properties, i.e. from anyone who can send events.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def panel_data(
    panel: Panel,
    result: TrendResult | funnels.FunnelResult | retention.RetentionResult,
    previous: TrendResult | None = None,
) -> PanelData:
    """The panel's numbers; with `previous` (panel_runs.previous_period), that period's too."""
    if not isinstance(result, TrendResult):
        return _people_data(panel, result)
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
        previous=None
        if previous is None
        else PreviousPeriod(
            date_from=previous.query.date_from,
            date_to=previous.query.date_to,
            series=previous.series() if series_mode else [],
            totals=[] if series_mode else previous.totals(),
        ),
    )


def _people_data(panel: Panel, result: funnels.FunnelResult | retention.RetentionResult) -> PanelData:
    """Funnels and retention count people; retention's buckets are weeks."""
    query = result.query
    if isinstance(result, funnels.FunnelResult):
        return PanelData(
            panel_id=panel.id,
            chart_type=panel.chart_type,
            app_id=query.app_id,
            interval=panel.query.interval,
            aggregation="unique_users",
            date_from=query.date_from,
            date_to=query.date_to,
            funnel=result.steps(),
            overall_conversion=result.overall_conversion(),
        )
    return PanelData(
        panel_id=panel.id,
        chart_type=panel.chart_type,
        app_id=query.app_id,
        interval="week",
        aggregation="unique_users",
        date_from=query.date_from,
        date_to=query.date_to,
        retention=result.cohorts(),
    )


def people_csv(result: funnels.FunnelResult | retention.RetentionResult) -> str:
    """Funnel: one row per step (`step`, `event`, `users`, `conversion %`, `step conversion %`,
    `dropped`). Retention: one row per cohort (`cohort`, `size`, `week N`, `week N %`)."""
    if isinstance(result, funnels.FunnelResult):
        table = result.frame.select(
            "step",
            pl.col("event").map_elements(safe_cell, return_dtype=pl.Utf8),
            "users",
            pl.col("conversion").alias("conversion %"),
            pl.col("step_conversion").alias("step conversion %"),
            "dropped",
        )
    else:
        table = retention.to_wide(result.frame)
    return table.write_csv(date_format="%Y-%m-%d")


def safe_cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def label_heading(result: TrendResult) -> str:
    """What the label column holds: the breakdown property, else the event(s)."""
    return result.query.breakdown or "event"


def to_csv(
    result: TrendResult | funnels.FunnelResult | retention.RetentionResult, previous: TrendResult | None = None
) -> str:
    """Series mode: one row per bucket (`time`, then a column per series). Total mode:
    one row per series (the label, `value`). Funnels and retention: people_csv().

    With `previous` (compare=1), the period before beside it: total mode adds `previous`,
    each series' total then; series mode adds `previous time` and a `previous <series>` column
    per series, bucket for bucket (the first bucket beside the first)."""
    if not isinstance(result, TrendResult):
        return people_csv(result)
    if result.query.mode == "total":
        table = _total_table(result)
        if previous is not None:
            earlier = _total_table(previous).rename({"value": "previous"})
            table = table.join(earlier, on=table.columns[0], how="left", maintain_order="left")
    else:
        table = _series_table(result)
        if previous is not None:
            earlier = _series_table(previous)
            earlier = earlier.rename({c: f"previous {c}" for c in earlier.columns})
            table = table.with_row_index("_i").join(earlier.with_row_index("_i"), on="_i", how="left").drop("_i")
    return table.write_csv(datetime_format="%Y-%m-%dT%H:%M:%SZ")


def _total_table(result: TrendResult) -> pl.DataFrame:
    return result.frame.select(
        pl.col("series").map_elements(safe_cell, return_dtype=pl.Utf8).alias(safe_cell(label_heading(result))),
        pl.col("value"),
    )


def _series_table(result: TrendResult) -> pl.DataFrame:
    wide = shaping.to_wide(result.frame)
    labels = {c: safe_cell(c) for c in wide.columns if c != "t"}
    return wide.rename({**labels, "t": "time" if "time" not in labels.values() else "time (UTC)"})


def filename(panel: Panel) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", panel.title.lower()).strip("-")[:60] or "panel"
    return f"{slug}.csv"


def csv_response(
    panel: Panel,
    result: TrendResult | funnels.FunnelResult | retention.RetentionResult,
    previous: TrendResult | None = None,
) -> Response[bytes]:
    return Response(
        content=to_csv(result, previous).encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename(panel)}"', "Cache-Control": "no-store"},
    )
