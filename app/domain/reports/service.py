"""Building a report: resolve the period, run the queries, shape the parts.

The hourly series comes from the analytics query layer (the same numbers the charts show);
the period's KPIs, daily counts and top events from reports/queries.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from psycopg import AsyncConnection

from app.core.errors import ApiError
from app.domain.analytics import service as analytics
from app.domain.analytics import timerange
from app.domain.analytics.schemas import TrendQuery
from app.domain.reports import build, queries
from app.domain.reports.schemas import Report, ReportInsight
from app.engines.clickhouse import AnalyticsStore

DEFAULT_DAYS = 7
MAX_DAYS = 92
# Hours before the period fed to the anomaly detector, so the first hours have a baseline.
BASELINE_HOURS = build.ANOMALY_CONFIG.window


def _parse(value: str | None, name: str, end_of_day: bool) -> datetime | None:
    """RFC 3339, or a bare date (YYYY-MM-DD): a `to` date includes that whole day."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = timerange.as_utc(datetime.fromisoformat(text))
    except ValueError as exc:
        raise ApiError(
            400,
            "invalid_parameter",
            f"`{name}` is not a date (2025-01-31) or an RFC 3339 time (2025-01-31T00:00:00Z).",
            [{"key": name, "source": "query", "message": "expected a date or an RFC 3339 date-time"}],
        ) from exc
    return moment + timedelta(days=1) if end_of_day and len(text) == 10 else moment


def resolve_period(
    date_from: str | None, date_to: str | None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """`from`/`to` (defaults: the last 7 days up to now), widened to whole hours."""
    end = _parse(date_to, "to", end_of_day=True) or (now or datetime.now(UTC))
    start = _parse(date_from, "from", end_of_day=False) or end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise ApiError(400, "invalid_range", "`from` must be before `to`.", [{"key": "from", "source": "query"}])
    if end - start > timedelta(days=MAX_DAYS):
        raise ApiError(
            400, "invalid_range", f"A report covers at most {MAX_DAYS} days.", [{"key": "from", "source": "query"}]
        )
    return timerange.floor(start, "hour"), timerange.ceil(end, "hour")


async def hourly_series(
    store: AnalyticsStore, app_id: str, org_id: str, start: datetime, end: datetime
) -> pl.DataFrame:
    query = TrendQuery(app_id=app_id, org_id=org_id, date_from=start, date_to=end, interval="hour")
    result = await analytics.run(store, query)
    return result.frame.select("t", pl.col("value").cast(pl.Float64))


async def build_report(
    store: AnalyticsStore, conn: AsyncConnection[Any], org_id: str, app: dict[str, Any], start: datetime, end: datetime
) -> tuple[Report, pl.DataFrame]:
    """The report, and the period's complete hours (t, value) its events chart draws."""
    app_id = str(app["id"])
    now = datetime.now(UTC)
    events = await queries.event_kpis(store, app_id, org_id, start, end)
    performance = await queries.performance(store, app_id, org_id, start, end)
    kpis = build.kpis(events, performance)
    series = build.complete_hours(
        await hourly_series(store, app_id, org_id, start - timedelta(hours=BASELINE_HOURS), end), now
    )
    in_period = series.filter(pl.col("t") >= start)
    insight_rows = await queries.insights(conn, org_id, app_id, start, end)
    report = Report(
        app_id=app_id,
        app_name=str(app["name"]),
        date_from=start,
        date_to=end,
        generated_at=now,
        kpis=kpis,
        daily=build.daily(await queries.daily(store, app_id, org_id, start, end), start, end),
        top_events=build.top_events(await queries.top_events(store, app_id, org_id, start, end), kpis.events),
        anomalies=build.anomalies(series, start),
        forecast=build.forecast_points(in_period),
        insights=[ReportInsight(**row) for row in insight_rows],
    )
    return report, in_period
