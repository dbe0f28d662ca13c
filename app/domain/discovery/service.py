"""Starting a discovery run: the user-visible job row, then the queued task."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from saq import Queue

from app.core.auth import Principal
from app.domain.connections import queries as connection_queries
from app.domain.connections.service import not_found
from app.domain.jobs import queries as job_queries

TASK = "discovery.run"
KIND = "discovery"
# saq stops a task after this long (its default, 10 s, is far too short for a large API).
RUN_TIMEOUT_S = 600


async def start_discovery(conn: AsyncConnection[Any], queue: Queue, principal: Principal, connection_id: str) -> str:
    """Create the job row and enqueue the run; returns the job id (GET /v1/jobs/{id} follows it)."""
    row = await connection_queries.get(conn, principal.org_id, connection_id)
    if row is None:
        raise not_found()
    job = await job_queries.create(conn, principal.org_id, KIND, row["app_id"], connection_id, principal.user_id)
    # The saq key is the job id: one queue entry per requested run.
    await queue.enqueue(
        TASK,
        key=job["id"],
        timeout=RUN_TIMEOUT_S,
        job_id=job["id"],
        org_id=principal.org_id,
        connection_id=connection_id,
    )
    return str(job["id"])
