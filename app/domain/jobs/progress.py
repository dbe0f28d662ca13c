"""Progress reporting for a running job: what a task calls as it advances.

A task gets a `JobProgress` for its job row and reports steps as they finish; the UI's
progress bar and `GET /v1/jobs/{id}` read the row. Each report is its own short statement,
so progress is visible while the job's other work is still in flight.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psycopg_pool import AsyncConnectionPool

from app.domain.jobs import queries


class JobProgress:
    def __init__(self, pool: AsyncConnectionPool[Any], job_id: str) -> None:
        self.pool = pool
        self.job_id = job_id

    async def started(self) -> None:
        async with self.pool.connection() as conn:
            await queries.start(conn, self.job_id)

    async def step(self, name: str, progress: int, detail: str = "") -> None:
        step = {"name": name, "detail": detail, "at": datetime.now(UTC).isoformat()}
        async with self.pool.connection() as conn:
            await queries.add_step(conn, self.job_id, max(0, min(99, progress)), step)

    async def completed(self, result: dict[str, Any] | None = None) -> None:
        async with self.pool.connection() as conn:
            await queries.finish(conn, self.job_id, result or {})

    async def failed(self, error: str) -> None:
        async with self.pool.connection() as conn:
            await queries.fail(conn, self.job_id, error)
