"""Demo history: generated rows stored straight into the analytics store, a chunk at a time.

All demo applications go in one insert per table per chunk, and each application's stored
range [filled_from, filled_until) is recorded after every chunk. `fill_forward` extends it
from filled_until up to now, oldest first (the range stays contiguous); `fill_backward`
from filled_from back to the start of the window, newest first, so the charts people open
first (the last hours and days) fill first. Rows are deterministic, and those whose uuid
is already stored in the chunk's range are dropped before the insert: a chunk stored just
before a crash, and not yet recorded, is not stored twice.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from app.domain.demo import queries
from app.domain.demo.apps import DemoApp
from app.domain.demo.traffic import TrafficGenerator
from app.engines import Engines
from app.engines.clickhouse import time_param

CHUNK = timedelta(days=2)  # history per insert (all demo applications together)


async def _unstored(engines: Engines, table: str, rows: pa.Table, start: datetime, end: datetime) -> pa.Table:
    """`rows` without those whose uuid is already stored in [start, end)."""
    if rows.num_rows == 0:
        return rows
    stored = await engines.clickhouse.query_arrow(
        f"SELECT toString(uuid) AS stored FROM {table} "
        "WHERE app_id IN {apps:Array(UUID)} "
        "AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}",
        {
            "apps": pc.unique(rows.column("app_id")).to_pylist(),
            "start": time_param(start, milliseconds=True),
            "end": time_param(end, milliseconds=True),
        },
    )
    if stored.num_rows == 0:
        return rows
    return rows.filter(pc.invert(pc.is_in(rows.column("uuid"), value_set=stored.column("stored"))))


Part = tuple[TrafficGenerator, datetime, datetime]


def _received_as_it_happened(rows: pa.Table) -> pa.Table:
    """History is stored as if each row had arrived when it happened. Left to the column's
    default (the time of the insert), the rows backfilled at startup for the last minutes
    read as minutes of ingestion delay on the application page, which measures the live
    pipeline (received_at - timestamp over the last 5 minutes)."""
    return rows.append_column("received_at", rows.column("timestamp"))


async def _store(engines: Engines, parts: list[Part]) -> int:
    """Generate and insert one chunk: the given range of each generator; returns new events."""

    def generate() -> tuple[pa.Table, pa.Table]:
        events = pa.concat_tables([gen.events(start, end) for gen, start, end in parts])
        metrics = pa.concat_tables([gen.metrics(start, end) for gen, start, end in parts])
        return events, metrics

    events, metrics = await asyncio.to_thread(generate)  # numpy and polars, off the event loop
    start, end = min(p[1] for p in parts), max(p[2] for p in parts)
    events = await _unstored(engines, "events", events, start, end)
    metrics = await _unstored(engines, "performance_metrics", metrics, start, end)
    if events.num_rows:
        await engines.clickhouse.insert_arrow("events", _received_as_it_happened(events))
    if metrics.num_rows:
        await engines.clickhouse.insert_arrow("performance_metrics", _received_as_it_happened(metrics))
    return events.num_rows


async def record(engines: Engines, apps: list[DemoApp], key: str, moment: datetime) -> None:
    assert engines.postgres.pool is not None
    async with engines.postgres.pool.connection() as conn:
        await queries.record_filled(conn, [app.app_id for app in apps], key, moment)


async def fill_forward(engines: Engines, apps: list[DemoApp], now: datetime, window: timedelta) -> int:
    """Store each application's history from filled_until up to `now`, oldest first.

    An application never filled, or last filled before the window began, starts afresh at
    `now` (its backward fill then covers the window)."""
    fresh = [app for app in apps if app.filled_until is None or app.filled_until < now - window]
    for app in fresh:
        app.filled_from = app.filled_until = now
    if fresh:
        await record(engines, fresh, "filled_from", now)
        await record(engines, fresh, "filled_until", now)
    generators = {app.app_id: app.generator() for app in apps}
    stored = 0
    while ends := [(app, app.filled_until) for app in apps if app.filled_until and app.filled_until < now]:
        chunk_end = min(min(until for _, until in ends) + CHUNK, now)
        part = [(app, until) for app, until in ends if until < chunk_end]
        stored += await _store(engines, [(generators[app.app_id], until, chunk_end) for app, until in part])
        for app, _ in part:
            app.filled_until = chunk_end
        await record(engines, [app for app, _ in part], "filled_until", chunk_end)
    return stored


async def fill_backward(
    engines: Engines, apps: list[DemoApp], window_start: datetime, stop: asyncio.Event | None = None
) -> int:
    """Store each application's history from filled_from back to `window_start`, newest first."""
    generators = {app.app_id: app.generator() for app in apps}
    stored = 0
    while starts := [(app, app.filled_from) for app in apps if app.filled_from and app.filled_from > window_start]:
        if stop is not None and stop.is_set():
            break
        chunk_start = max(max(since for _, since in starts) - CHUNK, window_start)
        part = [(app, since) for app, since in starts if since > chunk_start]
        stored += await _store(engines, [(generators[app.app_id], chunk_start, since) for app, since in part])
        for app, _ in part:
            app.filled_from = chunk_start
        await record(engines, [app for app, _ in part], "filled_from", chunk_start)
    return stored
