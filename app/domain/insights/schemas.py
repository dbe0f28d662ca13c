"""Insight structs: what detectors propose (InsightDraft), what the API returns and accepts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

InsightType = Literal["performance", "churn", "feature", "security", "business", "technical"]
Severity = Literal["low", "medium", "high", "critical"]
Status = Literal["new", "acknowledged", "resolved", "dismissed"]
BulkAction = Literal["acknowledge", "resolve", "dismiss", "reopen", "assign", "snooze", "comment"]

SEVERITY_RANK: dict[str, int] = {"low": 1, "medium": 2, "high": 3, "critical": 4}
TYPES: tuple[str, ...] = ("performance", "churn", "feature", "security", "business", "technical")
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
STATUSES: tuple[str, ...] = ("new", "acknowledged", "resolved", "dismissed")


class InsightDraft(msgspec.Struct, kw_only=True):
    """A detector's finding about one condition of one application, before it is stored.

    `fingerprint` names the condition (e.g. 'volume:spike', 'latency:GET /checkout'): while an
    insight with that fingerprint is open, seeing the condition again updates it.
    """

    fingerprint: str
    type: InsightType
    severity: Severity
    title: str
    description: str
    recommendation: str | None
    confidence: float
    impact: str | None
    data: dict[str, Any]


class Insight(msgspec.Struct, kw_only=True):
    id: str
    app_id: str
    app_name: str | None = None
    type: str
    severity: str
    title: str
    description: str
    recommendation: str | None
    confidence: float | None
    impact: str | None
    status: str
    data: dict[str, Any]
    fingerprint: str | None
    assignee_id: str | None
    assignee_name: str | None = None
    snoozed_until: datetime | None
    resolved_at: datetime | None
    created_at: datetime
    updated_at: datetime


class InsightEvent(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    actor_id: str | None
    actor_name: str | None
    body: str | None
    data: dict[str, Any]
    created_at: datetime


class InsightDetail(Insight, kw_only=True):
    history: list[InsightEvent]


class AssignBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # None unassigns.
    assignee_id: str | None


class SnoozeBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    until: datetime | None = None
    until_escalates: bool = False


class CommentBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    body: str


class NoteBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Optional note on acknowledge / resolve / dismiss."""

    note: str | None = None


class BulkBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    ids: list[str]
    action: BulkAction
    assignee_id: str | None = None
    until: datetime | None = None
    until_escalates: bool = False
    body: str | None = None
    note: str | None = None


class BulkResult(msgspec.Struct, kw_only=True):
    updated: list[str]
    failed: list[dict[str, str]]


class EvaluateAccepted(msgspec.Struct, kw_only=True):
    job_id: str | None
