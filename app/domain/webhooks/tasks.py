"""Queue tasks: one delivery attempt, and the sweep that re-enqueues due rows.

The rows are the source of truth; queue jobs are only wake-ups. If Redis loses a job, the
sweep finds the row once it is due and enqueues it again.
"""

from __future__ import annotations

from typing import Any

from app.domain.webhooks import delivery, delivery_queries

SWEEP_BATCH = 500


async def deliver(ctx: dict[str, Any], *, delivery_id: str) -> str:
    result = await delivery.attempt(
        ctx["engines"].postgres.pool,
        ctx["outbound"],
        ctx["box"],
        ctx["settings"].webhooks,
        delivery_id,
        queue=ctx["queue"],
    )
    return "skipped" if result is None else result.status


async def sweep_webhooks(ctx: dict[str, Any]) -> int:
    """Enqueue every due pending/retrying delivery; duplicates of queued jobs are dropped by key."""
    async with ctx["engines"].postgres.pool.connection() as conn:
        rows = await delivery_queries.due(conn, SWEEP_BATCH)
    for row in rows:
        await delivery.enqueue_delivery(ctx["queue"], row["id"], row["attempt"] + 1)
    return len(rows)
