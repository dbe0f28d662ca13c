"""The data behind a panel: the application it charts, and its query run over its range
ending now (trends through the analytics service, funnels and retention through theirs)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime

import msgspec

from app.core.auth import Principal
from app.core.errors import ApiError
from app.domain.analytics import funnels, retention, timerange
from app.domain.analytics import service as analytics
from app.domain.analytics.schemas import Mode, QuerySpec
from app.domain.applications import queries as applications
from app.domain.dashboards.schemas import TOTAL_CHARTS, Panel, check_kind
from app.domain.dashboards.service import Conn, Row, get_panel, to_panel
from app.domain.dashboards.viewing import Viewing
from app.engines.clickhouse import AnalyticsStore

# What a panel's query gives: a trend (line, area, bar, number, table), a funnel or cohorts.
PanelResult = analytics.TrendResult | funnels.FunnelResult | retention.RetentionResult
# Sent by static/js/live-panels.js with a refresh that stored events caused: the time of the
# live frame that announced them (ISO 8601).
REFRESH_HEADER = "x-nexus-refresh"


def refreshed_after(headers: Mapping[str, str]) -> float | None:
    """A live refresh (new events were stored) takes no cached result older than them: from
    its REFRESH_HEADER, the time (epoch seconds) a result must be newer than to hold the events
    it was asked for; None for any other fetch, or a header that is not a time. A time ahead
    of ours counts as now (a client cannot push it further)."""
    header = headers.get(REFRESH_HEADER)
    if not header:
        return None
    try:
        moment = datetime.fromisoformat(header)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return min(moment.timestamp(), time.time())


def panel_app_id(dashboard: Row, spec: QuerySpec) -> str | None:
    return spec.app_id or dashboard["app_id"]


async def panel_data(
    conn: Conn,
    store: AnalyticsStore,
    principal: Principal,
    dashboard_id: str,
    panel_id: str,
    looking: Viewing,
) -> tuple[Panel, PanelResult, analytics.TrendResult | None]:
    """A panel's numbers as `looking` says (viewing.py), over its range ending now; beside
    the previous period, that period's too (previous_period)."""
    dashboard, row = await get_panel(conn, principal, dashboard_id, panel_id)
    panel = looking.applied(to_panel(row))
    result = await run_panel(conn, store, principal, dashboard, panel)
    return panel, result, await previous_period(store, result) if looking.compare else None


async def run_panel(
    conn: Conn,
    store: AnalyticsStore,
    principal: Principal,
    dashboard: Row,
    panel: Panel,
    now: datetime | None = None,
    newer_than: float | None = None,
) -> PanelResult:
    app_id = panel_app_id(dashboard, panel.query)
    if app_id is None:
        # The dashboard was made organisation-wide after the panel was added.
        raise ApiError(409, "no_application", "This panel has no application; edit it to choose one.")
    if await applications.get(conn, principal.org_id, app_id) is None:
        raise ApiError(
            409, "no_application", "This panel's application no longer exists; edit the panel to choose another."
        )
    if panel.chart_type in ("funnel", "retention"):
        return await run_people_chart(store, panel.chart_type, panel.query, app_id, principal.org_id, now, newer_than)
    mode: Mode = "total" if panel.chart_type in TOTAL_CHARTS else "series"
    try:
        query = timerange.resolve(panel.query, app_id, principal.org_id, now or datetime.now(UTC), mode)
    except timerange.RangeError as exc:
        raise ApiError(400, "invalid_range", str(exc)) from exc
    return await analytics.run(store, query, newer_than=newer_than)


async def previous_period(
    store: AnalyticsStore, result: PanelResult, newer_than: float | None = None, now: datetime | None = None
) -> analytics.TrendResult | None:
    """The same question over the period just before `result`'s, as long (None for funnels
    and retention: their periods are cohorts and conversion windows, not a span to repeat).

    A total (big number, table) whose period is still under way is set against the period
    before up to the same moment, not to its end: a range ends with its current bucket, so
    "last 15 minutes" holds 14 minutes and some seconds, and against 15 whole ones it would
    always read a few percent down. A chart keeps whole periods: its last point is visibly
    the one still filling."""
    if not isinstance(result, analytics.TrendResult):
        return None
    query = result.query
    span = query.date_to - query.date_from
    until = query.date_from
    if query.mode == "total":
        # Whole seconds, so that a live refresh within the second finds the cached answer.
        moment = (now or datetime.now(UTC)).replace(microsecond=0)
        if query.date_from < moment < query.date_to:
            until = moment - span
    earlier = msgspec.structs.replace(query, date_from=query.date_from - span, date_to=until)
    return await analytics.run(store, earlier, newer_than=newer_than)


async def run_people_chart(
    store: AnalyticsStore,
    chart_type: str,
    spec: QuerySpec,
    app_id: str,
    org_id: str,
    now: datetime | None = None,
    newer_than: float | None = None,
) -> funnels.FunnelResult | retention.RetentionResult:
    """A funnel or retention panel's numbers (the builder's preview runs unsaved ones)."""
    now = now or datetime.now(UTC)
    try:
        check_kind(chart_type, spec)
    except ValueError as exc:
        raise ApiError(409, "invalid_panel", "This panel's settings are incomplete; edit it to finish them.") from exc
    if chart_type == "retention":
        return await analytics.run_retention(store, retention.resolve(spec, app_id, org_id, now), newer_than=newer_than)
    try:
        query = funnels.resolve(spec, app_id, org_id, now)
    except timerange.RangeError as exc:
        raise ApiError(400, "invalid_range", str(exc)) from exc
    return await analytics.run_funnel(store, query, newer_than=newer_than)
