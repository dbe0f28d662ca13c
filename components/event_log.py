"""View model of an application's event log: each stored event as a row, its properties
summed up in a line and shown whole on demand, and the link to the page before."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from app.domain.analytics.recent import LogFilter, LogPage, RecentEvent

# How many properties the row's summary names, and how much of each value it shows.
SUMMARY_PROPERTIES = 3
SUMMARY_VALUE_CHARS = 40


def rows(app_id: str, events: list[RecentEvent], now: datetime) -> list[dict[str, Any]]:
    return [_row(app_id, event, now) for event in events]


def moment(value: datetime, now: datetime) -> dict[str, str]:
    """A time as the log shows it (the date only when not today) and as <time datetime>."""
    shown = value.strftime("%H:%M:%S") if value.date() == now.date() else value.strftime("%d %b %H:%M:%S")
    return {"time": shown, "iso": value.isoformat()}


def href(app_id: str, narrowed: LogFilter, before: str = "", *, rows_only: bool = False) -> str:
    """The log's address with these filters: the page, or (rows_only) its rows for htmx."""
    parts = (("event", narrowed.event), ("user", narrowed.user), ("contains", narrowed.contains), ("before", before))
    query = urlencode({name: value for name, value in parts if value})
    path = f"/applications/{app_id}/events" + ("/list" if rows_only else "")
    return f"{path}?{query}" if query else path


def older_link(app_id: str, page: LogPage, narrowed: LogFilter) -> dict[str, str] | None:
    """The link under the rows to the page before, with the same filters: the next events when
    the page was full, else the window before the one just searched."""
    if page.older is None:
        return None
    text = "Older events" if page.full else "Search the 24 hours before"
    return {"href": href(app_id, narrowed, page.older), "text": text}


def _row(app_id: str, event: RecentEvent, now: datetime) -> dict[str, Any]:
    return {
        **moment(event.timestamp, now),
        "event": event.event,
        "user": event.distinct_id,
        "user_href": href(app_id, LogFilter(user=event.distinct_id)),
        "summary": summary(event.properties),
        "properties": json.dumps(event.properties, indent=2, ensure_ascii=False) if event.properties else "",
    }


def summary(properties: dict[str, Any]) -> str:
    """ "path: /cart · price: 12.5 · +4 more": the first few properties in the order they were
    sent (a tracker puts the telling ones first), values cut short."""
    names = list(properties)
    shown = [f"{name}: {_short(properties[name])}" for name in names[:SUMMARY_PROPERTIES]]
    rest = len(names) - SUMMARY_PROPERTIES
    return " · ".join(shown + ([f"+{rest} more"] if rest > 0 else []))


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SUMMARY_VALUE_CHARS else text[: SUMMARY_VALUE_CHARS - 1] + "…"
