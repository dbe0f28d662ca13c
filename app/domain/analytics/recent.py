"""The events of an application as stored, newest first, a page at a time: what its event log
shows, so the people wiring up tracking see each event arrive with its properties, and
support can follow one user or find the events that mention an order, a coupon or an error.
SQL built here; no other I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec

from app.core.pagination import Cursor, encode_cursor
from app.domain.ingest.prepare import FUTURE_TOLERANCE
from app.engines.clickhouse import AnalyticsStore, query_frame, time_param

# How far back one page looks: the sort key prunes to these hours, so a quiet application's
# last event from last week is not worth a scan of the week. A page that finds fewer events
# offers the window before it instead.
WINDOW = timedelta(days=1)
LIMIT = 50
_FIRST = "ffffffff-ffff-ffff-ffff-ffffffffffff"  # above every uuid: nothing is skipped at the top
_BEFORE_ALL = "00000000-0000-0000-0000-000000000000"  # below every uuid: strictly before a moment

# Keyset paging on (timestamp, uuid), compared as ClickHouse orders them, so events sharing a
# millisecond are neither repeated nor skipped across pages.
_PAGE = """
SELECT timestamp, toString(uuid) AS id, event, distinct_id, properties
FROM events
WHERE app_id = {app_id:UUID}
  AND org_id = {org_id:UUID}
  AND timestamp >= {since:DateTime64(3, 'UTC')}
  AND (timestamp, uuid) < ({before:DateTime64(3, 'UTC')}, {before_id:UUID})
  AND (empty({event:String}) OR event = {event:String})
  AND (empty({user:String}) OR distinct_id = {user:String})
  AND (empty({contains:String}) OR arrayExists(
        property -> positionCaseInsensitiveUTF8(property.1, {contains:String}) > 0
                    OR positionCaseInsensitiveUTF8(property.2, {contains:String}) > 0,
        JSONExtractKeysAndValues(properties, 'String')))
ORDER BY timestamp DESC, uuid DESC
LIMIT {limit:UInt32}
"""


class LogFilter(msgspec.Struct, frozen=True):
    """What the log is narrowed to; each part empty for any. `contains` matches, ignoring
    case, a top-level property's name or its value as text: a string unescaped (so "zürich"
    finds the "Z\\u00fcrich" a Python SDK sends), a number or nested object as its JSON."""

    event: str = ""
    user: str = ""
    contains: str = ""


class RecentEvent(msgspec.Struct, frozen=True):
    timestamp: datetime
    event: str
    distinct_id: str
    properties: dict[str, Any]


class LogPage(msgspec.Struct, frozen=True):
    events: list[RecentEvent]
    # Where this page stopped looking back (WINDOW before its start).
    since: datetime
    # True when more events of the window follow: `older` then continues after the last one.
    # Otherwise `older` opens the window before `since`, until retention ends (then None).
    full: bool
    older: str | None


async def page(
    store: AnalyticsStore,
    app_id: str,
    org_id: str,
    now: datetime,
    retention: timedelta,
    narrowed: LogFilter = LogFilter(),
    *,
    before: Cursor | None = None,
    limit: int = LIMIT,
) -> LogPage:
    """Up to `limit` events older than `before` (else the latest, an hour's clock skew ahead of
    `now` included), within WINDOW of it; only those `narrowed` lets through."""
    start = before or Cursor(now + FUTURE_TOLERANCE, _FIRST)
    since = (before.created_at if before else now) - WINDOW
    params = {
        "app_id": app_id,
        "org_id": org_id,
        "since": time_param(since, milliseconds=True),
        "before": time_param(start.created_at, milliseconds=True),
        "before_id": start.id,
        "event": narrowed.event,
        "user": narrowed.user,
        "contains": narrowed.contains,
        "limit": limit + 1,
    }
    rows = list((await query_frame(store, _PAGE, params)).iter_rows(named=True))
    full = len(rows) > limit
    rows = rows[:limit]
    if full:
        older: str | None = encode_cursor(rows[-1]["timestamp"], rows[-1]["id"])
    else:
        older = encode_cursor(since, _BEFORE_ALL) if since > now - retention else None
    events = [
        RecentEvent(row["timestamp"], row["event"], row["distinct_id"], _object(row["properties"])) for row in rows
    ]
    return LogPage(events, since, full, older)


def _object(text: str) -> dict[str, Any]:
    """Stored properties are a JSON object (the ingest path writes them so)."""
    decoded = msgspec.json.decode(text) if text else {}
    return decoded if isinstance(decoded, dict) else {}
