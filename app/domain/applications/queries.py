"""SQL for applications; every statement is scoped by organisation."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection, sql

from app.core.pagination import Cursor, keyset
from app.core.sql import set_clause

Conn = AsyncConnection[Any]
Row = dict[str, Any]

COLUMNS = """id::text AS id, name, type, status, learning_progress, base_url, description,
             ingest_key_encrypted, created_at, updated_at"""
# Columns a PATCH may set; anything else never reaches SQL.
UPDATABLE = frozenset({"name", "type", "status", "base_url", "description"})


async def create(
    conn: Conn, org_id: str, fields: dict[str, Any], key_prefix: str, key_hash: bytes, key_encrypted: str
) -> Row:
    cursor = await conn.execute(
        f"""INSERT INTO applications (org_id, name, type, base_url, description,
                                      ingest_key_prefix, ingest_key_hash, ingest_key_encrypted)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING {COLUMNS}""",
        (
            org_id,
            fields["name"],
            fields["type"],
            fields.get("base_url"),
            fields.get("description"),
            key_prefix,
            key_hash,
            key_encrypted,
        ),
    )
    row = await cursor.fetchone()
    assert row is not None
    return row


async def list_page(conn: Conn, org_id: str, limit: int, after: Cursor | None) -> list[Row]:
    sql = f"SELECT {COLUMNS} FROM applications WHERE org_id = %s"
    cursor = await conn.execute(*keyset(sql, [org_id], limit, after))
    return await cursor.fetchall()


async def get(conn: Conn, org_id: str, app_id: str) -> Row | None:
    cursor = await conn.execute(f"SELECT {COLUMNS} FROM applications WHERE org_id = %s AND id = %s", (org_id, app_id))
    return await cursor.fetchone()


async def update(conn: Conn, org_id: str, app_id: str, changes: dict[str, Any]) -> Row | None:
    if not changes:
        return await get(conn, org_id, app_id)
    statement = sql.SQL("UPDATE applications SET {} WHERE org_id = %s AND id = %s RETURNING ").format(
        set_clause(changes, UPDATABLE)
    ) + sql.SQL(COLUMNS)
    cursor = await conn.execute(statement, (*changes.values(), org_id, app_id))
    return await cursor.fetchone()


async def delete(conn: Conn, org_id: str, app_id: str) -> bool:
    cursor = await conn.execute("DELETE FROM applications WHERE org_id = %s AND id = %s", (org_id, app_id))
    return cursor.rowcount == 1


async def set_ingest_key(
    conn: Conn, org_id: str, app_id: str, key_prefix: str, key_hash: bytes, key_encrypted: str
) -> bool:
    cursor = await conn.execute(
        """UPDATE applications SET ingest_key_prefix = %s, ingest_key_hash = %s, ingest_key_encrypted = %s
            WHERE org_id = %s AND id = %s""",
        (key_prefix, key_hash, key_encrypted, org_id, app_id),
    )
    return cursor.rowcount == 1


async def by_ingest_key(conn: Conn, key_hash: bytes) -> Row | None:
    """The application an ingest key writes to (the key is the only credential)."""
    cursor = await conn.execute(
        "SELECT id::text AS id, org_id::text AS org_id, status FROM applications WHERE ingest_key_hash = %s",
        (key_hash,),
    )
    return await cursor.fetchone()
