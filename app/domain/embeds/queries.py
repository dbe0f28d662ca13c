"""SQL for embedding settings and for finding what an embed token points at."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

Conn = AsyncConnection[Any]
Row = dict[str, Any]


async def get(conn: Conn, org_id: str) -> Row | None:
    cursor = await conn.execute(
        "SELECT secret_encrypted, allowed_origins FROM embedding_settings WHERE org_id = %s", (org_id,)
    )
    return await cursor.fetchone()


async def create_if_missing(conn: Conn, org_id: str, secret_encrypted: str) -> Row:
    cursor = await conn.execute(
        """INSERT INTO embedding_settings (org_id, secret_encrypted) VALUES (%s, %s)
           ON CONFLICT (org_id) DO UPDATE SET org_id = excluded.org_id
           RETURNING secret_encrypted, allowed_origins""",
        (org_id, secret_encrypted),
    )
    row = await cursor.fetchone()
    assert row is not None
    return row


async def set_origins(conn: Conn, org_id: str, origins: list[str]) -> None:
    await conn.execute("UPDATE embedding_settings SET allowed_origins = %s WHERE org_id = %s", (origins, org_id))


async def set_secret(conn: Conn, org_id: str, secret_encrypted: str) -> None:
    await conn.execute(
        "UPDATE embedding_settings SET secret_encrypted = %s WHERE org_id = %s", (secret_encrypted, org_id)
    )


async def resource_owner(conn: Conn, kind: str, resource_id: str) -> Row | None:
    """The organisation (and application) of an embeddable panel or dashboard."""
    if kind == "panel":
        sql = """SELECT p.org_id::text AS org_id, d.app_id::text AS app_id, d.id::text AS dashboard_id
                   FROM panels p JOIN dashboards d ON d.id = p.dashboard_id WHERE p.id = %s"""
    else:
        sql = """SELECT org_id::text AS org_id, app_id::text AS app_id, id::text AS dashboard_id
                   FROM dashboards WHERE id = %s"""
    cursor = await conn.execute(sql, (resource_id,))
    return await cursor.fetchone()


async def embeddable_resources(conn: Conn, org_id: str, limit: int) -> list[Row]:
    """The organisation's dashboards, each followed by its panels (newest dashboard first),
    for the settings page's id picker: at most `limit` rows."""
    cursor = await conn.execute(
        """SELECT kind, id, name, chart_type, query, dashboard_id, dashboard_name FROM (
               SELECT 'dashboard' AS kind, d.id::text AS id, d.name AS name, NULL::text AS chart_type,
                      NULL::jsonb AS query, d.id::text AS dashboard_id, d.name AS dashboard_name,
                      d.created_at AS dashboard_created_at, -1 AS position
                 FROM dashboards d WHERE d.org_id = %(org)s
               UNION ALL
               SELECT 'panel', p.id::text, p.title, p.chart_type, p.query, d.id::text, d.name,
                      d.created_at, p.position
                 FROM panels p JOIN dashboards d ON d.org_id = p.org_id AND d.id = p.dashboard_id
                WHERE p.org_id = %(org)s
           ) resources
           ORDER BY dashboard_created_at DESC, dashboard_id, position, id
           LIMIT %(limit)s""",
        {"org": org_id, "limit": limit},
    )
    return await cursor.fetchall()
