"""The periodic health check of every connection ("connections.health_tick", app/worker.py)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import structlog

from app.domain.connections import health
from app.domain.connections import health_queries as queries
from app.worker import TaskContext

log = structlog.get_logger(__name__)

HEALTH_TASK = "connections.health_tick"
RETENTION = timedelta(days=7)
CONCURRENCY = 8  # checks in flight at once; the outbound client also limits each host
BATCH = 500  # connections per tick; the rest are the most overdue next time


class HealthReport(msgspec.Struct, kw_only=True):
    checked: int = 0
    healthy: int = 0
    degraded: int = 0
    failing: int = 0
    errors: int = 0
    pruned: int = 0
    duration_ms: float = 0.0


async def health_tick(ctx: TaskContext, *, now: datetime | None = None, **_: Any) -> dict[str, Any]:
    """Check the connections whose last check is older than the interval; prune old checks.

    `now` lets tests make every connection due without waiting for the interval."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    interval = timedelta(seconds=ctx["settings"].worker.health_interval_s)
    pool = ctx["engines"].postgres.pool
    assert pool is not None
    # A little slack: a check that ran a few seconds late last time is still due this time.
    async with pool.connection() as conn:
        due = await queries.due(conn, now - interval * 0.9, BATCH)
    report = HealthReport()
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(row: dict[str, Any]) -> None:
        async with slots:
            try:
                outcome = await health.check(ctx, row["org_id"], row["id"])
            except Exception:  # one broken connection must not stop the others' checks
                log.exception("connection_health_check_failed", connection_id=row["id"])
                report.errors += 1
                return
        if outcome is not None:
            report.checked += 1
            setattr(report, outcome.status, getattr(report, outcome.status) + 1)

    await asyncio.gather(*(one(row) for row in due))
    async with pool.connection() as conn:
        report.pruned = await queries.prune(conn, now - RETENTION)
    report.duration_ms = round(1000 * (time.perf_counter() - started), 1)
    log.info("connections_health_tick", **msgspec.structs.asdict(report))
    result: dict[str, Any] = msgspec.to_builtins(report)
    return result
