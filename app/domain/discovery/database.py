"""Database discovery: tables, columns, keys and indexes from the catalogue, read-only.

PostgreSQL is read from pg_catalog (psycopg), MySQL/MariaDB from information_schema
(pymysql, in a thread). Both run in a READ ONLY transaction under a statement timeout, and
row counts are the catalogue's estimates (pg_class.reltuples, TABLES.TABLE_ROWS), never a
COUNT(*): discovery must stay cheap on a customer's production database.

The SSRF guard applies to database hosts as to URLs: the DSN's host must be public or
allow-listed (a unix socket counts as 'localhost'), and the connection goes to the very
address that was checked, so a second DNS answer cannot point it elsewhere.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from psycopg.conninfo import conninfo_to_dict

from app.core.outbound import OutboundPolicy, OutboundRefused
from app.domain.discovery.runner import DiscoveryFailed
from app.domain.discovery.schemas import DiscoveredColumn, DiscoveredForeignKey, DiscoveredIndex, DiscoveredTable
from app.settings import load_settings

STATEMENT_TIMEOUT_S = 10
# libpq settings a DSN may carry. Others (service, passfile, sslkey, sslrootcert...) would make
# libpq read files on our servers, or take the host from a service file the guard never saw.
SAFE_CONNINFO_KEYS = frozenset(
    {
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "password",
        "sslmode",
        "connect_timeout",
        "application_name",
        "target_session_attrs",
        "channel_binding",
        "gssencmode",
        "options",
    }
)
CONNECT_TIMEOUT_S = 10


class Progress(Protocol):
    """Where steps are reported: JobProgress, or the runner's DiscoveryProgress."""

    async def step(self, name: str, progress: int, detail: str = "") -> None: ...


class DatabaseTarget(Protocol):
    """What discovery needs of a database connection: its decrypted credentials with a "dsn"."""

    @property
    def credentials(self) -> dict[str, Any]: ...


class DatabaseDiscoveryError(DiscoveryFailed):
    """The database could not be read; the message is a sentence for a person (no secrets)."""


async def discover_database(
    target: DatabaseTarget, progress: Progress, policy: OutboundPolicy | None = None
) -> list[DiscoveredTable]:
    """Read the schema behind `target.credentials["dsn"]` (postgres://, mysql://, mariadb://).

    Raises OutboundRefused for a host the guard refuses (before any connection is made) and
    DatabaseDiscoveryError for everything else, worded without the DSN's password.
    """
    dsn = str((target.credentials or {}).get("dsn") or "").strip()
    if not dsn:
        raise DatabaseDiscoveryError("The connection has no DSN; add one like postgresql://user@host/db.")
    if policy is None:
        policy = OutboundPolicy(load_settings().outbound.allowlist)
    scheme = dsn.split("://", 1)[0].lower() if "://" in dsn else ""
    if scheme in ("postgres", "postgresql"):
        conninfo = await _guarded_postgres(dsn, policy)
        tables = await _read_postgres(conninfo, progress)
    elif scheme in ("mysql", "mariadb"):
        # Imported here: the MySQL reader builds on this module's shapes (assemble, errors).
        from app.domain.discovery.database_mysql import read_mysql

        params = await _guarded_mysql(dsn, policy)
        tables = await read_mysql(params, progress)
    else:
        raise DatabaseDiscoveryError(
            f"Unsupported database type {scheme or 'none'!r}: use a postgresql://, mysql:// or mariadb:// DSN."
        )
    await progress.step(f"Read {len(tables)} tables", 90, ", ".join(f"{t.schema}.{t.name}" for t in tables[:20]))
    return tables


async def _guarded_postgres(dsn: str, policy: OutboundPolicy) -> dict[str, Any]:
    """The DSN as psycopg keyword arguments, once every host in it has passed the guard."""
    try:
        params: dict[str, Any] = conninfo_to_dict(dsn)
    except Exception as exc:  # psycopg.ProgrammingError; its text may quote the DSN, so not shown
        raise DatabaseDiscoveryError("The DSN could not be parsed; check its format.") from exc
    unsafe = sorted(set(params) - SAFE_CONNINFO_KEYS)
    if unsafe:
        raise DatabaseDiscoveryError(f"The DSN's {', '.join(unsafe)} setting is not accepted for discovery.")
    hosts = str(params.get("host") or "").split(",")
    port = int(str(params.get("port") or "5432").split(",")[0])
    if params.get("hostaddr"):
        # hostaddr is where libpq really connects; the host name is then only for TLS.
        for address in str(params["hostaddr"]).split(","):
            await policy.check_host(address, port)
        return params
    pinned: list[str] = []
    for host in hosts:
        addresses = await _check(policy, host, port)
        pinned.append(str(addresses[0]) if addresses else "")
    if len(hosts) == 1 and pinned[0]:
        params["hostaddr"] = pinned[0]
    return params


async def _guarded_mysql(dsn: str, policy: OutboundPolicy) -> dict[str, Any]:
    """pymysql.connect keyword arguments from mysql://user:password@host:port/database."""
    try:
        parts = urlsplit(dsn)
        port = parts.port or 3306
    except ValueError as exc:
        raise DatabaseDiscoveryError("The DSN could not be parsed; check its format.") from exc
    host = parts.hostname or ""
    addresses = await _check(policy, host, port)
    return {
        "host": str(addresses[0]) if addresses else (host or "localhost"),
        "port": port,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
        "database": unquote(parts.path.lstrip("/")) or None,
    }


async def _check(policy: OutboundPolicy, host: str, port: int) -> list[Any]:
    if not host or host.startswith("/"):
        # A unix socket (no host, or a directory) is this machine: only when localhost is allowed.
        if "localhost" not in policy.hosts:
            raise OutboundRefused(
                "A local (unix socket) database can only be discovered when localhost is in NEXUS_OUTBOUND_ALLOWLIST."
            )
        return []
    return await policy.check_host(host, port)


# PostgreSQL -------------------------------------------------------------------------------
# Ordinary and partitioned tables; partitions themselves are left out (their parent stands
# for them). reltuples is -1 until the table is first analysed or vacuumed (PostgreSQL 14+).
_PG_TABLES = """
SELECT c.oid, n.nspname AS schema, c.relname AS name,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS row_estimate
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
ORDER BY n.nspname, c.relname
"""
_PG_COLUMNS = """
SELECT a.attrelid AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       NOT a.attnotnull AS nullable,
       CASE WHEN a.attidentity = 'a' THEN 'GENERATED ALWAYS AS IDENTITY'
            WHEN a.attidentity = 'd' THEN 'GENERATED BY DEFAULT AS IDENTITY'
            WHEN a.attgenerated = 's' THEN 'GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') STORED'
            ELSE pg_get_expr(d.adbin, d.adrelid) END AS "default"
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = ANY(%(oids)s::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""
# Key columns in key order (WITH ORDINALITY), the referenced ones in the matching order.
# conparentid = 0 skips the copies PostgreSQL adds for each partition of a referenced table.
_PG_CONSTRAINTS = """
SELECT con.conrelid AS oid, con.conname AS name, con.contype AS kind,
       array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
       rn.nspname AS ref_schema, rc.relname AS ref_table,
       array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS ref_columns
FROM pg_constraint con
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.conrelid = ANY(%(oids)s::oid[]) AND con.contype IN ('p', 'f') AND con.conparentid = 0
ORDER BY con.conrelid, con.conname
"""
# Key columns only (not INCLUDE ones); an expression key is reported as its expression text
# ('lower(email)'), which is what a person reading the index wants to see.
_PG_INDEXES = """
SELECT i.indrelid AS oid, ic.relname AS name, i.indisunique AS unique, i.indisprimary AS primary,
       array(SELECT CASE WHEN i.indkey[k - 1] = 0 THEN pg_get_indexdef(i.indexrelid, k, true)
                         ELSE (SELECT a.attname::text FROM pg_attribute a
                               WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1]) END
             FROM generate_series(1, i.indnkeyatts) k ORDER BY k) AS columns
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = ANY(%(oids)s::oid[])
ORDER BY i.indrelid, ic.relname
"""


async def _read_postgres(params: dict[str, Any], progress: Progress) -> list[DiscoveredTable]:
    import psycopg
    from psycopg.rows import dict_row

    params = {**params, "connect_timeout": CONNECT_TIMEOUT_S, "application_name": "nexus-discovery"}
    try:
        conn = await psycopg.AsyncConnection.connect(**params, row_factory=dict_row)
    except psycopg.Error as exc:
        raise DatabaseDiscoveryError(describe_failure("connect to", exc, params.get("password"))) from exc
    try:
        await progress.step("Connected", 20, "PostgreSQL")
        await conn.set_read_only(True)
        async with conn.transaction():
            await conn.execute(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT_S}s'")
            tables = await (await conn.execute(_PG_TABLES)).fetchall()
            oids = {"oids": [row["oid"] for row in tables]}
            columns = await (await conn.execute(_PG_COLUMNS, oids)).fetchall()
            constraints = await (await conn.execute(_PG_CONSTRAINTS, oids)).fetchall()
            indexes = await (await conn.execute(_PG_INDEXES, oids)).fetchall()
    except psycopg.Error as exc:
        raise DatabaseDiscoveryError(describe_failure("read the catalogue of", exc, params.get("password"))) from exc
    finally:
        await conn.close()
    return assemble(tables, columns, constraints, indexes)


def assemble(
    tables: list[dict[str, Any]],
    columns: list[dict[str, Any]],
    constraints: list[dict[str, Any]],
    indexes: list[dict[str, Any]],
) -> list[DiscoveredTable]:
    """Catalogue rows (keyed by table `oid`) into DiscoveredTables; rows arrive in their order."""
    by_oid = {
        row["oid"]: DiscoveredTable(
            schema=row["schema"],
            name=row["name"],
            row_estimate=None if row["row_estimate"] is None else int(row["row_estimate"]),
            columns=[],
            primary_key=[],
            foreign_keys=[],
            indexes=[],
        )
        for row in tables
    }
    for row in columns:
        by_oid[row["oid"]].columns.append(
            DiscoveredColumn(name=row["name"], type=row["type"], nullable=bool(row["nullable"]), default=row["default"])
        )
    for row in constraints:
        table = by_oid[row["oid"]]
        if row["kind"] == "p":
            table.primary_key = list(row["columns"])
        else:
            table.foreign_keys.append(
                DiscoveredForeignKey(
                    name=row["name"],
                    columns=list(row["columns"]),
                    references_schema=row["ref_schema"],
                    references_table=row["ref_table"],
                    references_columns=list(row["ref_columns"]),
                )
            )
    for row in indexes:
        by_oid[row["oid"]].indexes.append(
            DiscoveredIndex(
                name=row["name"], columns=list(row["columns"]), unique=bool(row["unique"]), primary=bool(row["primary"])
            )
        )
    return list(by_oid.values())


def describe_failure(action: str, exc: BaseException, password: object) -> str:
    """The driver's message (first line, capped), with the password taken out should it appear."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    if password:
        text = text.replace(str(password), "***")
    return f"Could not {action} the database: {text}"
