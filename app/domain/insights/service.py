"""Insight lifecycle driven by detectors: open or update one insight per condition, wake
snoozes that ran out or were outgrown, resolve when the condition is gone.

Side effects leave only after the transaction commits: the live frame (on the application's
channel and the organisation's insights channel) and the webhook events. A subscriber must
never hear about an insight that was then rolled back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import msgspec
import saq
import structlog
from psycopg_pool import AsyncConnectionPool

from app.domain.insights import queries
from app.domain.insights.schemas import SEVERITY_RANK, Insight, InsightDetail, InsightDraft
from app.domain.webhooks.service import emit_event
from app.worker import TaskContext
from realtime.frames import InsightFrame, encode, insights_channel_for
from realtime.hub import LiveHub

log = structlog.get_logger(__name__)

Outcome = Literal["created", "updated", "reopened", "unchanged"]
# The evidence's headline number moving by more than this share counts as a material change
# (a history row, a live frame, a webhook); smaller moves only refresh the stored evidence.
MATERIAL_CHANGE = 0.25
# A dismissed condition that persists does not come back at the same or a lower severity for this long.
DISMISS_QUIET = timedelta(hours=24)


def to_insight(row: dict[str, Any]) -> Insight:
    return msgspec.convert(row, Insight)


def to_detail(row: dict[str, Any], history: list[dict[str, Any]]) -> InsightDetail:
    return msgspec.convert({**row, "history": history}, InsightDetail)


def to_payload(row: dict[str, Any]) -> dict[str, Any]:
    """The insight as JSON-ready builtins: live frames and webhook bodies carry this."""
    payload: dict[str, Any] = msgspec.to_builtins(to_insight(row))
    return payload


# Detectors of app/domain/analytics/anomaly.py, and the evidence an anomaly.detected event carries.
ANOMALY_DETECTORS = ("rolling_mad", "seasonal_mad")
ANOMALY_FIELDS = ("metric", "at", "value", "baseline", "lower", "upper", "score", "change_pct", "detector")


async def announce(
    pool: AsyncConnectionPool[Any],
    hub: LiveHub | None,
    queue: saq.Queue | None,
    row: dict[str, Any],
    event_type: str | None,
) -> None:
    """After commit: the changed insight to live watchers, and `event_type` to webhooks."""
    payload = to_payload(row)
    if hub is not None:
        frame = encode(InsightFrame(insight=payload))
        await hub.publish(row["app_id"], frame)
        await hub.publish(insights_channel_for(row["org_id"]), frame)
    if event_type is not None and queue is not None:
        await emit_event(pool, queue, row["org_id"], event_type, {"insight": payload})


def _headline(data: dict[str, Any]) -> float | None:
    value = data.get("value")
    return float(value) if isinstance(value, int | float) else None


def materially_changed(old: dict[str, Any], draft: InsightDraft) -> bool:
    if old["severity"] != draft.severity:
        return True
    before, after = _headline(old["data"] or {}), _headline(draft.data)
    if before is None or after is None:
        return before != after
    return abs(after - before) > MATERIAL_CHANGE * max(abs(before), 1.0)


def _is_snoozed(row: dict[str, Any], now: datetime) -> bool:
    return row["snoozed_until"] is not None and row["snoozed_until"] > now


async def _update_open(conn: queries.Conn, row: dict[str, Any], draft: InsightDraft, now: datetime) -> Outcome:
    fields = msgspec.structs.asdict(draft)
    material = materially_changed(row, draft)
    await queries.refresh_detection(conn, row["org_id"], row["id"], fields)
    change = {
        "severity": {"from": row["severity"], "to": draft.severity},
        "value": {"from": _headline(row["data"] or {}), "to": _headline(draft.data)},
    }
    if _is_snoozed(row, now):
        snooze = await queries.last_snooze(conn, row["org_id"], row["id"])
        at_snooze = (snooze["data"] if snooze else {}).get("severity", row["severity"])
        if SEVERITY_RANK[draft.severity] > SEVERITY_RANK.get(at_snooze, 4):
            await queries.set_state(conn, row["org_id"], row["id"], snoozed_until=None)
            body = f"Escalated from {at_snooze} to {draft.severity} while snoozed; back in the inbox."
            await queries.add_event(conn, row["org_id"], row["id"], "reopened", body=body, data=change)
            return "reopened"
    if not material:
        return "unchanged"
    await queries.add_event(conn, row["org_id"], row["id"], "updated", data=change)
    return "updated"


async def observe_outcome(
    ctx: TaskContext, org_id: str, app_id: str, draft: InsightDraft, now: datetime | None = None
) -> tuple[Outcome, dict[str, Any]]:
    """`observe`, also saying what happened (the scheduler counts it)."""
    now = now or datetime.now(UTC)
    pool = ctx["engines"].postgres.pool
    assert pool is not None
    async with pool.connection() as conn, conn.transaction():
        current = await queries.get_open(conn, org_id, app_id, draft.fingerprint)
        outcome: Outcome
        dismissed = None
        if current is None:
            dismissed = await queries.recently_dismissed(conn, org_id, app_id, draft.fingerprint, now - DISMISS_QUIET)
        if dismissed is not None and SEVERITY_RANK[draft.severity] <= SEVERITY_RANK[dismissed["severity"]]:
            # Someone judged this condition not worth attention: stay quiet unless it gets worse.
            return "unchanged", dismissed
        if current is None:
            new_id = await queries.insert_open(conn, org_id, app_id, msgspec.structs.asdict(draft))
            if new_id is not None:
                created = {"severity": draft.severity, "detector": draft.data.get("detector")}
                await queries.add_event(conn, org_id, new_id, "created", data=created)
                outcome, insight_id = "created", new_id
            else:  # another tick opened it between our look and our insert
                current = await queries.get_open(conn, org_id, app_id, draft.fingerprint)
                assert current is not None
        if current is not None:
            outcome, insight_id = await _update_open(conn, current, draft, now), current["id"]
        row = await queries.get(conn, org_id, insight_id)
        assert row is not None
    if outcome != "unchanged":
        event_type = "insight.created" if outcome == "created" else "insight.updated"
        await announce(pool, ctx.get("hub"), ctx.get("queue"), row, event_type)
    queue = ctx.get("queue")
    if outcome == "created" and queue is not None and str(draft.data.get("detector", "")).startswith(ANOMALY_DETECTORS):
        # The anomaly itself, for subscribers who want detections rather than inbox items.
        anomaly = {key: draft.data.get(key) for key in ANOMALY_FIELDS}
        await emit_event(
            pool, queue, org_id, "anomaly.detected", {"app_id": app_id, "insight_id": row["id"], "anomaly": anomaly}
        )
    return outcome, row


async def observe(ctx: TaskContext, org_id: str, app_id: str, draft: InsightDraft) -> dict[str, Any]:
    """Open an insight for the draft's condition, or update the open one; returns it (API shape)."""
    _, row = await observe_outcome(ctx, org_id, app_id, draft)
    return to_payload(row)


