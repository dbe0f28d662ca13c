"""SQL for webhook endpoints; every statement is scoped by organisation."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection, sql

from app.core.pagination import Cursor, keyset
from app.core.sql import set_clause

Conn = AsyncConnection[Any]
Row = dict[str, Any]

COLUMNS = "id::text AS id, url, events, description, is_active, secret_encrypted, created_at, updated_at"
# Columns a PATCH may set; anything else never reaches SQL.
UPDATABLE = frozenset({"url", "events", "description", "is_active"})


async def create(conn: Conn, org_id: str, user_id: str | None, fields: dict[str, Any], secret_encrypted: str) -> Row:
    cursor = await conn.execute(
        f"""INSERT INTO webhooks (org_id, url, events, description, secret_encrypted, created_by)
            VALUES (%s, %s, %s, %s, %s, %s) RETURNING {COLUMNS}""",
        (org_id, fields["url"], list(fields["events"]), fields.get("description"), secret_encrypted, user_id),
    )
    row = await cursor.fetchone()
    assert row is not None
    return row


async def list_page(conn: Conn, org_id: str, limit: int, after: Cursor | None) -> list[Row]:
    cursor = await conn.execute(*keyset(f"SELECT {COLUMNS} FROM webhooks WHERE org_id = %s", [org_id], limit, after))
    return await cursor.fetchall()


async def get(conn: Conn, org_id: str, webhook_id: str) -> Row | None:
    cursor = await conn.execute(f"SELECT {COLUMNS} FROM webhooks WHERE org_id = %s AND id = %s", (org_id, webhook_id))
    return await cursor.fetchone()


async def update(conn: Conn, org_id: str, webhook_id: str, changes: dict[str, Any]) -> Row | None:
    if not changes:
        return await get(conn, org_id, webhook_id)
    statement = sql.SQL("UPDATE webhooks SET {} WHERE org_id = %s AND id = %s RETURNING ").format(
        set_clause(changes, UPDATABLE)
    ) + sql.SQL(COLUMNS)
    cursor = await conn.execute(statement, (*changes.values(), org_id, webhook_id))
    return await cursor.fetchone()


async def delete(conn: Conn, org_id: str, webhook_id: str) -> bool:
    cursor = await conn.execute("DELETE FROM webhooks WHERE org_id = %s AND id = %s", (org_id, webhook_id))
    return cursor.rowcount == 1


async def set_secret(conn: Conn, org_id: str, webhook_id: str, secret_encrypted: str) -> Row | None:
    cursor = await conn.execute(
        f"UPDATE webhooks SET secret_encrypted = %s WHERE org_id = %s AND id = %s RETURNING {COLUMNS}",
        (secret_encrypted, org_id, webhook_id),
    )
    return await cursor.fetchone()
