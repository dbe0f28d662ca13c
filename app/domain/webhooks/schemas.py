"""Webhooks API shapes (API.md "Webhooks")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

# What a webhook can subscribe to. `webhook.test` is sent by the test button to one webhook
# whatever it subscribes to, so it is not offered as a subscription.
EVENT_TYPES: tuple[str, ...] = (
    "insight.created",
    "insight.updated",
    "insight.resolved",
    "anomaly.detected",
    "report.weekly",
)
TEST_EVENT = "webhook.test"
EventType = Literal["insight.created", "insight.updated", "insight.resolved", "anomaly.detected", "report.weekly"]
WebhookUrl = Annotated[str, msgspec.Meta(max_length=2048, pattern=r"^[hH][tT][tT][pP][sS]?://[^\s/$.?#][^\s]*$")]
Events = Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=len(EVENT_TYPES))]
Description = Annotated[str, msgspec.Meta(max_length=500)]


class Webhook(msgspec.Struct):
    id: str
    url: str
    events: list[str]
    description: str | None
    is_active: bool
    # The whole secret on create and rotate; masked ("whsec_abcd…") everywhere else.
    secret: str
    created_at: datetime
    updated_at: datetime


class WebhookCreate(msgspec.Struct, forbid_unknown_fields=True):
    url: WebhookUrl
    events: Events
    description: Description | None = None


class WebhookUpdate(msgspec.Struct, forbid_unknown_fields=True):
    url: WebhookUrl | UnsetType = UNSET
    events: Events | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET
    is_active: bool | UnsetType = UNSET


class Attempt(msgspec.Struct):
    attempt: int
    status_code: int | None
    duration_ms: int
    error: str | None
    response_excerpt: str | None
    created_at: datetime


class Delivery(msgspec.Struct):
    id: str
    webhook_id: str
    event_type: str
    status: str
    attempt: int
    status_code: int | None
    duration_ms: int | None
    error: str | None
    response_excerpt: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    attempts: list[Attempt] = []


class SendResult(msgspec.Struct):
    """The answer of a synchronous send (test, replay): the delivery and what the receiver said."""

    delivery_id: str
    status_code: int | None
    status: str
    duration_ms: int
    error: str | None = None


def envelope(event_type: str, timestamp: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The message body, in the Standard Webhooks shape."""
    return {"type": event_type, "timestamp": timestamp.isoformat().replace("+00:00", "Z"), "data": data}
