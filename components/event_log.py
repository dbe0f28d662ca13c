"""View model of an application's live event log: each stored event as a row, its
properties summed up in a line and shown whole on demand."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from app.domain.analytics.recent import RecentEvent

# How many properties the row's summary names, and how much of each value it shows.
SUMMARY_PROPERTIES = 3
SUMMARY_VALUE_CHARS = 40


def rows(events: list[RecentEvent], now: datetime) -> list[dict[str, Any]]:
    return [_row(event, now) for event in events]


def _row(event: RecentEvent, now: datetime) -> dict[str, Any]:
    moment = event.timestamp
    return {
        "time": moment.strftime("%H:%M:%S") if moment.date() == now.date() else moment.strftime("%d %b %H:%M:%S"),
        "iso": moment.isoformat(),
        "event": event.event,
        "user": event.distinct_id,
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
