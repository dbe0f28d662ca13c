"""Server → browser frames of the live stream (API.md "Live stream"), and channel names."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec


class EventsFrame(msgspec.Struct, tag_field="type", tag="events"):
    """Events stored since the previous frame for this application (deltas)."""

    app_id: str
    t: datetime
    counts: dict[str, int]
    total: int


class InsightFrame(msgspec.Struct, tag_field="type", tag="insight"):
    insight: dict[str, Any]


class ConnectionFrame(msgspec.Struct, tag_field="type", tag="connection"):
    """A connection of the application was health-checked (the Health tab updates in place)."""

    connection_id: str
    status: str
    previous_status: str
    ok: bool
    latency_ms: int | None
    status_code: int | None
    error: str | None
    checked_at: datetime


Frame = EventsFrame | InsightFrame | ConnectionFrame
CloseReason = Literal["unauthenticated", "forbidden", "too_slow"]

_encoder = msgspec.json.Encoder()


def encode(frame: Frame) -> bytes:
    return _encoder.encode(frame)


def channel_for(app_id: str) -> str:
    """One Redis channel per application: a process subscribes only to what its clients watch."""
    return f"nexus:live:{app_id}"


def insights_channel_for(org_id: str) -> str:
    """The hub key of an organisation's insights stream (the inbox watches every application).
    A hub key, like an app id: LiveHub maps it to its Redis channel, so it holds no ':'."""
    return f"insights-{org_id}"
