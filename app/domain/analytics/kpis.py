"""The application overview's numbers: KPI tiles, ingestion health, and the last minutes
per second for the live chart. SQL built here, shaped with polars; no other I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import polars as pl

from app.engines.clickhouse import AnalyticsStore, query_frame

LIVE_WINDOW_S = 300

_EVENTS = """
SELECT
    countIf(timestamp >= now64(3) - INTERVAL 1 MINUTE) AS events_per_min,
    uniqIf(distinct_id, timestamp >= now64(3) - INTERVAL 5 MINUTE) AS active_users_5m,
    countIf(timestamp >= toStartOfDay(now64(3))) AS events_today,
    max(received_at) AS last_received_at,
    quantileIf(0.95)(toFloat64(received_at - timestamp), timestamp >= now64(3) - INTERVAL 5 MINUTE) AS delay_p95_s
FROM events
WHERE app_id = {app:UUID} AND timestamp >= least(toStartOfDay(now64(3)), now64(3) - INTERVAL 5 MINUTE)
"""
_PERFORMANCE = """
SELECT
    count() AS requests,
    countIf(status_code >= 500) AS server_errors,
    quantile(0.95)(duration_ms) AS p95_ms
FROM performance_metrics
WHERE app_id = {app:UUID} AND timestamp >= now64(3) - INTERVAL 1 HOUR
"""
_PER_SECOND = """
SELECT toStartOfSecond(timestamp) AS t, count() AS events
FROM events
WHERE app_id = {app:UUID} AND timestamp >= now64(3) - INTERVAL {window:UInt32} SECOND
GROUP BY t ORDER BY t
"""


class Kpis(msgspec.Struct):
    events_per_min: int
    active_users_5m: int
    events_today: int
    error_rate: float | None  # share of requests answered 5xx in the last hour
    p95_ms: float | None  # response time, last hour
    last_received_at: datetime | None
    delay_p95_s: float | None  # event time → stored, last 5 minutes


class _EventsRow(msgspec.Struct):
    events_per_min: int
    active_users_5m: int
    events_today: int
    last_received_at: datetime | None
    delay_p95_s: float | None


class _PerformanceRow(msgspec.Struct):
    requests: int
    server_errors: int
    p95_ms: float | None


async def kpis(store: AnalyticsStore, app_id: str) -> Kpis:
    events = (await query_frame(store, _EVENTS, {"app": app_id})).row(0, named=True)
    performance = (await query_frame(store, _PERFORMANCE, {"app": app_id})).row(0, named=True)
    return shape_kpis(msgspec.convert(events, _EventsRow), msgspec.convert(performance, _PerformanceRow))


def shape_kpis(events: _EventsRow, performance: _PerformanceRow) -> Kpis:
    """Turn the two result rows into tiles; an empty range gives None, not a fake zero."""
    seen = events.last_received_at is not None and events.last_received_at.year > 1970  # epoch = no rows
    served = performance.requests > 0
    return Kpis(
        events_per_min=events.events_per_min,
        active_users_5m=events.active_users_5m,
        events_today=events.events_today,
        error_rate=performance.server_errors / performance.requests if served else None,
        p95_ms=performance.p95_ms if served else None,
        last_received_at=_utc(events.last_received_at) if seen else None,
        delay_p95_s=_finite(events.delay_p95_s) if events.events_per_min else None,
    )


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
