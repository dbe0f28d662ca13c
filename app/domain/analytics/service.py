"""The query runner: TrendQuery in, TrendResult out (build → run → shape).

Parse and check happen before (schemas, timerange); this module is the only one that
sends analytics SQL to the store. Results are cached for a few seconds by the query's
key, so a dashboard opened by many people at once costs one query per panel; a live view
refreshing because events were stored at time t takes only a result computed after t
(`newer_than`), so its many viewers still cost one query per panel and stored batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

import polars as pl

from app.domain.analytics import funnels, queries, retention, shaping
from app.domain.analytics.schemas import Point, SeenName, Series, Total, TrendQuery
from app.engines.clickhouse import AnalyticsStore, Params, query_frame

CACHE_TTL_S = 5.0
CACHE_MAX_ENTRIES = 512
NAMES_LOOKBACK = timedelta(days=30)
PROPERTY_LOOKBACK = timedelta(days=7)
# The names seen change slowly, and every dashboard page and panel builder lists them.
NAMES_TTL_S = 60.0


@dataclass(frozen=True)
class TrendResult:
    query: TrendQuery
    # What answered: the events or one of the hourly rollups (queries.ROLLUPS).
    source: str
    # shaping.shape()'s frame: t, series, value (series mode) or series, value (total mode).
    frame: pl.DataFrame
    # When the rows were read: a chart drawn later from the cache still marks as under way
    # the bucket that was filling then, not the one filling as it is drawn.
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def series(self) -> list[Series]:
        if self.query.mode == "total":
            return []
        return [
            Series(label=label, points=[Point(t=t, value=v) for t, v in zip(group["t"], group["value"], strict=True)])
            for (label,), group in self.frame.group_by("series", maintain_order=True)
        ]

    def totals(self) -> list[Total]:
        frame = self.frame if self.query.mode == "total" else shaping.totals(self.frame)
        return [Total(label=row["series"], value=row["value"]) for row in frame.iter_rows(named=True)]


R = TypeVar("R")


class _Cache(Generic[R]):
    """A small time-bounded cache of shaped frames (they are immutable)."""

    def __init__(self, ttl_s: float, max_entries: int) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        # key -> (expires, monotonic clock; computed at, wall clock; result)
        self._entries: dict[str, tuple[float, float, R]] = {}

    def get(self, key: str, newer_than: float | None = None) -> R | None:
        """The cached result, if still within its TTL and, given `newer_than` (epoch
        seconds), computed after it."""
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            self._entries.pop(key, None)
            return None
        if newer_than is not None and entry[1] <= newer_than:
            return None
        return entry[2]

    def put(self, key: str, result: R) -> None:
        if len(self._entries) >= self.max_entries:
            now = time.monotonic()
            self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
            while len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (time.monotonic() + self.ttl_s, time.time(), result)

    def clear(self) -> None:
        self._entries.clear()


cache: _Cache[TrendResult] = _Cache(CACHE_TTL_S, CACHE_MAX_ENTRIES)
funnel_cache: _Cache[funnels.FunnelResult] = _Cache(CACHE_TTL_S, CACHE_MAX_ENTRIES)
retention_cache: _Cache[retention.RetentionResult] = _Cache(CACHE_TTL_S, CACHE_MAX_ENTRIES)
names_cache: _Cache[list[SeenName]] = _Cache(NAMES_TTL_S, CACHE_MAX_ENTRIES)


async def run(
    store: AnalyticsStore, query: TrendQuery, source: str | None = None, newer_than: float | None = None
) -> TrendResult:
    """Answer `query`. `source` forces a table (tests compare them);
    `newer_than` (epoch seconds) takes a cached result only if computed after it."""
    key = f"{query.cache_key()}:{source or ''}"
    if (hit := cache.get(key, newer_than)) is not None:
        return hit
    compiled = queries.build(query, source)
    read_at = datetime.now(UTC)
    raw = await query_frame(store, compiled.sql, compiled.params)
    result = TrendResult(query=query, source=compiled.source, frame=shaping.shape(raw, query), read_at=read_at)
    cache.put(key, result)
    return result


async def run_funnel(
    store: AnalyticsStore, query: funnels.FunnelQuery, newer_than: float | None = None
) -> funnels.FunnelResult:
    """People per funnel step (cached like trends)."""
    key = query.cache_key()
    if (hit := funnel_cache.get(key, newer_than)) is not None:
        return hit
    compiled = funnels.build(query)
    raw = await query_frame(store, compiled.sql, compiled.params)
    result = funnels.FunnelResult(query=query, frame=funnels.conversion(raw, query.steps))
    funnel_cache.put(key, result)
    return result


async def run_retention(
    store: AnalyticsStore, query: retention.RetentionQuery, newer_than: float | None = None
) -> retention.RetentionResult:
    """The cohort-by-week grid (cached like trends)."""
    key = query.cache_key()
    if (hit := retention_cache.get(key, newer_than)) is not None:
        return hit
    compiled = retention.build(query)
    raw = await query_frame(store, compiled.sql, compiled.params)
    result = retention.RetentionResult(query=query, frame=retention.matrix(raw, query.first_week(), query.weeks))
    retention_cache.put(key, result)
    return result


async def event_names(store: AnalyticsStore, app_id: str, org_id: str, limit: int = 500) -> list[SeenName]:
    since = datetime.now(UTC) - NAMES_LOOKBACK
    sql, params = queries.event_names(app_id, org_id, since, limit)
    return await _names(store, f"events:{app_id}:{org_id}:{limit}", sql, params)


async def property_names(store: AnalyticsStore, app_id: str, org_id: str, limit: int = 200) -> list[SeenName]:
    since = datetime.now(UTC) - PROPERTY_LOOKBACK
    sql, params = queries.property_names(app_id, org_id, since, limit)
    return await _names(store, f"properties:{app_id}:{org_id}:{limit}", sql, params)


async def _names(store: AnalyticsStore, key: str, sql: str, params: Params) -> list[SeenName]:
    """Names seen, kept for NAMES_TTL_S; but not none seen, so an application's first events
    are offered as soon as they are stored."""
    if (hit := names_cache.get(key)) is not None:
        return hit
    frame = await query_frame(store, sql, params)
    names = [SeenName(name=str(name), events=int(count)) for name, count in frame.iter_rows()]
    if names:
        names_cache.put(key, names)
    return names
