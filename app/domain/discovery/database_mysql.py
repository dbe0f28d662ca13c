"""MySQL / MariaDB discovery (see database.py): information_schema read with pymysql in a
thread, in one READ ONLY transaction under the server's statement time limit, then shaped
into the rows PostgreSQL's reader produces so one `assemble` builds the tables."""

from __future__ import annotations

import asyncio
from typing import Any

from app.domain.discovery.database import (
    CONNECT_TIMEOUT_S,
    STATEMENT_TIMEOUT_S,
    DatabaseDiscoveryError,
    Progress,
    assemble,
    describe_failure,
)
from app.domain.discovery.schemas import DiscoveredTable

_SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")


async def read_mysql(params: dict[str, Any], progress: Progress) -> list[DiscoveredTable]:
    import pymysql

    try:
        conn = await asyncio.to_thread(
            pymysql.connect,
            **params,
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=STATEMENT_TIMEOUT_S * 3,
            charset="utf8mb4",
            cursorclass=pymysql.cursors.DictCursor,
            autocommit=True,
        )
    except pymysql.MySQLError as exc:
        raise DatabaseDiscoveryError(describe_failure("connect to", exc, params.get("password"))) from exc
    try:
        await progress.step("Connected", 20, "MySQL / MariaDB")
        return await asyncio.to_thread(_mysql_catalogue, conn, params.get("database"))
    except pymysql.MySQLError as exc:
        raise DatabaseDiscoveryError(describe_failure("read the catalogue of", exc, params.get("password"))) from exc
    finally:
        await asyncio.to_thread(conn.close)


def _mysql_catalogue(conn: Any, database: str | None) -> list[DiscoveredTable]:
    """Runs in a thread: the whole read in one READ ONLY transaction, then shaped like PostgreSQL's rows."""
    with conn.cursor() as cur:
        cur.execute("SELECT VERSION() AS v")
        mariadb = "mariadb" in str(cur.fetchone()["v"]).lower()
        if mariadb:
            cur.execute("SET SESSION max_statement_time = %s", (STATEMENT_TIMEOUT_S,))
        else:
            cur.execute("SET SESSION max_execution_time = %s", (STATEMENT_TIMEOUT_S * 1000,))
        cur.execute("START TRANSACTION READ ONLY")
        if database:
            where, args = "TABLE_SCHEMA = %s", (database,)
        else:
            where, args = "TABLE_SCHEMA NOT IN %s", (_SYSTEM_SCHEMAS,)  # type: ignore[assignment]
        cur.execute(
            f"SELECT TABLE_SCHEMA AS `schema`, TABLE_NAME AS name, TABLE_ROWS AS row_estimate "
            f"FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND {where} ORDER BY 1, 2",
            args,
        )
        tables = cur.fetchall()
        cur.execute(
            "SELECT TABLE_SCHEMA AS `schema`, TABLE_NAME AS tbl, COLUMN_NAME AS name, COLUMN_TYPE AS type, "
            "IS_NULLABLE = 'YES' AS nullable, COLUMN_DEFAULT AS `default` "
            f"FROM information_schema.COLUMNS WHERE {where} ORDER BY 1, 2, ORDINAL_POSITION",
            args,
        )
        columns = cur.fetchall()
        cur.execute(
            "SELECT TABLE_SCHEMA AS `schema`, TABLE_NAME AS tbl, CONSTRAINT_NAME AS name, COLUMN_NAME AS col, "
            "REFERENCED_TABLE_SCHEMA AS ref_schema, REFERENCED_TABLE_NAME AS ref_table, "
            "REFERENCED_COLUMN_NAME AS ref_col FROM information_schema.KEY_COLUMN_USAGE "
            f"WHERE {where} AND (CONSTRAINT_NAME = 'PRIMARY' OR REFERENCED_TABLE_NAME IS NOT NULL) "
            "ORDER BY 1, 2, 3, ORDINAL_POSITION",
            args,
        )
        keys = cur.fetchall()
        # MySQL 8 functional key parts have no COLUMN_NAME but an EXPRESSION (MariaDB has neither).
        column = "COLUMN_NAME" if mariadb else "COALESCE(COLUMN_NAME, EXPRESSION)"
        cur.execute(
            f"SELECT TABLE_SCHEMA AS `schema`, TABLE_NAME AS tbl, INDEX_NAME AS name, NON_UNIQUE = 0 AS `unique`, "
            f"{column} AS col FROM information_schema.STATISTICS WHERE {where} ORDER BY 1, 2, 3, SEQ_IN_INDEX",
            args,
        )
        index_parts = cur.fetchall()
        cur.execute("COMMIT")
    return assemble(*_mysql_rows(tables, columns, keys, index_parts))


def _mysql_rows(
    tables: list[dict[str, Any]],
    columns: list[dict[str, Any]],
    keys: list[dict[str, Any]],
    index_parts: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """information_schema rows (one per key part) grouped into `assemble`'s per-object rows."""
    oid = {(t["schema"], t["name"]): n for n, t in enumerate(tables)}
    table_rows = [{**t, "oid": n} for n, t in enumerate(tables)]
    column_rows = [
        {
            "oid": oid[(c["schema"], c["tbl"])],
            "name": c["name"],
            "type": c["type"],
            "nullable": bool(c["nullable"]),
            # MariaDB writes a NULL default as the text 'NULL'; MySQL as SQL NULL.
            "default": None if c["default"] in (None, "NULL") else str(c["default"]),
        }
        for c in columns
        if (c["schema"], c["tbl"]) in oid
    ]
    constraints: dict[tuple[int, str], dict[str, Any]] = {}
    for k in keys:
        if (k["schema"], k["tbl"]) not in oid:
            continue
        key = (oid[(k["schema"], k["tbl"])], k["name"])
        row = constraints.setdefault(
            key,
            {
                "oid": key[0],
                "name": k["name"],
                "kind": "p" if k["name"] == "PRIMARY" else "f",
                "columns": [],
                "ref_schema": k["ref_schema"],
                "ref_table": k["ref_table"],
                "ref_columns": [],
            },
        )
        row["columns"].append(k["col"])
        if k["ref_col"] is not None:
            row["ref_columns"].append(k["ref_col"])
    indexes: dict[tuple[int, str], dict[str, Any]] = {}
    for part in index_parts:
        if (part["schema"], part["tbl"]) not in oid:
            continue
        key = (oid[(part["schema"], part["tbl"])], part["name"])
        index = indexes.setdefault(
            key,
            {
                "oid": key[0],
                "name": part["name"],
                "unique": bool(part["unique"]),
                "primary": part["name"] == "PRIMARY",
                "columns": [],
            },
        )
        index["columns"].append(part["col"] or "(expression)")
    return table_rows, column_rows, list(constraints.values()), list(indexes.values())