async def recover(ctx: TaskContext, org_id: str, app_id: str, fingerprint: str, note: str) -> None:
    """The condition is gone: resolve its open insight (if any) with `note` in its history."""
    pool = ctx["engines"].postgres.pool
    assert pool is not None
    async with pool.connection() as conn, conn.transaction():
        current = await queries.get_open(conn, org_id, app_id, fingerprint)
        if current is None:
            return
        await queries.set_state(conn, org_id, current["id"], status="resolved")
        await queries.add_event(conn, org_id, current["id"], "resolved", body=note, data={"automatic": True})
        row = await queries.get(conn, org_id, current["id"])
        assert row is not None
    await announce(pool, ctx.get("hub"), ctx.get("queue"), row, "insight.resolved")


async def wake_snoozed(ctx: TaskContext, now: datetime) -> int:
    """Snoozes that ran out: back in the inbox, with a history row. Returns how many woke."""
    pool = ctx["engines"].postgres.pool
    assert pool is not None
    async with pool.connection() as conn:
        due = await queries.due_snoozes(conn, now)
    woken = 0
    for item in due:
        async with pool.connection() as conn, conn.transaction():
            row = await queries.get(conn, item["org_id"], item["id"], lock=True)
            # Re-checked under the lock: someone may have resolved or re-snoozed it meanwhile.
            if row is None or row["snoozed_until"] is None or row["snoozed_until"] > now:
                continue
            if row["status"] not in ("new", "acknowledged"):
                continue
            await queries.set_state(conn, item["org_id"], item["id"], snoozed_until=None)
            body = "Snooze ended; back in the inbox."
            await queries.add_event(conn, item["org_id"], item["id"], "reopened", body=body)
            row = await queries.get(conn, item["org_id"], item["id"])
            assert row is not None
        woken += 1
        await announce(pool, ctx.get("hub"), ctx.get("queue"), row, "insight.updated")
    return woken
