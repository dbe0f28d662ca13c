"""An application's API requests over a recent window (its performance metrics): response
time and server errors over time, and per endpoint, slowest first. SQL built here, shaped
with polars; no other I/O. The overview's "Requests" section reads these."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from app.engines.clickhouse import AnalyticsStore, query_frame, time_param

TOP_ENDPOINTS = 10
# Per minute while most minutes have requests; coarser below that, where a minute's p95 is
# one request's time and the line is more gaps than line.
COARSE_MINUTES = 5
DENSE_SHARE = 0.5  # of the minutes with a request
_MEASURE_COLUMNS = ("requests", "errors", "p50_ms", "p95_ms")

_SCOPE = """app_id = {app_id:UUID} AND org_id = {org_id:UUID}
  AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}"""
_MEASURES = """count() AS requests,
    countIf(status_code >= 500) AS errors,
    quantile(0.5)(duration_ms) AS p50_ms,
    quantile(0.95)(duration_ms) AS p95_ms"""
# Both steps in one pass (quantiles do not roll up from minutes to five minutes): a row of
# one grouping set has 0 in the other set's column (no time is the epoch).
_PER_STEP = f"""
SELECT
    toUnixTimestamp(toStartOfMinute(timestamp)) AS minute,
    toUnixTimestamp(toStartOfInterval(timestamp, INTERVAL {{coarse:UInt32}} MINUTE)) AS coarse,
    {_MEASURES}
FROM performance_metrics
WHERE {_SCOPE}
GROUP BY GROUPING SETS ((minute), (coarse))
"""
# Slowest first: the endpoints someone looking at response times wants to see.
_ENDPOINTS = f"""
SELECT
    method,
    endpoint,
    {_MEASURES}
FROM performance_metrics
WHERE {_SCOPE}
GROUP BY method, endpoint
ORDER BY p95_ms DESC, requests DESC, endpoint, method
LIMIT {{limit:UInt32}}
"""


def _params(app_id: str, org_id: str, start: datetime, end: datetime) -> dict[str, str]:
    return {
        "app_id": app_id,
        "org_id": org_id,
        "start": time_param(start, milliseconds=True),
        "end": time_param(end, milliseconds=True),
    }


async def over_time(store: AnalyticsStore, app_id: str, org_id: str, start: datetime, end: datetime) -> pl.DataFrame:
    """t, requests, errors, p50_ms, p95_ms per minute of [start, end), or per COARSE_MINUTES
    minutes (from the step `start` falls in) when requests are sparse (see DENSE_SHARE).
    Every step is present: one without requests has 0 requests and no response times (a gap
    in the line, not a 0)."""
    start = start.replace(second=0, microsecond=0)
    # ClickHouse's steps start at multiples of the step (counted from the epoch): read from
    # the coarse step `start` falls in, so the first coarse step is whole.
    first = start - timedelta(minutes=start.minute % COARSE_MINUTES)
    frame = await query_frame(store, _PER_STEP, {**_params(app_id, org_id, first, end), "coarse": COARSE_MINUTES})
    minutes = _on_grid(frame.filter(pl.col("coarse") == 0).rename({"minute": "t"}), start, end, 1)
    busy_minutes = int((minutes["requests"] > 0).sum())
    if 0 < busy_minutes < DENSE_SHARE * minutes.height:
        return _on_grid(frame.filter(pl.col("minute") == 0).rename({"coarse": "t"}), first, end, COARSE_MINUTES)
    return minutes


def _on_grid(frame: pl.DataFrame, first: datetime, end: datetime, step: int) -> pl.DataFrame:
    """`frame`'s steps (t in epoch seconds) on the grid of [first, end): every step present,
    any outside the range left out."""
    steps = pl.datetime_range(first, end, interval=f"{step}m", closed="left", time_zone="UTC", eager=True)
    grid = pl.DataFrame({"t": steps}).with_columns(pl.col("t").dt.cast_time_unit("us"))
    # (An empty result keeps its typed columns: the join then gives every step nulls.)
    frame = frame.select("t", *_MEASURE_COLUMNS).with_columns(
        pl.from_epoch("t", "s").dt.replace_time_zone("UTC").dt.cast_time_unit("us")
    )
    return grid.join(frame, on="t", how="left").with_columns(pl.col("requests", "errors").fill_null(0).cast(pl.Int64))


async def endpoints(
    store: AnalyticsStore, app_id: str, org_id: str, start: datetime, end: datetime, limit: int = TOP_ENDPOINTS
) -> pl.DataFrame:
    """method, endpoint, requests, errors, p50_ms, p95_ms: the `limit` slowest by p95."""
    return await query_frame(store, _ENDPOINTS, {**_params(app_id, org_id, start, end), "limit": limit})
