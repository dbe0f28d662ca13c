"""SQL for connection health: due connections, check rows, history. Scoped by organisation,
except `due` and `prune`, which the platform's own periodic task runs across organisations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

Conn = AsyncConnection[Any]
Row = dict[str, Any]

_CONNECTION = """id::text AS id, org_id::text AS org_id, app_id::text AS app_id, name, type, status,
                 base_url, config, last_checked_at, last_latency_ms, last_error"""


async def due(conn: Conn, checked_before: datetime, limit: int) -> list[Row]:
    """Connections not checked since `checked_before`, longest-waiting first (connections_due_check_idx)."""
    cursor = await conn.execute(
        """SELECT id::text AS id, org_id::text AS org_id
             FROM connections
            WHERE status <> 'disabled' AND (last_checked_at IS NULL OR last_checked_at < %s)
            ORDER BY last_checked_at NULLS FIRST
            LIMIT %s""",
        (checked_before, limit),
    )
    return list(await cursor.fetchall())


async def recent_outcomes(conn: Conn, org_id: str, connection_id: str, limit: int) -> list[bool]:
    """The last checks' ok flags, newest first."""
    cursor = await conn.execute(
        """SELECT ok FROM connection_checks
            WHERE org_id = %s AND connection_id = %s
            ORDER BY checked_at DESC, id DESC
            LIMIT %s""",
        (org_id, connection_id, limit),
    )
    return [row["ok"] for row in await cursor.fetchall()]


async def record(
    conn: Conn,
    org_id: str,
    connection_id: str,
    status: str,
    ok: bool,
    latency_ms: int | None,
    status_code: int | None,
    error: str | None,
) -> tuple[str, datetime] | None:
    """Store a check and the connection's new status; returns (previous status, checked_at),
    or None when the connection is gone or was disabled meanwhile. Run inside a transaction."""
    cursor = await conn.execute(
        "SELECT status FROM connections WHERE org_id = %s AND id = %s FOR UPDATE", (org_id, connection_id)
    )
    current = await cursor.fetchone()
    if current is None or current["status"] == "disabled":
        return None
    cursor = await conn.execute(
        """INSERT INTO connection_checks (org_id, connection_id, ok, latency_ms, status_code, error)
           VALUES (%s, %s, %s, %s, %s, %s) RETURNING checked_at""",
        (org_id, connection_id, ok, latency_ms, status_code, error),
    )
    inserted = await cursor.fetchone()
    assert inserted is not None
    await conn.execute(
        """UPDATE connections
              SET status = %s, last_checked_at = %s, last_latency_ms = %s, last_error = %s
            WHERE org_id = %s AND id = %s""",
        (status, inserted["checked_at"], latency_ms, error, org_id, connection_id),
    )
    return current["status"], inserted["checked_at"]


async def prune(conn: Conn, older_than: datetime) -> int:
    cursor = await conn.execute("DELETE FROM connection_checks WHERE checked_at < %s", (older_than,))
    return cursor.rowcount


async def for_app(conn: Conn, org_id: str, app_id: str) -> list[Row]:
    cursor = await conn.execute(
        f"SELECT {_CONNECTION} FROM connections WHERE org_id = %s AND app_id = %s ORDER BY name, created_at",
        (org_id, app_id),
    )
    return list(await cursor.fetchall())


async def one(conn: Conn, org_id: str, app_id: str, connection_id: str) -> Row | None:
    cursor = await conn.execute(
        f"SELECT {_CONNECTION} FROM connections WHERE org_id = %s AND app_id = %s AND id = %s",
        (org_id, app_id, connection_id),
    )
    return await cursor.fetchone()


async def history(conn: Conn, org_id: str, connection_ids: list[str], since: datetime) -> list[Row]:
    """Checks of these connections since `since`, oldest first."""
    if not connection_ids:
        return []
    cursor = await conn.execute(
        """SELECT connection_id::text AS connection_id, checked_at, ok, latency_ms, status_code, error
             FROM connection_checks
            WHERE org_id = %s AND connection_id = ANY(%s::uuid[]) AND checked_at >= %s
            ORDER BY checked_at, id""",
        (org_id, connection_ids, since),
    )
    return list(await cursor.fetchall())
