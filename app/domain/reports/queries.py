"""SQL for reports: ClickHouse for the period's numbers, PostgreSQL for its insights.

Every statement is scoped by organisation and application; the times are bound parameters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from psycopg import AsyncConnection

from app.engines.clickhouse import AnalyticsStore, query_frame, time_param

Conn = AsyncConnection[Any]
TOP_EVENTS = 10
MAX_INSIGHTS = 200

_SCOPE = "app_id = {app_id:UUID} AND org_id = {org_id:UUID}"
# One pass over the current and the previous period (same length, just before it).
_EVENT_KPIS = f"""
SELECT
    countIf(timestamp >= {{start:DateTime64(3, 'UTC')}}) AS events,
    uniqIf(distinct_id, timestamp >= {{start:DateTime64(3, 'UTC')}}) AS users,
    uniqIf(session_id, timestamp >= {{start:DateTime64(3, 'UTC')}} AND session_id != '') AS sessions,
    countIf(timestamp < {{start:DateTime64(3, 'UTC')}}) AS previous_events,
    uniqIf(distinct_id, timestamp < {{start:DateTime64(3, 'UTC')}}) AS previous_users
FROM events
WHERE {_SCOPE} AND timestamp >= {{previous:DateTime64(3, 'UTC')}} AND timestamp < {{end:DateTime64(3, 'UTC')}}
"""
_PERFORMANCE = f"""
SELECT count() AS requests, countIf(status_code >= 500) AS server_errors, quantile(0.95)(duration_ms) AS p95_ms
FROM performance_metrics
WHERE {_SCOPE} AND timestamp >= {{start:DateTime64(3, 'UTC')}} AND timestamp < {{end:DateTime64(3, 'UTC')}}
"""
_DAILY = f"""
SELECT toDate(timestamp) AS date, count() AS events, uniq(distinct_id) AS users
FROM events
WHERE {_SCOPE} AND timestamp >= {{start:DateTime64(3, 'UTC')}} AND timestamp < {{end:DateTime64(3, 'UTC')}}
GROUP BY date ORDER BY date
"""
_TOP_EVENTS = f"""
SELECT event, count() AS events, uniq(distinct_id) AS users
FROM events
WHERE {_SCOPE} AND timestamp >= {{start:DateTime64(3, 'UTC')}} AND timestamp < {{end:DateTime64(3, 'UTC')}}
GROUP BY event ORDER BY events DESC, event LIMIT {{limit:UInt32}}
"""


def _params(app_id: str, org_id: str, start: datetime, end: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "app_id": app_id,
        "org_id": org_id,
        "start": time_param(start, milliseconds=True),
        "end": time_param(end, milliseconds=True),
        **extra,
    }


async def event_kpis(store: AnalyticsStore, app_id: str, org_id: str, start: datetime, end: datetime) -> dict[str, Any]:
    previous = start - (end - start)
    frame = await query_frame(
        store, _EVENT_KPIS, _params(app_id, org_id, start, end, previous=time_param(previous, milliseconds=True))
    )
    return frame.row(0, named=True)


async def performance(
    store: AnalyticsStore, app_id: str, org_id: str, start: datetime, end: datetime
) -> dict[str, Any]:
    frame = await query_frame(store, _PERFORMANCE, _params(app_id, org_id, start, end))
    return frame.row(0, named=True)


async def daily(store: AnalyticsStore, app_id: str, org_id: str, start: datetime, end: datetime) -> pl.DataFrame:
    return await query_frame(store, _DAILY, _params(app_id, org_id, start, end))


async def top_events(store: AnalyticsStore, app_id: str, org_id: str, start: datetime, end: datetime) -> pl.DataFrame:
    return await query_frame(store, _TOP_EVENTS, _params(app_id, org_id, start, end, limit=TOP_EVENTS))


async def insights(conn: Conn, org_id: str, app_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Insights opened in the period, most severe first."""
    cursor = await conn.execute(
        """SELECT id::text AS id, type, severity, title, status, created_at, resolved_at
             FROM insights
            WHERE org_id = %s AND app_id = %s AND created_at >= %s AND created_at < %s
            ORDER BY severity_rank DESC, created_at DESC
            LIMIT %s""",
        (org_id, app_id, start, end, MAX_INSIGHTS),
    )
    return await cursor.fetchall()


async def weekly_subscribers(conn: Conn) -> list[str]:
    """Organisations with an active webhook subscribed to `report.weekly` (the weekly job's list)."""
    cursor = await conn.execute(
        "SELECT DISTINCT org_id::text AS org_id FROM webhooks WHERE is_active AND 'report.weekly' = ANY(events)"
    )
    return [row["org_id"] for row in await cursor.fetchall()]


async def applications_of(conn: Conn, org_id: str) -> list[dict[str, Any]]:
    cursor = await conn.execute(
        "SELECT id::text AS id, name FROM applications WHERE org_id = %s ORDER BY created_at", (org_id,)
    )
    return await cursor.fetchall()
