"""Database discovery against real servers: the test PostgreSQL and the local MariaDB.

Each test builds its own schema (keys in odd orders, expression and partial indexes, an
analysed table and a never-analysed one) and compares the whole discovered structure.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.core.outbound import OutboundPolicy, OutboundRefused
from app.domain.discovery.database import DatabaseDiscoveryError, discover_database
from app.domain.discovery.schemas import DiscoveredColumn as Col
from app.domain.discovery.schemas import DiscoveredForeignKey as Fk
from app.domain.discovery.schemas import DiscoveredIndex as Ix
from app.domain.discovery.schemas import DiscoveredTable as Table
from app.domain.jobs import queries as jobs
from app.domain.jobs.progress import JobProgress

pytestmark = pytest.mark.engines
LOCAL = OutboundPolicy(("127.0.0.1", "localhost"))


@dataclass
class Target:
    credentials: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
async def progress(started_app: Any, client: Any, make_org: Any) -> JobProgress:
    owner = await make_org("Disc")
    created = await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=owner.headers)
    pool = started_app.state.engines.postgres.pool
    async with pool.connection() as conn:
        job = await jobs.create(conn, owner.org_id, "discovery", created.json()["id"], None, None)
    return JobProgress(pool, job["id"])


async def _steps(progress: JobProgress) -> list[str]:
    async with progress.pool.connection() as conn:
        row = await (await conn.execute("SELECT steps FROM jobs WHERE id = %s", (progress.job_id,))).fetchone()
    return [step["name"] for step in row["steps"]]


PG_SCHEMA = """
CREATE SCHEMA {s};
CREATE TABLE {s}.accounts (
    region     text NOT NULL,
    account_no integer NOT NULL,
    email      text NOT NULL,
    nickname   varchar(40),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (region, account_no)
);
CREATE UNIQUE INDEX accounts_email_key ON {s}.accounts (lower(email));
CREATE TABLE {s}.orders (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_no integer NOT NULL,
    region     text NOT NULL,
    status     text NOT NULL DEFAULT 'new',
    total      numeric(10,2),
    CONSTRAINT orders_account_fk FOREIGN KEY (account_no, region) REFERENCES {s}.accounts (account_no, region)
);
CREATE INDEX orders_open_idx ON {s}.orders (account_no, region) WHERE status <> 'done';
CREATE TABLE {s}.order_lines (
    order_id bigint NOT NULL REFERENCES {s}.orders (id) ON DELETE CASCADE,
    line_no  smallint NOT NULL,
    sku      text NOT NULL,
    quantity integer NOT NULL DEFAULT 1,
    PRIMARY KEY (order_id, line_no)
);
CREATE TABLE {s}.audit (at date NOT NULL, note text) PARTITION BY RANGE (at);
CREATE TABLE {s}.audit_2026 PARTITION OF {s}.audit FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO {s}.accounts (region, account_no, email) VALUES ('eu', 1, 'a@x'), ('eu', 2, 'b@x'), ('us', 1, 'c@x');
INSERT INTO {s}.orders (account_no, region) VALUES (1, 'eu'), (1, 'us');
ANALYZE {s}.accounts;
"""


def _expected_pg(s: str) -> list[Table]:
    return [
        Table(
            schema=s,
            name="accounts",
            row_estimate=3,
            columns=[
                Col(name="region", type="text", nullable=False),
                Col(name="account_no", type="integer", nullable=False),
                Col(name="email", type="text", nullable=False),
                Col(name="nickname", type="character varying(40)", nullable=True),
                Col(name="created_at", type="timestamp with time zone", nullable=False, default="now()"),
            ],
            primary_key=["region", "account_no"],
            foreign_keys=[],
            indexes=[
                Ix(name="accounts_email_key", columns=["lower(email)"], unique=True),
                Ix(name="accounts_pkey", columns=["region", "account_no"], unique=True, primary=True),
            ],
        ),
        Table(
            schema=s,
            name="audit",
            row_estimate=None,
            columns=[Col(name="at", type="date", nullable=False), Col(name="note", type="text", nullable=True)],
            primary_key=[],
            foreign_keys=[],
            indexes=[],
        ),
        Table(
            schema=s,
            name="order_lines",
            row_estimate=None,
            columns=[
                Col(name="order_id", type="bigint", nullable=False),
                Col(name="line_no", type="smallint", nullable=False),
                Col(name="sku", type="text", nullable=False),
                Col(name="quantity", type="integer", nullable=False, default="1"),
            ],
            primary_key=["order_id", "line_no"],
            foreign_keys=[
                Fk(
                    name="order_lines_order_id_fkey",
                    columns=["order_id"],
                    references_schema=s,
                    references_table="orders",
                    references_columns=["id"],
                )
            ],
            indexes=[Ix(name="order_lines_pkey", columns=["order_id", "line_no"], unique=True, primary=True)],
        ),
        Table(
            schema=s,
            name="orders",
            row_estimate=None,
            columns=[
                Col(name="id", type="bigint", nullable=False, default="GENERATED ALWAYS AS IDENTITY"),
                Col(name="account_no", type="integer", nullable=False),
                Col(name="region", type="text", nullable=False),
                Col(name="status", type="text", nullable=False, default="'new'::text"),
                Col(name="total", type="numeric(10,2)", nullable=True),
            ],
            primary_key=["id"],
            foreign_keys=[
                Fk(
                    name="orders_account_fk",
                    columns=["account_no", "region"],
                    references_schema=s,
                    references_table="accounts",
                    references_columns=["account_no", "region"],
                )
            ],
            # A partial index lists its key columns; the predicate is not part of the shape.
            indexes=[
                Ix(name="orders_open_idx", columns=["account_no", "region"], unique=False),
                Ix(name="orders_pkey", columns=["id"], unique=True, primary=True),
            ],
        ),
    ]


@pytest.fixture
async def pg_schema(started_app: Any) -> Any:
    name = f"disc_{uuid.uuid4().hex[:8]}"
    pool = started_app.state.engines.postgres.pool
    async with pool.connection() as conn:
        await conn.execute(PG_SCHEMA.format(s=name))
    yield name
    async with pool.connection() as conn:
        await conn.execute(f"DROP SCHEMA {name} CASCADE")


async def test_postgres_discovery_is_exact(started_app: Any, pg_schema: str, progress: JobProgress) -> None:
    dsn = started_app.state.engines.postgres.url
    tables = await discover_database(Target({"dsn": dsn}), progress, LOCAL)
    mine = [t for t in tables if t.schema == pg_schema]
    assert mine == _expected_pg(pg_schema)
    # The application's own tables are there too; the catalogue schemas are not.
    assert any(t.schema == "public" and t.name == "jobs" for t in tables)
    assert not any(t.schema in ("pg_catalog", "information_schema") for t in tables)
    steps = await _steps(progress)
    assert steps[0] == "Connected"
    assert steps[-1] == f"Read {len(tables)} tables"


@pytest.mark.parametrize(
    ("dsn", "words"),
    [
        ("postgresql://user:secret@10.0.0.5:5432/app", "10.0.0.5"),
        ("mysql://root:secret@192.168.1.1/app", "192.168.1.1"),
        ("postgresql://user:secret@169.254.169.254/app", "169.254.169.254"),
        ("postgresql://user:secret@/app?host=/var/run/postgresql", "unix socket"),
    ],
)
async def test_private_hosts_are_refused_without_connecting(dsn: str, words: str, progress: JobProgress) -> None:
    started = time.monotonic()
    with pytest.raises(OutboundRefused) as refused:
        await discover_database(Target({"dsn": dsn}), progress, OutboundPolicy(()))
    assert words in str(refused.value)
    assert "secret" not in str(refused.value)
    assert time.monotonic() - started < 1  # refused before any connection attempt (10 s timeout)
    assert await _steps(progress) == []


async def test_bad_dsns_are_explained(progress: JobProgress) -> None:
    for dsn, words in [
        ("", "no DSN"),
        ("oracle://x@example.com/db", "Unsupported database type 'oracle'"),
        ("postgresql://x@127.0.0.1/db?service=prod&sslkey=/etc/key", "service, sslkey setting is not accepted"),
    ]:
        with pytest.raises(DatabaseDiscoveryError, match=words):
            await discover_database(Target({"dsn": dsn}), progress, LOCAL)
    with pytest.raises(DatabaseDiscoveryError) as failed:
        await discover_database(Target({"dsn": "postgresql://nobody:hunter2@127.0.0.1:1/x"}), progress, LOCAL)
    assert "Could not connect to the database" in str(failed.value)
    assert "hunter2" not in str(failed.value)


# MariaDB / MySQL --------------------------------------------------------------------------
MYSQL_TABLES = [
    """CREATE TABLE accounts (
        region VARCHAR(8) NOT NULL, account_no INT NOT NULL, email VARCHAR(100) NOT NULL,
        nickname VARCHAR(40) NULL, status VARCHAR(10) NOT NULL DEFAULT 'new',
        PRIMARY KEY (region, account_no), UNIQUE KEY accounts_email (email)) ENGINE=InnoDB""",
    """CREATE TABLE orders (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, account_no INT NOT NULL, region VARCHAR(8) NOT NULL,
        total DECIMAL(10,2) NULL,
        KEY orders_account (account_no, region),
        CONSTRAINT orders_account_fk FOREIGN KEY (region, account_no) REFERENCES accounts (region, account_no)
    ) ENGINE=InnoDB""",
]


@pytest.fixture
def mysql_database() -> Any:
    pymysql = pytest.importorskip("pymysql")
    try:
        admin = pymysql.connect(
            host="127.0.0.1", port=3306, user="root", password="", connect_timeout=3, autocommit=True
        )
    except pymysql.MySQLError as exc:
        pytest.skip(f"MariaDB/MySQL is not reachable on 127.0.0.1:3306 as root without a password: {exc}")
    name = f"disc_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
        cur.execute(f"USE {name}")
        for statement in MYSQL_TABLES:
            cur.execute(statement)
    yield name
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE {name}")
    admin.close()


async def test_mysql_discovery_is_exact(mysql_database: str, progress: JobProgress) -> None:
    tables = await discover_database(Target({"dsn": f"mysql://root@127.0.0.1:3306/{mysql_database}"}), progress, LOCAL)
    s = mysql_database
    # Indexes come in the server's name order (case-insensitive collation: PRIMARY after a...).
    assert tables == [
        Table(
            schema=s,
            name="accounts",
            row_estimate=0,
            columns=[
                Col(name="region", type="varchar(8)", nullable=False),
                Col(name="account_no", type="int(11)", nullable=False),
                Col(name="email", type="varchar(100)", nullable=False),
                Col(name="nickname", type="varchar(40)", nullable=True),
                Col(name="status", type="varchar(10)", nullable=False, default="'new'"),
            ],
            primary_key=["region", "account_no"],
            foreign_keys=[],
            indexes=[
                Ix(name="accounts_email", columns=["email"], unique=True),
                Ix(name="PRIMARY", columns=["region", "account_no"], unique=True, primary=True),
            ],
        ),
        Table(
            schema=s,
            name="orders",
            row_estimate=0,
            columns=[
                Col(name="id", type="bigint(20)", nullable=False),
                Col(name="account_no", type="int(11)", nullable=False),
                Col(name="region", type="varchar(8)", nullable=False),
                Col(name="total", type="decimal(10,2)", nullable=True),
            ],
            primary_key=["id"],
            foreign_keys=[
                Fk(
                    name="orders_account_fk",
                    columns=["region", "account_no"],
                    references_schema=s,
                    references_table="accounts",
                    references_columns=["region", "account_no"],
                )
            ],
            indexes=[
                Ix(name="orders_account", columns=["account_no", "region"], unique=False),
                # InnoDB adds an index for the foreign key's columns.
                Ix(name="orders_account_fk", columns=["region", "account_no"], unique=False),
                Ix(name="PRIMARY", columns=["id"], unique=True, primary=True),
            ],
        ),
    ]
    assert (await _steps(progress))[0] == "Connected"
