"""SQL for connections; every statement is scoped by organisation."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb

from app.core.sql import set_clause

Conn = AsyncConnection[Any]
Row = dict[str, Any]

COLUMNS = """id::text AS id, org_id::text AS org_id, app_id::text AS app_id, name, type, base_url, auth_type,
             credentials_encrypted, config, status, last_checked_at, last_latency_ms, last_error,
             created_at, updated_at"""
# Columns a change may set; anything else never reaches SQL.
UPDATABLE = frozenset({"name", "base_url", "auth_type", "credentials_encrypted", "config"})


async def create(conn: Conn, org_id: str, app_id: str, fields: dict[str, Any]) -> Row:
    cursor = await conn.execute(
        f"""INSERT INTO connections (org_id, app_id, name, type, base_url, auth_type, credentials_encrypted, config)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING {COLUMNS}""",
        (
            org_id,
            app_id,
            fields["name"],
            fields["type"],
            fields.get("base_url"),
            fields.get("auth_type"),
            fields.get("credentials_encrypted"),
            Jsonb(fields.get("config") or {}),
        ),
    )
    row = await cursor.fetchone()
    assert row is not None
    return row


async def list_for_app(conn: Conn, org_id: str, app_id: str) -> list[Row]:
    cursor = await conn.execute(
        f"SELECT {COLUMNS} FROM connections WHERE org_id = %s AND app_id = %s ORDER BY created_at, id",
        (org_id, app_id),
    )
    return await cursor.fetchall()


async def get(conn: Conn, org_id: str, connection_id: str) -> Row | None:
    cursor = await conn.execute(
        f"SELECT {COLUMNS} FROM connections WHERE org_id = %s AND id = %s", (org_id, connection_id)
    )
    return await cursor.fetchone()


async def update(conn: Conn, org_id: str, connection_id: str, changes: dict[str, Any]) -> Row | None:
    if not changes:
        return await get(conn, org_id, connection_id)
    values = [Jsonb(v) if k == "config" else v for k, v in changes.items()]
    statement = sql.SQL("UPDATE connections SET {} WHERE org_id = %s AND id = %s RETURNING ").format(
        set_clause(changes, UPDATABLE)
    ) + sql.SQL(COLUMNS)
    cursor = await conn.execute(statement, (*values, org_id, connection_id))
    return await cursor.fetchone()


async def delete(conn: Conn, org_id: str, connection_id: str) -> bool:
    cursor = await conn.execute("DELETE FROM connections WHERE org_id = %s AND id = %s", (org_id, connection_id))
    return cursor.rowcount == 1


async def record_check(
    conn: Conn, org_id: str, connection_id: str, ok: bool, latency_ms: int, error: str | None
) -> None:
    """A manual test's outcome, shown as the connection's status and last check."""
    await conn.execute(
        """UPDATE connections SET status = CASE WHEN status = 'disabled' THEN status
                                                WHEN %s THEN 'healthy' ELSE 'failing' END,
                  last_checked_at = now(), last_latency_ms = %s, last_error = %s
            WHERE org_id = %s AND id = %s""",
        (ok, latency_ms, error, org_id, connection_id),
    )
