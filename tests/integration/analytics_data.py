"""Events written straight into the analytics store for query tests (no ingestion path).

The session shares one chDB, so every test charts an application of its own."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar

COLUMNS = "app_id, org_id, uuid, event, distinct_id, session_id, timestamp, properties"


def day_start(days_ago: int) -> datetime:
    """Midnight UTC `days_ago` days back: inside retention, and whole days for day buckets."""
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)


def event(
    event: str, at: datetime, user: str = "u1", properties: dict[str, Any] | None = None
) -> tuple[str, datetime, str, dict[str, Any]]:
    return (event, at, user, properties or {})


async def insert_events(
    app: Litestar, app_id: str, org_id: str, rows: Iterable[tuple[str, datetime, str, dict[str, Any]]]
) -> int:
    lines = [
        json.dumps(
            {
                "app_id": app_id,
                "org_id": org_id,
                "uuid": str(uuid.uuid4()),
                "event": name,
                "distinct_id": user,
                "session_id": "",
                "timestamp": at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                "properties": json.dumps(properties),
            }
        )
        for name, at, user, properties in rows
    ]
    store = app.state.engines.clickhouse
    await store.command(f"INSERT INTO events ({COLUMNS}) FORMAT JSONEachRow\n" + "\n".join(lines))
    return len(lines)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
