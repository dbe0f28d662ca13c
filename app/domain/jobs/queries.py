"""SQL for user-visible jobs; every statement is scoped by organisation."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

Conn = AsyncConnection[Any]
Row = dict[str, Any]

COLUMNS = """id::text AS id, app_id::text AS app_id, kind, subject_id::text AS subject_id, status, progress,
             steps, result, error, created_at, started_at, finished_at"""


async def create(
    conn: Conn, org_id: str, kind: str, app_id: str | None, subject_id: str | None, created_by: str | None
) -> Row:
    cursor = await conn.execute(
        f"""INSERT INTO jobs (org_id, kind, app_id, subject_id, created_by)
            VALUES (%s, %s, %s, %s, %s) RETURNING {COLUMNS}""",
        (org_id, kind, app_id, subject_id, created_by),
    )
    row = await cursor.fetchone()
    assert row is not None
    return row


async def get(conn: Conn, org_id: str, job_id: str) -> Row | None:
    cursor = await conn.execute(f"SELECT {COLUMNS} FROM jobs WHERE org_id = %s AND id = %s", (org_id, job_id))
    return await cursor.fetchone()


async def latest_for_subject(conn: Conn, org_id: str, subject_id: str) -> Row | None:
    cursor = await conn.execute(
        f"""SELECT {COLUMNS} FROM jobs WHERE org_id = %s AND subject_id = %s
            ORDER BY created_at DESC LIMIT 1""",
        (org_id, subject_id),
    )
    return await cursor.fetchone()


async def start(conn: Conn, job_id: str) -> None:
    await conn.execute("UPDATE jobs SET status = 'running', started_at = now(), error = NULL WHERE id = %s", (job_id,))


async def add_step(conn: Conn, job_id: str, progress: int, step: dict[str, Any]) -> None:
    # GREATEST: progress only ever rises, even if steps finish out of order.
    await conn.execute(
        """UPDATE jobs SET progress = GREATEST(progress, %s), steps = steps || %s::jsonb
           WHERE id = %s""",
        (progress, Jsonb([step]), job_id),
    )


async def finish(conn: Conn, job_id: str, result: dict[str, Any]) -> None:
    await conn.execute(
        """UPDATE jobs SET status = 'completed', progress = 100, result = %s, finished_at = now()
           WHERE id = %s""",
        (Jsonb(result), job_id),
    )


async def fail(conn: Conn, job_id: str, error: str) -> None:
    await conn.execute(
        "UPDATE jobs SET status = 'failed', error = %s, finished_at = now() WHERE id = %s", (error, job_id)
    )
