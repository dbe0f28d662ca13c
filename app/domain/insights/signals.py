"""ClickHouse SQL for the scheduler: one statement per metric for all applications of an
organisation (GROUP BY app_id), bound parameters only, readable like the analytics layer's.

Every statement filters on `app_id IN {apps}` (the sort key's first column: only those
applications' granules are read) and on `org_id` (tenant isolation holds in SQL too).
Times are ClickHouse DateTime text in UTC; buckets come back as epoch seconds so both
backends hand polars the same type. The application comes back as `app` (text): an alias
named app_id would shadow the column in WHERE, and a String never equals a UUID.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.domain.insights.detectors import LATENCY_P95_MS
from app.engines.clickhouse import time_param

Params = dict[str, Any]


def _scope(org_id: str, app_ids: list[str], start: datetime, end: datetime) -> Params:
    return {"org_id": org_id, "apps": app_ids, "start": time_param(start), "end": time_param(end)}


def events_per_minute(org_id: str, app_ids: list[str], start: datetime, end: datetime) -> tuple[str, Params]:
    """Events per application and minute in [start, end) (empty minutes are absent)."""
    sql = """SELECT toString(app_id) AS app, toUnixTimestamp(toStartOfMinute(timestamp)) AS t, count() AS value
FROM events
WHERE app_id IN {apps:Array(UUID)}
  AND org_id = {org_id:UUID}
  AND timestamp >= {start:DateTime64(3, 'UTC')}
  AND timestamp < {end:DateTime64(3, 'UTC')}
GROUP BY app, t
ORDER BY app, t"""
    return sql, _scope(org_id, app_ids, start, end)


def request_summary(
    org_id: str, app_ids: list[str], start: datetime, recent: datetime, end: datetime
) -> tuple[str, Params]:
    """Per application and endpoint: requests, 5xx and p95 in [recent, end) and in [start, recent),
    and the recent requests slower than the latency target (the evidence for a p95 over it)."""
    sql = """SELECT
    toString(app_id) AS app,
    method,
    endpoint,
    countIf(timestamp >= {recent:DateTime64(3, 'UTC')}) AS n_recent,
    countIf(timestamp >= {recent:DateTime64(3, 'UTC')} AND status_code >= 500) AS err_recent,
    quantileIf(0.95)(duration_ms, timestamp >= {recent:DateTime64(3, 'UTC')}) AS p95_recent,
    countIf(timestamp >= {recent:DateTime64(3, 'UTC')} AND duration_ms > {target_ms:Float64}) AS slow_recent,
    countIf(timestamp < {recent:DateTime64(3, 'UTC')}) AS n_base,
    countIf(timestamp < {recent:DateTime64(3, 'UTC')} AND status_code >= 500) AS err_base,
    quantileIf(0.95)(duration_ms, timestamp < {recent:DateTime64(3, 'UTC')}) AS p95_base
FROM performance_metrics
WHERE app_id IN {apps:Array(UUID)}
  AND org_id = {org_id:UUID}
  AND timestamp >= {start:DateTime64(3, 'UTC')}
  AND timestamp < {end:DateTime64(3, 'UTC')}
GROUP BY app, method, endpoint
ORDER BY app, method, endpoint"""
    return sql, {**_scope(org_id, app_ids, start, end), "recent": time_param(recent), "target_ms": LATENCY_P95_MS}


def request_series(org_id: str, app_ids: list[str], start: datetime, end: datetime) -> tuple[str, Params]:
    """Per application, endpoint and minute: requests, 5xx and p95 (the evidence charts)."""
    sql = """SELECT
    toString(app_id) AS app,
    method,
    endpoint,
    toUnixTimestamp(toStartOfMinute(timestamp)) AS t,
    count() AS requests,
    countIf(status_code >= 500) AS errors,
    quantile(0.95)(duration_ms) AS p95
FROM performance_metrics
WHERE app_id IN {apps:Array(UUID)}
  AND org_id = {org_id:UUID}
  AND timestamp >= {start:DateTime64(3, 'UTC')}
  AND timestamp < {end:DateTime64(3, 'UTC')}
GROUP BY app, method, endpoint, t
ORDER BY app, method, endpoint, t"""
    return sql, _scope(org_id, app_ids, start, end)


def funnel_users(
    org_id: str, app_ids: list[str], start: datetime, recent: datetime, end: datetime
) -> tuple[str, Params]:
    """Distinct users per funnel step and application, in [recent, end) and in [start, recent)."""
    sql = """SELECT
    toString(app_id) AS app,
    uniqIf(distinct_id, event = 'pageview' AND timestamp >= {recent:DateTime64(3, 'UTC')}) AS viewers_recent,
    uniqIf(distinct_id, event = 'signup' AND timestamp >= {recent:DateTime64(3, 'UTC')}) AS signups_recent,
    uniqIf(distinct_id, event = 'purchase' AND timestamp >= {recent:DateTime64(3, 'UTC')}) AS buyers_recent,
    uniqIf(distinct_id, event = 'pageview' AND timestamp < {recent:DateTime64(3, 'UTC')}) AS viewers_base,
    uniqIf(distinct_id, event = 'signup' AND timestamp < {recent:DateTime64(3, 'UTC')}) AS signups_base,
    uniqIf(distinct_id, event = 'purchase' AND timestamp < {recent:DateTime64(3, 'UTC')}) AS buyers_base
FROM events
WHERE app_id IN {apps:Array(UUID)}
  AND org_id = {org_id:UUID}
  AND event IN ('pageview', 'signup', 'purchase')
  AND timestamp >= {start:DateTime64(3, 'UTC')}
  AND timestamp < {end:DateTime64(3, 'UTC')}
GROUP BY app
ORDER BY app"""
    return sql, {**_scope(org_id, app_ids, start, end), "recent": time_param(recent)}
