"""The latest events of an application, as stored: what a live event log shows, so the
people wiring up tracking see each event arrive with its properties. SQL built here; no
other I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec

from app.engines.clickhouse import AnalyticsStore, query_frame, time_param

# How far back the log looks: the sort key prunes to these hours, so a quiet application's
# last event from last week is not worth a scan of the week.
WINDOW = timedelta(days=1)
LIMIT = 50

_LATEST = """
SELECT timestamp, event, distinct_id, properties
FROM events
WHERE app_id = {app_id:UUID}
  AND org_id = {org_id:UUID}
  AND timestamp >= {since:DateTime64(3, 'UTC')}
  AND (empty({event:String}) OR event = {event:String})
ORDER BY timestamp DESC
LIMIT {limit:UInt32}
"""


class RecentEvent(msgspec.Struct, frozen=True):
    timestamp: datetime
    event: str
    distinct_id: str
    properties: dict[str, Any]


async def latest(
    store: AnalyticsStore, app_id: str, org_id: str, now: datetime, event: str = "", limit: int = LIMIT
) -> list[RecentEvent]:
    """The application's `limit` latest events of the last WINDOW, newest first; only those
    named `event` when given."""
    since = time_param(now - WINDOW, milliseconds=True)
    params = {"app_id": app_id, "org_id": org_id, "since": since, "event": event, "limit": limit}
    frame = await query_frame(store, _LATEST, params)
    return [
        RecentEvent(row["timestamp"], row["event"], row["distinct_id"], _object(row["properties"]))
        for row in frame.iter_rows(named=True)
    ]


def _object(text: str) -> dict[str, Any]:
    """Stored properties are a JSON object (the ingest path writes them so)."""
    decoded = msgspec.json.decode(text) if text else {}
    return decoded if isinstance(decoded, dict) else {}
