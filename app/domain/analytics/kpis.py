"""The application overview's numbers: KPI tiles, ingestion health, and the last minutes
per second for the live chart. SQL built here, shaped with polars; no other I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import polars as pl

from app.engines.clickhouse import AnalyticsStore, query_frame

LIVE_WINDOW_S = 300

# Each figure twice: now, and over the same window a day earlier (the tiles' "yesterday").
_EVENTS = """
WITH now64(3) AS as_of, as_of - INTERVAL 1 DAY AS day_ago
SELECT
    countIf(timestamp >= as_of - INTERVAL 1 MINUTE) AS events_per_min,
    countIf(timestamp >= day_ago - INTERVAL 1 MINUTE AND timestamp < day_ago) AS events_per_min_before,
    uniqIf(distinct_id, timestamp >= as_of - INTERVAL 5 MINUTE) AS active_users_5m,
    uniqIf(distinct_id, timestamp >= day_ago - INTERVAL 5 MINUTE AND timestamp < day_ago) AS active_users_5m_before,
    countIf(timestamp >= toStartOfDay(as_of)) AS events_today,
    countIf(timestamp >= toStartOfDay(day_ago) AND timestamp < day_ago) AS events_today_before,
    maxIf(received_at, timestamp >= toStartOfDay(as_of) OR timestamp >= as_of - INTERVAL 5 MINUTE) AS last_received_at,
    quantileIf(0.95)(toFloat64(received_at - timestamp), timestamp >= as_of - INTERVAL 5 MINUTE) AS delay_p95_s
FROM events
WHERE app_id = {app:UUID}
  AND timestamp >= least(toStartOfDay(day_ago), day_ago - INTERVAL 5 MINUTE)
"""
_PERFORMANCE = """
WITH now64(3) AS as_of, timestamp >= as_of - INTERVAL 1 HOUR AS recent
SELECT
    countIf(recent) AS requests,
    countIf(recent AND status_code >= 500) AS server_errors,
    quantileIf(0.95)(duration_ms, recent) AS p95_ms,
    countIf(NOT recent) AS requests_before,
    countIf(NOT recent AND status_code >= 500) AS server_errors_before,
    quantileIf(0.95)(duration_ms, NOT recent) AS p95_ms_before
FROM performance_metrics
WHERE app_id = {app:UUID}
  AND (recent OR (timestamp >= as_of - INTERVAL 25 HOUR AND timestamp < as_of - INTERVAL 1 DAY))
"""
_PER_SECOND = """
SELECT toStartOfSecond(timestamp) AS t, count() AS events
FROM events
WHERE app_id = {app:UUID} AND timestamp >= now64(3) - INTERVAL {window:UInt32} SECOND
GROUP BY t ORDER BY t
"""


class Figures(msgspec.Struct):
    """The tiles' figures over their windows: the last minute, five minutes, the day since
    00:00 UTC and the last hour."""

    events_per_min: int
    active_users_5m: int
    events_today: int
    error_rate: float | None  # share of requests answered 5xx
    p95_ms: float | None  # response time


class Kpis(msgspec.Struct):
    now: Figures
    # The same windows a day earlier: how today compares with a usual day.
    yesterday: Figures
    last_received_at: datetime | None
    delay_p95_s: float | None  # event time → stored, last 5 minutes


class _EventsRow(msgspec.Struct):
    events_per_min: int
    events_per_min_before: int
    active_users_5m: int
    active_users_5m_before: int
    events_today: int
    events_today_before: int
    last_received_at: datetime | None
    delay_p95_s: float | None


class _PerformanceRow(msgspec.Struct):
    requests: int
    server_errors: int
    p95_ms: float | None
    requests_before: int
    server_errors_before: int
    p95_ms_before: float | None


async def kpis(store: AnalyticsStore, app_id: str) -> Kpis:
    events = (await query_frame(store, _EVENTS, {"app": app_id})).row(0, named=True)
    performance = (await query_frame(store, _PERFORMANCE, {"app": app_id})).row(0, named=True)
    return shape_kpis(msgspec.convert(events, _EventsRow), msgspec.convert(performance, _PerformanceRow))


def shape_kpis(events: _EventsRow, p: _PerformanceRow) -> Kpis:
    """Turn the two result rows into tiles; an empty range gives None, not a fake zero."""
    seen = events.last_received_at is not None and events.last_received_at.year > 1970  # epoch = no rows
    return Kpis(
        now=_figures(
            events.events_per_min, events.active_users_5m, events.events_today, p.server_errors, p.requests, p.p95_ms
        ),
        yesterday=_figures(
            events.events_per_min_before,
            events.active_users_5m_before,
            events.events_today_before,
            p.server_errors_before,
            p.requests_before,
            p.p95_ms_before,
        ),
        last_received_at=_utc(events.last_received_at) if seen else None,
        delay_p95_s=_finite(events.delay_p95_s) if events.events_per_min else None,
    )


def _figures(per_min: int, active: int, today: int, server_errors: int, requests: int, p95_ms: float | None) -> Figures:
    """One window's figures; no requests gives no error rate or p95, not a fake zero."""
    return Figures(per_min, active, today, server_errors / requests if requests else None, p95_ms if requests else None)


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _finite(value: float | None) -> float | None:
    return value if value is not None and value == value else None  # NaN is not a delay


async def per_second(store: AnalyticsStore, app_id: str, now: datetime | None = None) -> pl.DataFrame:
    """Events per second over the live window, every second present (0 where quiet)."""
    frame = await query_frame(store, _PER_SECOND, {"app": app_id, "window": LIVE_WINDOW_S})
    return fill_seconds(frame, now or datetime.now(UTC))


def fill_seconds(frame: pl.DataFrame, now: datetime) -> pl.DataFrame:
    end = now.replace(microsecond=0)
    seconds = pl.datetime_range(
        end - timedelta(seconds=LIVE_WINDOW_S - 1), end, interval="1s", time_zone="UTC", eager=True
    ).alias("t")
    counts = frame.with_columns(pl.col("t").dt.replace_time_zone("UTC") if frame.height else pl.col("t"))
    grid = pl.DataFrame({"t": seconds})
    if counts.height:
        grid = grid.join(counts.with_columns(pl.col("t").dt.cast_time_unit("us")), on="t", how="left")
    else:
        grid = grid.with_columns(pl.lit(0).alias("events"))
    return grid.with_columns(pl.col("events").fill_null(0).cast(pl.Int64))
