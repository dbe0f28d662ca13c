"""SQL for the knowledge graph and the Database/Graph pages; every statement is scoped by
organisation. Plus the one ClickHouse read the graph needs: which endpoints traffic hit."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from app.engines.clickhouse import AnalyticsStore, query_frame

Conn = AsyncConnection[Any]
Row = dict[str, Any]
EDGE_COLUMNS = "source_kind, source_ref, target_kind, target_ref, relation, confidence, evidence"
# The graph is for people to look at: a few hundred observed paths is plenty.
OBSERVED_LIMIT = 500

_OBSERVED = """
SELECT method, endpoint AS path, avg(duration_ms) AS avg_ms, count() AS calls
FROM performance_metrics
WHERE app_id = {app:UUID} AND timestamp >= now64(3) - INTERVAL 30 DAY
GROUP BY method, endpoint
ORDER BY calls DESC, method, path
LIMIT {limit:UInt32}
"""


async def observed_endpoints(clickhouse: AnalyticsStore, app_id: str) -> list[tuple[str, str, float]]:
    """(method, path, average ms) of the performance metrics seen in the last 30 days."""
    frame = await query_frame(clickhouse, _OBSERVED, {"app": app_id, "limit": OBSERVED_LIMIT})
    return [(str(m).upper(), str(p), float(a)) for m, p, a in frame.select("method", "path", "avg_ms").iter_rows()]


async def endpoints(conn: Conn, org_id: str, app_id: str) -> list[Row]:
    cursor = await conn.execute(
        """SELECT DISTINCT ON (method, path) method, path, summary, parameters, request_schema, response_schema
           FROM api_endpoints WHERE org_id = %s AND app_id = %s ORDER BY method, path, created_at""",
        (org_id, app_id),
    )
    return await cursor.fetchall()


async def tables(conn: Conn, org_id: str, app_id: str) -> list[Row]:
    cursor = await conn.execute(
        """SELECT schema_name AS schema, table_name AS name, row_estimate, columns, primary_key,
                  foreign_keys, indexes
           FROM database_schemas WHERE org_id = %s AND app_id = %s
           ORDER BY schema_name, table_name, connection_id""",
        (org_id, app_id),
    )
    return await cursor.fetchall()


async def edges(conn: Conn, org_id: str, app_id: str, relation: str | None = None) -> list[Row]:
    cursor = await conn.execute(
        f"""SELECT {EDGE_COLUMNS} FROM knowledge_edges
            WHERE org_id = %s AND app_id = %s AND (%s::text IS NULL OR relation = %s)
            ORDER BY source_kind, source_ref, relation, target_kind, target_ref""",
        (org_id, app_id, relation, relation),
    )
    return await cursor.fetchall()


async def replace_edges(conn: Conn, org_id: str, app_id: str, rows: list[Row]) -> None:
    """Swap the application's edges in one transaction: readers see the old graph or the new."""
    async with conn.transaction():
        await conn.execute("DELETE FROM knowledge_edges WHERE org_id = %s AND app_id = %s", (org_id, app_id))
        if rows:
            async with conn.cursor() as cursor:
                await cursor.executemany(
                    f"INSERT INTO knowledge_edges (org_id, app_id, {EDGE_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        (
                            org_id,
                            app_id,
                            r["source_kind"],
                            r["source_ref"],
                            r["target_kind"],
                            r["target_ref"],
                            r["relation"],
                            r["confidence"],
                            Jsonb(r["evidence"]),
                        )
                        for r in rows
                    ],
                )
