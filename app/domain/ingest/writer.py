"""Group commit: many concurrent requests, one ClickHouse insert.

A request hands its rows to the writer and waits; the writer flushes when enough rows are
pending or the oldest has waited long enough, inserts them in one statement, and only then
answers every waiting request. An acknowledged event is therefore already stored. A retried
`uuid` is stored once: rows whose client-chosen uuid is already in the table are dropped
before the insert. When the store fails, every waiting request gets the error (and answers
503); when too many rows are already pending, new ones are refused at once, so memory stays
bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pyarrow as pa
import pyarrow.compute as pc
import structlog
from prometheus_client import Histogram

from app.engines.clickhouse import AnalyticsStore, time_param

log = structlog.get_logger(__name__)
# From a request handing its rows over to their being stored: what acknowledgement costs.
STORE_WAIT = Histogram(
    "nexus_ingest_store_wait_seconds",
    "Time from submission to stored, per request",
    ["table"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
FLUSH_ROWS = Histogram(
    "nexus_ingest_flush_rows", "Rows per ClickHouse insert", ["table"], buckets=(1, 10, 100, 1_000, 10_000, 100_000)
)
OnFlushed = Callable[[pa.Table], Awaitable[None]]
# How long after the first attempt a retried event (with no timestamp of its own) is still
# recognised by its uuid.
RETRY_HORIZON = timedelta(days=1)


class Overloaded(Exception):
    """Too many rows are waiting; the caller should answer 503 with Retry-After."""


class StoreUnavailable(Exception):
    """The insert failed; nothing from this flush was stored."""


@dataclass
class _Pending:
    rows: pa.Table
    check_uuids: bool
    submitted: float = field(default_factory=time.monotonic)
    done: asyncio.Future[int] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupCommitWriter:
    def __init__(
        self,
        store: AnalyticsStore,
        table: str,
        flush_rows: int,
        flush_interval_s: float,
        max_pending_rows: int,
        on_flushed: OnFlushed | None = None,
    ) -> None:
        self._store = store
        self._table = table
        self._flush_rows = flush_rows
        self._flush_interval_s = flush_interval_s
        self._max_pending_rows = max_pending_rows
        self._on_flushed = on_flushed
        self._pending: list[_Pending] = []
        self._pending_rows = 0
        self._oldest: float | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"group-commit-{self._table}")

    async def stop(self) -> None:
        """Flush what is pending, then stop."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task

    @property
    def pending_rows(self) -> int:
        return self._pending_rows

    async def write(self, rows: pa.Table, check_uuids: bool) -> int:
        """Store `rows`; return how many were new (retried uuids are not stored twice)."""
        if rows.num_rows == 0:
            return 0
        if self._closing:
            raise Overloaded("shutting down")
        if self._pending_rows + rows.num_rows > self._max_pending_rows:
            raise Overloaded(f"{self._pending_rows} rows already waiting")
        pending = _Pending(rows, check_uuids)
        self._pending.append(pending)
        self._pending_rows += rows.num_rows
        if self._oldest is None:
            self._oldest = time.monotonic()
            self._wake.set()
        if self._pending_rows >= self._flush_rows:
            self._wake.set()
        return await pending.done

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._pending:
                if self._closing:
                    return
                continue
            waited = time.monotonic() - (self._oldest or time.monotonic())
            if self._pending_rows < self._flush_rows and waited < self._flush_interval_s and not self._closing:
                # Sleep out the rest of the interval unless enough rows arrive first.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._flush_interval_s - waited)
                self._wake.set()
                continue
            await self._flush()

    async def _flush(self) -> None:
        batch, self._pending, self._pending_rows, self._oldest = self._pending, [], 0, None
        started = time.perf_counter()
        try:
            rows = pa.concat_tables([p.rows for p in batch])
            fresh = await self._without_stored_uuids(rows, any(p.check_uuids for p in batch))
            if fresh.num_rows:
                await self._store.insert_arrow(self._table, fresh)
        except Exception as exc:
            log.warning(
                "ingest_flush_failed", table=self._table, rows=sum(p.rows.num_rows for p in batch), error=str(exc)
            )
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_exception(StoreUnavailable(str(exc)))
            return
        FLUSH_ROWS.labels(self._table).observe(fresh.num_rows)
        finished = time.monotonic()
        stored = set(fresh.column("uuid").to_pylist()) if fresh.num_rows != rows.num_rows else None
        for pending in batch:
            if stored is None:
                new = pending.rows.num_rows
            else:
                new = sum(1 for u in pending.rows.column("uuid").to_pylist() if u in stored)
            if not pending.done.done():
                pending.done.set_result(new)
            STORE_WAIT.labels(self._table).observe(finished - pending.submitted)
        log.debug("ingest_flushed", table=self._table, rows=fresh.num_rows, seconds=time.perf_counter() - started)
        if self._on_flushed is not None and fresh.num_rows:
            try:
                await self._on_flushed(fresh)
            except Exception:  # live updates are best effort; the rows are stored
                log.exception("ingest_on_flushed_failed", table=self._table)

    async def _without_stored_uuids(self, rows: pa.Table, check: bool) -> pa.Table:
        """Drop rows repeated within the flush, and (for client-chosen uuids) rows already stored."""
        uuids = rows.column("uuid")
        if len(pc.unique(uuids)) != rows.num_rows:
            rows = rows.filter(_first_occurrences(uuids))
        if not check:
            return rows
        apps = pc.unique(rows.column("app_id")).to_pylist()
        bounds = pc.min_max(rows.column("timestamp"))
        existing = await self._store.query_arrow(
            # (An alias named like the column would shadow it in WHERE: ClickHouse scoping.)
            # The time bound lets the sort key skip all but a day of each application's
            # granules. A retry carries its own timestamp, or (none sent) gets a later time
            # of receipt: the stored copy is never after the batch, nor, for retries within
            # RETRY_HORIZON, much before it.
            f"SELECT toString(uuid) AS stored FROM {self._table} "
            "WHERE app_id IN {apps:Array(UUID)} AND uuid IN {uuids:Array(UUID)} "
            "AND timestamp >= {earliest:DateTime64(3, 'UTC')} AND timestamp < {latest:DateTime64(3, 'UTC')}",
            {
                "apps": apps,
                "uuids": rows.column("uuid").to_pylist(),
                "earliest": time_param(bounds["min"].as_py() - RETRY_HORIZON),
                "latest": time_param(bounds["max"].as_py() + timedelta(seconds=1)),
            },
        )
        if existing.num_rows == 0:
            return rows
        return rows.filter(pc.invert(pc.is_in(rows.column("uuid"), value_set=existing.column("stored"))))


def _first_occurrences(values: pa.ChunkedArray) -> pa.Array:
    seen: set[str] = set()
    keep = []
    for value in values.to_pylist():
        keep.append(value not in seen)
        seen.add(value)
    return pa.array(keep)
