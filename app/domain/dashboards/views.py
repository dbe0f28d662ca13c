"""What the dashboards pages share: who may write, the applications to choose from, and
the view model of a panel's body (its figure and text alternative)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
from litestar import Request
from litestar.response import Template

from app.core.auth import Permission, Principal
from app.core.deps import Db
from app.core.errors import ApiError
from app.domain.analytics import funnels, retention
from app.domain.analytics.anomaly_service import Overlays
from app.domain.analytics.forecast import MIN_HISTORY
from app.domain.analytics.queries import is_integral
from app.domain.analytics.schemas import INTEGRAL_AGGREGATIONS, PropertyFilter, TrendQuery
from app.domain.analytics.service import TrendResult
from app.domain.applications import queries as applications
from app.domain.dashboards import export
from components import charts
from components import funnel as funnel_view
from components import retention as retention_view
from components.panel import filter_text

AnyRequest = Request[Any, Any, Any]


def can_write(principal: Principal) -> bool:
    return principal.can(Permission.WRITE)


async def organisation_apps(db: Db, principal: Principal) -> list[dict[str, Any]]:
    rows = await applications.list_page(db, principal.org_id, 200, None)
    return [{"id": row["id"], "name": row["name"]} for row in rows[:200]]


def panel_body(
    result: TrendResult | funnels.FunnelResult | retention.RetentionResult,
    panel_chart: str,
    overlays: Overlays | None = None,
    previous: TrendResult | None = None,
) -> dict[str, Any]:
    """Everything the panel body macro draws: the figure, its text alternative, the range;
    on a line or area chart, the expected band, anomalies and forecast when given; with
    `previous` (the same question over the period before), that period beside this one; on a
    series chart whose range is still running, its bucket under way marked as such."""
    if not isinstance(result, TrendResult):
        return people_body(result)
    query = result.query
    integral = is_integral(query)
    label_heading = export.label_heading(result)
    frame = result.frame
    before = None if previous is None else moved_forward(previous, query.date_from - previous.query.date_from)
    figure = charts.figure(
        frame,
        panel_chart,
        interval=query.interval,
        integral=integral,
        label_heading=label_heading,
        stack=query.aggregation in ("count", "sum"),
        previous=before,
    )
    notes = []
    if previous is not None and panel_chart in charts.SERIES_CHARTS and frame["series"].n_unique() > 1:
        notes.append("No comparison on a chart of several series: it would hide them.")
    if overlays is not None and panel_chart in ("line", "area"):
        if overlays.detected is not None:
            banded = charts.with_expected_band(figure, overlays.detected, integral=integral)
            if banded is figure:  # asked for, but no baseline yet
                notes.append("No expected range yet: the series is too new to know what is usual.")
            figure = charts.with_anomalies(banded, overlays.detected, integral=integral)
        if overlays.predicted is not None and overlays.predicted.height:
            figure = charts.with_forecast(figure, overlays.predicted, integral=integral)
        elif overlays.predicted is not None:  # asked for, but too little history to go on
            notes.append(f"No forecast yet: fewer than {MIN_HISTORY} {query.interval}s have a value to learn from.")
    summary = charts.summary(frame, panel_chart, integral)
    if panel_chart in charts.SERIES_CHARTS:
        marked = charts.with_bucket_under_way(figure, query.date_from, query.date_to, query.interval, result.read_at)
        if marked is not figure:
            summary += f" The last {query.interval} is still under way."
        figure = marked
    if before is not None:
        summary += " Previous period: " + charts.summary(before, panel_chart, integral)
    empty = None if panel_chart == "number" or _has_values(frame) or _has_values(before) else _nothing_found(query)
    return {
        "figure": figure,
        "summary": summary,
        "chart_type": panel_chart,
        "date_from": query.date_from,
        "date_to": query.date_to,
        "interval": query.interval,
        "source": result.source,
        # An empty chart (a flat line at 0, axes with nothing on them) says less than words.
        # A big number of 0 is an answer in itself, so it stays.
        "empty": empty,
        "note": None if empty else " ".join(notes) or None,
    }


def _has_values(frame: pl.DataFrame | None) -> bool:
    """Whether anything was found: the shaped frame holds 0 where there was nothing."""
    return frame is not None and frame.height > 0 and bool((frame["value"] != 0).any())


def _nothing_found(query: TrendQuery) -> dict[str, Any]:
    """What a trend panel says instead of an empty chart, and what to try next."""
    events = "events" if query.all_events() else " or ".join(query.events) + " events"
    found = events if query.aggregation in INTEGRAL_AGGREGATIONS else f"{query.property} values in {events}"
    return _nothing(f"No {found}", query.filters, "They show here within seconds of being sent.")


def _nothing(found: str, filters: tuple[PropertyFilter, ...], hint: str) -> dict[str, Any]:
    """ "No pageview events where plan is pro in this range." and a hint: with filters, to
    try others (the likelier reason), else `hint` (and, where the page offers it, a link to
    how the application sends events: components/panel.html)."""
    if filters:
        conditions = " and ".join(filter_text(item) for item in filters)
        return {
            "text": f"{found} where {conditions} in this range.",
            "hint": "Try a longer range or another filter.",
            "filtered": True,
        }
    return {"text": f"{found} in this range.", "hint": hint, "filtered": False}


def moved_forward(previous: TrendResult, shift: timedelta) -> pl.DataFrame:
    """The previous period's frame on this period's times (series mode), or as it is (totals)."""
    if "t" not in previous.frame.columns:
        return previous.frame
    return previous.frame.with_columns(pl.col("t") + shift)


def people_body(result: funnels.FunnelResult | retention.RetentionResult) -> dict[str, Any]:
    """A funnel (figure, summary, overall conversion) or a retention table (no figure)."""
    common = {"date_from": result.query.date_from, "date_to": result.query.date_to, "source": "events"}
    if isinstance(result, funnels.FunnelResult):
        window = funnels.WINDOW_LABELS[result.query.window]
        frame = result.frame
        return {
            **common,
            "chart_type": "funnel",
            "figure": funnel_view.figure(frame),
            "summary": funnel_view.summary(frame, window),
            "funnel": funnel_view.view(frame, window),
            "interval": "day",
            "empty": None
            if frame.height and frame["users"][0]
            else _nothing(
                f"Nobody did {result.query.steps[0]}", result.query.filters, "Try a longer range or other steps."
            ),
        }
    return {
        **common,
        "chart_type": "retention",
        "figure": None,
        "summary": retention_view.summary(result.frame),
        "retention": retention_view.view(result.frame),  # which says itself when it is empty
        "interval": "week",
    }


def fragment(
    request: AnyRequest,
    body: dict[str, Any] | None = None,
    chart_id: str = "",
    error: str | None = None,
    edit_url: str | None = None,
    setup_url: str | None = None,
) -> Template:
    return Template(
        template_name="pages/dashboards/panel_body.html",
        context={"body": body, "chart_id": chart_id, "error": error, "edit_url": edit_url, "setup_url": setup_url},
    )


def error_field(exc: ApiError) -> dict[str, str]:
    key = str(exc.details[0].get("key", "")) if exc.details and isinstance(exc.details[0], dict) else ""
    field = key.removeprefix("query.")
    if field == "interval":
        field = "range"
    return {field if field in ("app_id", "range", "events") else "_form": exc.message}
