"""Background tasks of the insights domain (registered in app/worker.py)."""

from __future__ import annotations

from typing import Any

import msgspec

from app.domain.insights import scheduler
from app.domain.jobs.progress import JobProgress
from app.worker import TaskContext

TICK_TASK = "insights.tick"


async def insights_tick(
    ctx: TaskContext, *, org_id: str | None = None, job_id: str | None = None, **_: Any
) -> dict[str, Any]:
    """The periodic evaluation (cron, every application), or "Evaluate now" for one
    organisation with a job row the UI can follow."""
    progress = JobProgress(ctx["engines"].postgres.pool, job_id) if job_id else None  # type: ignore[arg-type]
    if progress is not None:
        await progress.started()
    try:
        report = await scheduler.tick(ctx, org_ids=[org_id] if org_id else None)
    except Exception as exc:
        if progress is not None:
            await progress.failed(f"Evaluation failed: {type(exc).__name__}")
        raise
    result: dict[str, Any] = msgspec.to_builtins(report)
    if progress is not None:
        await progress.completed(result)
    return result
