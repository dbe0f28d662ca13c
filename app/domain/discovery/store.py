"""What discovery found, written and read: `api_endpoints` and `database_schemas`.

A discovery run replaces a connection's rows as a whole, in one transaction, so readers see
the previous result or the new one, never half of each. Rows go in with COPY: a large API
document (thousands of operations) is stored in well under a second.
"""

from __future__ import annotations

from typing import Any

import msgspec
from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb

from app.domain.discovery.schemas import DiscoveredEndpoint, DiscoveredTable

Conn = AsyncConnection[Any]
Row = dict[str, Any]

# The methods api_endpoints accepts (its CHECK constraint); others (TRACE, ...) are skipped.
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "QUERY", "MUTATION", "SUBSCRIPTION"})


def _json(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value)


async def _replace(
    conn: Conn, org_id: str, connection_id: str, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> int:
    """The connection's rows of `table` become `rows`, in one transaction.

    The connection's row is locked first: two runs of one connection then replace its rows
    one after the other; without the lock the second's inserts would collide with the first's
    uncommitted ones."""
    async with conn.transaction():
        await conn.execute(
            "SELECT 1 FROM connections WHERE org_id = %s AND id = %s FOR NO KEY UPDATE", (org_id, connection_id)
        )
        await conn.execute(
            sql.SQL("DELETE FROM {} WHERE org_id = %s AND connection_id = %s").format(sql.Identifier(table)),
            (org_id, connection_id),
        )
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        async with conn.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                await copy.write_row(row)
    return len(rows)


async def replace_endpoints(
    conn: Conn, org_id: str, app_id: str, connection_id: str, endpoints: list[DiscoveredEndpoint]
) -> int:
    """Replace the connection's endpoints; returns how many were stored (duplicates of the
    same method and path keep the first)."""
    seen: set[tuple[str, str]] = set()
    rows = []
    for endpoint in endpoints:
        key = (endpoint.method.upper(), endpoint.path)
        if key[0] not in METHODS or key in seen:
            continue
        seen.add(key)
        rows.append(
            (
                org_id,
                app_id,
                connection_id,
                key[0],
                endpoint.path,
                endpoint.summary,
                endpoint.description,
                Jsonb(endpoint.parameters),
                _json(endpoint.request_schema),
                _json(endpoint.response_schema),
                endpoint.auth_required,
            )
        )
    columns = (
        "org_id",
        "app_id",
        "connection_id",
        "method",
        "path",
        "summary",
        "description",
        "parameters",
        "request_schema",
        "response_schema",
        "auth_required",
    )
    return await _replace(conn, org_id, connection_id, "api_endpoints", columns, rows)


async def replace_tables(
    conn: Conn, org_id: str, app_id: str, connection_id: str, tables: list[DiscoveredTable]
) -> int:
    """Replace the connection's tables; returns how many were stored."""
    seen: set[tuple[str, str]] = set()
    rows = []
    for table in tables:
        key = (table.schema, table.name)
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            (
                org_id,
                app_id,
                connection_id,
                table.schema,
                table.name,
                table.row_estimate,
                Jsonb(msgspec.to_builtins(table.columns)),
                Jsonb(table.primary_key),
                Jsonb(msgspec.to_builtins(table.foreign_keys)),
                Jsonb(msgspec.to_builtins(table.indexes)),
            )
        )
    columns = (
        "org_id",
        "app_id",
        "connection_id",
        "schema_name",
        "table_name",
        "row_estimate",
        "columns",
        "primary_key",
        "foreign_keys",
        "indexes",
    )
    return await _replace(conn, org_id, connection_id, "database_schemas", columns, rows)


ENDPOINT_COLUMNS = """id::text AS id, connection_id::text AS connection_id, method, path, summary, description,
                      parameters, request_schema, response_schema, auth_required"""


async def list_endpoints(conn: Conn, org_id: str, app_id: str, q: str | None, limit: int, offset: int) -> list[Row]:
    """Endpoints ordered by path then method; `q` matches path, summary or method."""
    sql = f"SELECT {ENDPOINT_COLUMNS} FROM api_endpoints WHERE org_id = %s AND app_id = %s"
    params: list[Any] = [org_id, app_id]
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql += " AND (path ILIKE %s OR summary ILIKE %s OR method = upper(%s))"
        params += [like, like, q.strip()]
    sql += " ORDER BY path, method LIMIT %s OFFSET %s"
    cursor = await conn.execute(sql, [*params, limit, offset])
    return await cursor.fetchall()


async def count_endpoints(conn: Conn, org_id: str, app_id: str) -> int:
    cursor = await conn.execute(
        "SELECT count(*) AS n FROM api_endpoints WHERE org_id = %s AND app_id = %s", (org_id, app_id)
    )
    row = await cursor.fetchone()
    return int(row["n"]) if row else 0


async def list_tables(conn: Conn, org_id: str, app_id: str, limit: int, offset: int) -> list[Row]:
    cursor = await conn.execute(
        """SELECT id::text AS id, connection_id::text AS connection_id, schema_name AS schema, table_name AS name,
                  row_estimate, columns, primary_key, foreign_keys, indexes
             FROM database_schemas WHERE org_id = %s AND app_id = %s
            ORDER BY schema_name, table_name LIMIT %s OFFSET %s""",
        (org_id, app_id, limit, offset),
    )
    return await cursor.fetchall()


async def set_learning(conn: Conn, org_id: str, app_id: str, progress: int) -> None:
    """The application is learning its APIs; progress only rises while a run goes on."""
    await conn.execute(
        """UPDATE applications SET status = 'learning', status_reason = NULL,
                  learning_progress = GREATEST(CASE WHEN status = 'learning' THEN learning_progress ELSE 0 END, %s)
            WHERE org_id = %s AND id = %s AND status <> 'paused'""",
        (max(0, min(99, progress)), org_id, app_id),
    )


async def set_outcome(conn: Conn, org_id: str, app_id: str, error: str | None) -> None:
    """Discovery finished: active at 100 %, or error with the reason in words."""
    if error is None:
        await conn.execute(
            """UPDATE applications SET status = 'active', status_reason = NULL, learning_progress = 100
                WHERE org_id = %s AND id = %s AND status <> 'paused'""",
            (org_id, app_id),
        )
    else:
        await conn.execute(
            """UPDATE applications SET status = 'error', status_reason = %s
                WHERE org_id = %s AND id = %s AND status <> 'paused'""",
            (error, org_id, app_id),
        )
