"""SQL for adapter generation: the endpoints discovery stored, scoped by organisation."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

Conn = AsyncConnection[Any]


async def endpoints(conn: Conn, org_id: str, app_id: str) -> list[dict[str, Any]]:
    cursor = await conn.execute(
        """SELECT method, path, summary, parameters, request_schema, response_schema
             FROM api_endpoints
            WHERE org_id = %s AND app_id = %s
            ORDER BY path, method""",
        (org_id, app_id),
    )
    return list(await cursor.fetchall())
