"""`nexus migrate`: idempotent, recorded, checksummed, and safe with concurrent runners."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from litestar import Litestar

from app.engines.migrations import MigrationError, migrate_all, migrate_postgres

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_SNAPSHOT = """
    SELECT table_name, column_name, data_type, is_nullable, column_default
      FROM information_schema.columns WHERE table_schema = 'public'
     UNION ALL
    SELECT tablename, indexname, indexdef, '', '' FROM pg_indexes WHERE schemaname = 'public'
     UNION ALL
    SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), '', '' FROM pg_constraint
     WHERE connamespace = 'public'::regnamespace
     ORDER BY 1, 2"""


@pytest.fixture
async def scratch_database(started_app: Litestar) -> AsyncIterator[str]:
    """A new, empty database on the suite's PostgreSQL (embedded or external)."""
    base = started_app.state.engines.postgres.url
    name = f"nexus_mig_{uuid.uuid4().hex[:8]}"
    async with await psycopg.AsyncConnection.connect(base, autocommit=True) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(base)
    yield parts._replace(path=f"/{name}").geturl()
    async with await psycopg.AsyncConnection.connect(base, autocommit=True) as admin:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


async def _snapshot(url: str) -> list[tuple[object, ...]]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        return await (await conn.execute(SCHEMA_SNAPSHOT)).fetchall()


async def test_second_run_changes_nothing(started_app: Litestar) -> None:
    engines, settings = started_app.state.engines, started_app.state.settings
    before = await _snapshot(engines.postgres.url)
    assert await migrate_all(engines.postgres.url, engines.clickhouse, settings.clickhouse) == []
    assert await _snapshot(engines.postgres.url) == before
    tables = await engines.clickhouse.query_arrow("SELECT name FROM system.tables WHERE database = currentDatabase()")
    assert {"events", "events_rollup", "events_rollup_mv", "performance_metrics"} <= set(
        tables.column("name").to_pylist()
    )


async def test_two_concurrent_runners_do_not_collide(scratch_database: str, tmp_path: Path) -> None:
    async def run(index: int) -> tuple[int, bytes]:
        env = {**os.environ, "DATABASE_URL": scratch_database, "NEXUS_DATA_DIR": str(tmp_path / f"runner{index}")}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.cli",
            "migrate",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        return process.returncode or 0, output

    results = await asyncio.gather(run(1), run(2))
    for code, output in results:
        assert code == 0, output.decode()
    async with await psycopg.AsyncConnection.connect(scratch_database) as conn:
        rows = await (await conn.execute("SELECT version, count(*) FROM schema_migrations GROUP BY version")).fetchall()
        owners = await (await conn.execute("SELECT count(*) FROM users WHERE role = 'owner'")).fetchone()
    expected = len(list((ROOT / "migrations" / "postgres").glob("*.sql")))
    assert len(rows) == expected
    assert all(count == 1 for _, count in rows)
    assert owners == (1,)


async def test_a_changed_applied_file_stops_the_run(scratch_database: str, tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE first_table (id int);")
    async with await psycopg.AsyncConnection.connect(scratch_database, autocommit=True) as conn:
        assert await migrate_postgres(conn, tmp_path) == ["0001_first.sql"]
        (tmp_path / "0001_first.sql").write_text("CREATE TABLE first_table (id bigint);")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate_postgres(conn, tmp_path)


async def test_a_failing_file_leaves_nothing_half_applied(scratch_database: str, tmp_path: Path) -> None:
    (tmp_path / "0001_broken.sql").write_text("CREATE TABLE half (id int);\nSELECT * FROM no_such_table;")
    async with await psycopg.AsyncConnection.connect(scratch_database, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UndefinedTable):
            await migrate_postgres(conn, tmp_path)
        exists = await (await conn.execute("SELECT to_regclass('half')")).fetchone()
        recorded = await (await conn.execute("SELECT count(*) FROM schema_migrations")).fetchone()
    assert exists == (None,)
    assert recorded == (0,)
