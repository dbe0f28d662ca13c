"""`nexus migrate`: apply the numbered plain-SQL files under migrations/ in order.

- Recorded: each applied file is stored with its checksum; an applied file that changed
  afterwards stops the run instead of being silently skipped.
- Guarded: a PostgreSQL advisory lock serialises concurrent runners (two pods starting at
  once); the second waits, then finds nothing left to do.
- Transactional where the engine allows: each PostgreSQL file runs in one transaction
  together with its record. ClickHouse DDL is not transactional, so its statements are
  written to be idempotent and a file is recorded only after all of them succeeded.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pyarrow as pa

from app.engines.clickhouse import AnalyticsStore
from app.settings import ClickHouseSettings

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
_LOCK_KEY = 0x4E455855  # "NEXU": one advisory lock id for every migrate run
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_CLUSTER_ONLY = "-- @cluster-only"


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(directory: Path) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lower_snake.sql")
        found.append(Migration(int(match.group(1)), path.name, path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migrations share a number in {directory}")
    return found


def _pending(migrations: list[Migration], applied: dict[int, str]) -> list[Migration]:
    for migration in migrations:
        recorded = applied.get(migration.version)
        if recorded is not None and recorded != migration.checksum:
            raise MigrationError(f"{migration.name} was changed after it was applied; add a new migration instead")
    return [m for m in migrations if m.version not in applied]


async def migrate_postgres(conn: psycopg.AsyncConnection, directory: Path | None = None) -> list[str]:
    """Apply pending PostgreSQL migrations; the caller holds the advisory lock."""
    await conn.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
               version integer PRIMARY KEY,
               name text NOT NULL,
               checksum text NOT NULL,
               applied_at timestamptz NOT NULL DEFAULT now())"""
    )
    cursor = await conn.execute("SELECT version, checksum FROM schema_migrations")
    applied = {int(row[0]): str(row[1]) for row in await cursor.fetchall()}
    done = []
    for migration in _pending(load_migrations(directory or MIGRATIONS_DIR / "postgres"), applied):
        async with conn.transaction():
            await conn.execute(migration.sql.encode())
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                (migration.version, migration.name, migration.checksum),
            )
        done.append(migration.name)
    return done


def render_clickhouse(sql: str, settings: ClickHouseSettings) -> list[str]:
    """Fill the single-node/cluster placeholders and split the file into statements."""
    cluster = settings.cluster
    text = string.Template(sql).substitute(
        on_cluster=f"ON CLUSTER '{cluster}'" if cluster else "",
        local="_local" if cluster else "",
        replicated="Replicated" if cluster else "",
        cluster=cluster or "",
        retention_days=int(settings.retention_days),
    )
    statements = []
    for chunk in re.split(r";\s*$", text, flags=re.MULTILINE):
        statement = chunk.strip()
        if not statement or all(line.strip().startswith("--") for line in statement.splitlines()):
            continue
        if statement.startswith(_CLUSTER_ONLY) and not cluster:
            continue
        statements.append(statement)
    return statements


async def migrate_clickhouse(
    store: AnalyticsStore, settings: ClickHouseSettings, directory: Path | None = None
) -> list[str]:
    """Apply pending ClickHouse migrations, recorded in ClickHouse itself so the record
    lives and dies with the data it describes."""
    on_cluster = f"ON CLUSTER '{settings.cluster}'" if settings.cluster else ""
    engine = "ReplicatedReplacingMergeTree" if settings.cluster else "ReplacingMergeTree"
    await store.command(
        f"""CREATE TABLE IF NOT EXISTS nexus_migrations {on_cluster} (
               version UInt32, name String, checksum String,
               applied_at DateTime DEFAULT now())
            ENGINE = {engine} ORDER BY version"""
    )
    table = await store.query_arrow("SELECT version, checksum FROM nexus_migrations FINAL")
    applied = dict(zip(table.column("version").to_pylist(), table.column("checksum").to_pylist(), strict=True))
    done = []
    for migration in _pending(load_migrations(directory or MIGRATIONS_DIR / "clickhouse"), applied):
        for statement in render_clickhouse(migration.sql, settings):
            await store.command(statement)
        record = pa.table(
            {
                "version": pa.array([migration.version], pa.uint32()),
                "name": [migration.name],
                "checksum": [migration.checksum],
            }
        )
        await store.insert_arrow("nexus_migrations", record)
        done.append(migration.name)
    return done


async def migrate_all(postgres_url: str, store: AnalyticsStore, settings: ClickHouseSettings) -> list[str]:
    """Both trees under one advisory lock; returns the names of the files applied."""
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            applied = await migrate_postgres(conn)
            applied += await migrate_clickhouse(store, settings)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied
