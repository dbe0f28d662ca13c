"""The analytics store: bound parameters, Arrow → polars, concurrency, a free event loop."""

from __future__ import annotations

import asyncio

import polars as pl
import pytest
from litestar import Litestar

from app.engines.clickhouse import ChDBStore, query_frame


async def test_bound_parameters_cannot_inject(started_app: Litestar) -> None:
    store = started_app.state.engines.clickhouse
    hostile = "x'); DROP TABLE events; --"
    frame = await query_frame(
        store, "SELECT {name:String} AS name, {n:UInt32} * 2 AS twice", {"name": hostile, "n": 21}
    )
    assert isinstance(frame, pl.DataFrame)
    assert frame.to_dicts() == [{"name": hostile, "twice": 42}]
    tables = await store.query_arrow("SELECT name FROM system.tables WHERE database = currentDatabase()")
    assert "events" in tables.column("name").to_pylist()


async def test_concurrent_queries_each_get_their_own_answer(started_app: Litestar) -> None:
    store = started_app.state.engines.clickhouse
    frames = await asyncio.gather(
        *(query_frame(store, "SELECT sum(number) AS total FROM numbers({n:UInt64})", {"n": n}) for n in range(1, 41))
    )
    assert [frame.item() for frame in frames] == [n * (n - 1) // 2 for n in range(1, 41)]


async def test_the_event_loop_keeps_serving_while_a_query_runs(started_app: Litestar) -> None:
    store = started_app.state.engines.clickhouse
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.create_task(ticker())
    await store.command("SELECT sleep(0.5)")
    running.cancel()
    # Had the query blocked the loop, the ticker could not have run in the meantime.
    assert ticks >= 10


async def test_the_embedded_engine_keeps_decompressed_blocks(started_app: Litestar) -> None:
    """Live panels re-read the same recent granules every few seconds (NEXUS_CLICKHOUSE_BLOCK_CACHE_MB)."""
    store = started_app.state.engines.clickhouse
    if not isinstance(store, ChDBStore):
        pytest.skip("a ClickHouse server's caches are its own configuration's")
    frame = await query_frame(
        store,
        "SELECT getSetting('use_uncompressed_cache') AS used, "
        "(SELECT value FROM system.server_settings WHERE name = 'uncompressed_cache_size') AS size",
    )
    mb = started_app.state.settings.clickhouse.block_cache_mb
    assert mb > 0
    assert frame.to_dicts() == [{"used": True, "size": str(mb * 1024 * 1024)}]
