"""Group commit: many concurrent requests, one ClickHouse insert.

A request hands its decoded items to the writer and waits; the writer flushes when enough
items are pending or the oldest has waited long enough. A flush prepares every pending
request's items in one pass (prepare.py: checks and the Arrow table built a column at a
time), inserts the rows in one statement, and only then answers every waiting request with
what was accepted and what refused. An acknowledged event is therefore already stored. A
retried `uuid` is stored once: rows whose client-chosen uuid is already in the table are
dropped before the insert. When the store fails, every waiting request gets the error (and
answers 503); when too many items are already pending, new ones are refused at once, so
memory stays bounded. Rows built elsewhere (demo traffic) join the same flushes.

What follows a flush (the live stream's deltas) runs in a task of its own, in flush order,
so the next flush does not wait on it: under load, each await costs a turn of an event loop
busy with hundreds of requests, and publishing to Redis held the next insert back by about
a quarter of each flush cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import structlog
from prometheus_client import Histogram

from app.domain.ingest.prepare import Prepared, Submission, retry_checks
from app.domain.ingest.schemas import IngestResult
from app.engines.clickhouse import INPUT, AnalyticsStore, time_param

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
Prepare = Callable[[list[Submission]], Prepared]
# Flush early once no request has arrived for this long (see GroupCommitWriter._due_in)...
LULL_S = 0.002
# ...but start inserts at most this often: at most 50 a second from one writer.
MIN_GAP_S = 0.02
# Flushes whose live deltas may wait to be published before the writer waits for them: a
# stalled Redis holds back inserts only after this many, so memory stays bounded.
AFTER_FLUSH_BACKLOG = 64


class Overloaded(Exception):
    """Too many rows are waiting; the caller should answer 503 with Retry-After."""


class StoreUnavailable(Exception):
    """The insert failed; nothing from this flush was stored."""


@dataclass
class _Pending:
    """A request's items, prepared at flush time, or rows prepared already."""

    size: int
    submission: Submission | None = None
    rows: pa.Table | None = None
    check_uuids: bool = False
    submitted: float = field(default_factory=time.monotonic)
    done: asyncio.Future[Any] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupCommitWriter:
    def __init__(
        self,
        store: AnalyticsStore,
        table: str,
        prepare: Prepare,
        flush_rows: int,
        flush_interval_s: float,
        max_pending_rows: int,
        on_flushed: OnFlushed | None = None,
    ) -> None:
        self._store = store
        self._table = table
        self._prepare = prepare
        self._flush_rows = flush_rows
        self._flush_interval_s = flush_interval_s
        self._max_pending_rows = max_pending_rows
        self._on_flushed = on_flushed
        self._pending: list[_Pending] = []
        self._pending_rows = 0
        self._oldest: float | None = None
        self._last_arrival = 0.0
        self._last_flush = 0.0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._flushed: asyncio.Queue[pa.Table | None] = asyncio.Queue(AFTER_FLUSH_BACKLOG)
        self._after_task: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"group-commit-{self._table}")
        if self._on_flushed is not None:
            self._after_task = asyncio.create_task(self._after_flushes(), name=f"after-flush-{self._table}")

    async def stop(self) -> None:
        """Flush what is pending, pass every flush on to on_flushed, then stop."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        if self._after_task is not None:
            await self._flushed.put(None)
            await self._after_task

    @property
    def pending_rows(self) -> int:
        return self._pending_rows

    async def submit(self, submission: Submission) -> IngestResult:
        """Store a request's items; answer with what was accepted and what refused, by index."""
        if not submission.items:
            return IngestResult(accepted=0, rejected=[])
        result: IngestResult = await self._enqueue(_Pending(len(submission.items), submission=submission))
        return result

    async def write(self, rows: pa.Table, check_uuids: bool) -> int:
        """Store rows prepared elsewhere; return how many were new (retried uuids are not stored twice)."""
        if rows.num_rows == 0:
            return 0
        stored: int = await self._enqueue(_Pending(rows.num_rows, rows=rows, check_uuids=check_uuids))
        return stored

    async def _enqueue(self, pending: _Pending) -> Any:
        if self._closing:
            raise Overloaded("shutting down")
        if self._pending_rows + pending.size > self._max_pending_rows:
            raise Overloaded(f"{self._pending_rows} rows already waiting")
        self._pending.append(pending)
        self._pending_rows += pending.size
        self._last_arrival = time.monotonic()
        if self._oldest is None:
            self._oldest = self._last_arrival
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
            due_in = self._due_in(time.monotonic())
            if due_in > 0:
                # Sleep until due, unless enough rows arrive first.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), due_in)
                self._wake.set()
                continue
            await self._flush()

    def _due_in(self, now: float) -> float:
        """Seconds until the pending rows are to be flushed (0 or less: now).

        When enough rows wait, or the oldest has waited the interval. Or earlier, once
        arrivals pause (LULL_S): whoever was going to join this flush has, and waiting out
        the interval would only delay every answer (clients that send their next event once
        the last is acknowledged would wait the interval each time). The end of a flush is an
        arrival too (see _flush): without it, the few requests that arrived during a long
        insert went in an insert of their own, and under load flushes alternated between
        nearly every client (62,000 rows) and a handful (2,000), the small ones costing
        almost as much as the big (bench/ingest.py: 88,664 -> 102,024 events/s side by side,
        flushes 33,000 / 31,000 rows instead). MIN_GAP_S between
        insert starts bounds how many small inserts (ClickHouse parts) a trickle can cause.
        """
        if self._closing or self._pending_rows >= self._flush_rows:
            return 0.0
        deadline = (self._oldest or now) + self._flush_interval_s
        lull = max(self._last_arrival + LULL_S, self._last_flush + MIN_GAP_S)
        return min(deadline, lull) - now

    async def _flush(self) -> None:
        self._last_flush = time.monotonic()
        batch, self._pending, self._pending_rows, self._oldest = self._pending, [], 0, None
        started = time.perf_counter()
        try:
            prepared, rows, checks = self._rows(batch)
            fresh = await self._without_stored_uuids(rows, checks)
            if fresh.num_rows:
                await self._store.insert_arrow(self._table, fresh)
        except Exception as exc:
            log.warning("ingest_flush_failed", table=self._table, items=sum(p.size for p in batch), error=str(exc))
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_exception(StoreUnavailable(str(exc)))
            return
        FLUSH_ROWS.labels(self._table).observe(fresh.num_rows)
        finished = time.monotonic()
        self._answer(batch, prepared, fresh if fresh.num_rows != rows.num_rows else None)
        # Answering counts as an arrival: the clients just answered are about to send again,
        # so what arrived during the insert waits for a lull, and is flushed with them.
        self._last_arrival = time.monotonic()
        store_wait = STORE_WAIT.labels(self._table)
        for pending in batch:
            store_wait.observe(finished - pending.submitted)
        log.debug("ingest_flushed", table=self._table, rows=fresh.num_rows, seconds=time.perf_counter() - started)
        if self._after_task is not None and fresh.num_rows:
            await self._flushed.put(fresh)

    async def _after_flushes(self) -> None:
        """Hand each flush's stored rows to on_flushed, in order, until stop() sends None."""
        assert self._on_flushed is not None
        while (rows := await self._flushed.get()) is not None:
            try:
                await self._on_flushed(rows)
            except Exception:  # live updates are best effort; the rows are stored
                log.exception("ingest_on_flushed_failed", table=self._table)

    def _rows(self, batch: list[_Pending]) -> tuple[Prepared | None, pa.Table, pa.Table]:
        """Every pending request's items prepared in one pass, then the ready-made rows; and
        the uuids to look for in the store (see Prepared.retry_checks)."""
        submissions = [p.submission for p in batch if p.submission is not None]
        prepared = self._prepare(submissions) if submissions else None
        tables, checks = [], []
        if prepared is not None:
            tables.append(prepared.rows)
            checks.append(prepared.retry_checks)
        for pending in batch:
            if pending.rows is not None:
                tables.append(pending.rows)
                if pending.check_uuids:
                    checks.append(retry_checks(pending.rows.column("uuid"), pending.rows.column("timestamp")))
        rows = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        return prepared, rows, pa.concat_tables(checks) if checks else pa.table({"uuid": pa.array([], pa.string())})

    @staticmethod
    def _answer(batch: list[_Pending], prepared: Prepared | None, fresh: pa.Table | None) -> None:
        """Requests learn what they had accepted; ready-made rows, how many were new (`fresh`
        holds the stored rows when some were dropped as repeats, else None)."""
        stored = set(fresh.column("uuid").to_pylist()) if fresh is not None else None
        answered = 0
        for pending in batch:
            outcome: IngestResult | int
            if pending.submission is not None:
                assert prepared is not None
                outcome = IngestResult(accepted=prepared.accepted[answered], rejected=prepared.rejected[answered])
                answered += 1
            else:
                assert pending.rows is not None
                uuids = pending.rows.column("uuid").to_pylist()
                outcome = len(uuids) if stored is None else sum(1 for u in uuids if u in stored)
            if not pending.done.done():  # (a request whose client went away is cancelled)
                pending.done.set_result(outcome)

    async def _without_stored_uuids(self, rows: pa.Table, checks: pa.Table) -> pa.Table:
        """Drop rows repeated within the flush, and rows whose client-chosen uuid is stored."""
        uuids = rows.column("uuid")
        if len(pc.unique(uuids)) != rows.num_rows:
            rows = rows.filter(_first_occurrences(uuids))
        if checks.num_rows == 0:
            return rows
        apps = pc.unique(rows.column("app_id")).to_pylist()
        existing = await self._store.query_arrow(
            # (An alias named like the column would shadow it in WHERE: ClickHouse scoping.)
            # The time bounds let the sort key, and each part's time range, skip all but the
            # data a stored copy could be in: usually just the batch's own seconds, for a
            # retry carries its timestamp again. The uuids travel as a table, not as an array
            # literal in the SQL: parsing thousands of literals cost more than the lookup.
            f"SELECT toString(uuid) AS stored FROM {self._table} "
            f"WHERE app_id IN {{apps:Array(UUID)}} AND uuid IN (SELECT toUUID(uuid) FROM {INPUT}) "
            "AND timestamp >= {earliest:DateTime64(3, 'UTC')} AND timestamp < {latest:DateTime64(3, 'UTC')}",
            {
                "apps": apps,
                "earliest": time_param(pc.min(checks.column("since")).as_py(), milliseconds=True),
                "latest": time_param(pc.max(rows.column("timestamp")).as_py() + timedelta(seconds=1)),
            },
            input=checks.select(["uuid"]),
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
