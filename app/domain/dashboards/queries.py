"""SQL for dashboards and panels; every statement is scoped by organisation."""

from __future__ import annotations

from typing import Any

import msgspec
from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb

from app.core.pagination import Cursor, keyset
from app.core.sql import set_clause

Conn = AsyncConnection[Any]
Row = dict[str, Any]

COLUMNS = """id::text AS id, name, description, app_id::text AS app_id, created_by::text AS created_by,
             created_at, updated_at"""
PANEL_COLUMNS = """id::text AS id, dashboard_id::text AS dashboard_id, title, chart_type, query, width, height,
                   position, created_at, updated_at, options"""
# Columns a PATCH may set; anything else never reaches SQL.
UPDATABLE = frozenset({"name", "description", "app_id"})
PANEL_UPDATABLE = frozenset({"title", "chart_type", "query", "width", "height", "options"})


async def create(conn: Conn, org_id: str, user_id: str | None, fields: dict[str, Any]) -> Row:
    cursor = await conn.execute(
        f"""INSERT INTO dashboards (org_id, name, description, app_id, created_by)
            VALUES (%s, %s, %s, %s, %s) RETURNING {COLUMNS}""",
        (org_id, fields["name"], fields.get("description"), fields.get("app_id"), user_id),
    )
    row = await cursor.fetchone()
    assert row is not None
    return row


async def list_page(conn: Conn, org_id: str, limit: int, after: Cursor | None) -> list[Row]:
    sql = f"""SELECT {COLUMNS},
                     (SELECT count(*) FROM panels p WHERE p.org_id = d.org_id AND p.dashboard_id = d.id)::int
                         AS panel_count
              FROM dashboards d WHERE org_id = %s"""
    cursor = await conn.execute(*keyset(sql, [org_id], limit, after))
    return await cursor.fetchall()


async def get(conn: Conn, org_id: str, dashboard_id: str, lock: bool = False) -> Row | None:
    """One dashboard; `lock` holds its row until the transaction ends, which serialises
    changes to its panels' order."""
    sql = f"SELECT {COLUMNS} FROM dashboards WHERE org_id = %s AND id = %s"
    cursor = await conn.execute(sql + (" FOR UPDATE" if lock else ""), (org_id, dashboard_id))
    return await cursor.fetchone()


async def update(conn: Conn, org_id: str, dashboard_id: str, changes: dict[str, Any]) -> Row | None:
    if not changes:
        return await get(conn, org_id, dashboard_id)
    statement = sql.SQL("UPDATE dashboards SET {} WHERE org_id = %s AND id = %s RETURNING ").format(
        set_clause(changes, UPDATABLE)
    ) + sql.SQL(COLUMNS)
    cursor = await conn.execute(statement, (*changes.values(), org_id, dashboard_id))
    return await cursor.fetchone()


async def delete(conn: Conn, org_id: str, dashboard_id: str) -> bool:
    cursor = await conn.execute("DELETE FROM dashboards WHERE org_id = %s AND id = %s", (org_id, dashboard_id))
    return cursor.rowcount == 1


# Panels ---------------------------------------------------------------------------------


async def panels(conn: Conn, org_id: str, dashboard_id: str) -> list[Row]:
    cursor = await conn.execute(
        f"""SELECT {PANEL_COLUMNS} FROM panels WHERE org_id = %s AND dashboard_id = %s
            ORDER BY position, created_at, id""",
        (org_id, dashboard_id),
    )
    return await cursor.fetchall()


async def panel(conn: Conn, org_id: str, dashboard_id: str, panel_id: str) -> Row | None:
    cursor = await conn.execute(
        f"SELECT {PANEL_COLUMNS} FROM panels WHERE org_id = %s AND dashboard_id = %s AND id = %s",
        (org_id, dashboard_id, panel_id),
    )
    return await cursor.fetchone()


async def count_panels(conn: Conn, org_id: str, dashboard_id: str) -> int:
    cursor = await conn.execute(
        "SELECT count(*)::int AS n FROM panels WHERE org_id = %s AND dashboard_id = %s", (org_id, dashboard_id)
    )
    row = await cursor.fetchone()
    assert row is not None
    return int(row["n"])


async def make_room(conn: Conn, org_id: str, dashboard_id: str, position: int) -> None:
    """Move the panels at `position` and after one place down."""
    await conn.execute(
        "UPDATE panels SET position = position + 1 WHERE org_id = %s AND dashboard_id = %s AND position >= %s",
        (org_id, dashboard_id, position),
    )


async def close_gap(conn: Conn, org_id: str, dashboard_id: str, position: int) -> None:
    """Move the panels after `position` one place up."""
    await conn.execute(
        "UPDATE panels SET position = position - 1 WHERE org_id = %s AND dashboard_id = %s AND position > %s",
        (org_id, dashboard_id, position),
    )


async def insert_panel(conn: Conn, org_id: str, dashboard_id: str, fields: dict[str, Any]) -> Row:
    cursor = await conn.execute(
        f"""INSERT INTO panels (org_id, dashboard_id, title, chart_type, query, width, height, position, options)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {PANEL_COLUMNS}""",
        (
            org_id,
            dashboard_id,
            fields["title"],
            fields["chart_type"],
            Jsonb(fields["query"]),
            fields["width"],
            fields["height"],
            fields["position"],
            Jsonb(msgspec.to_builtins(fields.get("options") or {})),
        ),
    )
    row = await cursor.fetchone()
    assert row is not None
    return row


async def update_panel(
    conn: Conn, org_id: str, dashboard_id: str, panel_id: str, changes: dict[str, Any]
) -> Row | None:
    if not changes:
        return await panel(conn, org_id, dashboard_id, panel_id)
    values = [
        Jsonb(msgspec.to_builtins(value)) if column in ("query", "options") else value
        for column, value in changes.items()
    ]
    statement = sql.SQL("UPDATE panels SET {} WHERE org_id = %s AND dashboard_id = %s AND id = %s RETURNING ").format(
        set_clause(changes, PANEL_UPDATABLE)
    ) + sql.SQL(PANEL_COLUMNS)
    cursor = await conn.execute(statement, (*values, org_id, dashboard_id, panel_id))
    return await cursor.fetchone()


async def delete_panel(conn: Conn, org_id: str, dashboard_id: str, panel_id: str) -> Row | None:
    cursor = await conn.execute(
        f"DELETE FROM panels WHERE org_id = %s AND dashboard_id = %s AND id = %s RETURNING {PANEL_COLUMNS}",
        (org_id, dashboard_id, panel_id),
    )
    return await cursor.fetchone()


async def set_positions(conn: Conn, org_id: str, dashboard_id: str, ordered_ids: list[str]) -> None:
    """Positions 0, 1, 2, ... in the order given (the caller passes every panel)."""
    await conn.execute(
        """UPDATE panels AS p SET position = o.ord - 1
             FROM unnest(%s::uuid[]) WITH ORDINALITY AS o(id, ord)
            WHERE p.org_id = %s AND p.dashboard_id = %s AND p.id = o.id""",
        (ordered_ids, org_id, dashboard_id),
    )
