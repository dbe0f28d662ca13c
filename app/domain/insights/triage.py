"""Triage: what people do to insights (acknowledge, resolve, dismiss, reopen, assign, snooze,
comment), one action at a time or in bulk.

Each action runs in one transaction with its history row and its audit entry; the changed
insight is announced (live + webhook) only after the commit. Moves the state machine does not
allow are 409 `invalid_transition`, never silent no-ops.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from litestar.connection import ASGIConnection
from psycopg import errors
from psycopg_pool import AsyncConnectionPool

from app.core import audit
from app.core.auth import Principal
from app.core.errors import ApiError
from app.domain.insights import queries, service
from app.domain.insights.schemas import BulkBody

Request = ASGIConnection[Any, Any, Any, Any] | None
Action = Literal["acknowledge", "resolve", "dismiss", "reopen", "assign", "snooze", "comment"]

# "Until it escalates": no date ends it, only a more severe detection (see service._update_open).
UNTIL_ESCALATES = datetime(9999, 1, 1, tzinfo=UTC)
MAX_COMMENT = 10_000
MAX_BULK = 200
OPEN = ("new", "acknowledged")
# action -> (states it may start from, the status it leaves, history kind, webhook event)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "acknowledge": (("new",), "acknowledged", "acknowledged", "insight.updated"),
    "resolve": (OPEN, "resolved", "resolved", "insight.resolved"),
    "dismiss": (OPEN, "dismissed", "dismissed", "insight.updated"),
    "reopen": (("resolved", "dismissed"), "new", "reopened", "insight.updated"),
}


class Options:
    """An action's arguments, as they come from the API, a form or a bulk body."""

    def __init__(
        self,
        *,
        note: str | None = None,
        assignee_id: str | None = None,
        until: datetime | None = None,
        until_escalates: bool = False,
        body: str | None = None,
    ) -> None:
        self.note = (note or "").strip() or None
        self.assignee_id = assignee_id or None
        self.until = until
        self.until_escalates = until_escalates
        self.body = body


def not_found() -> ApiError:
    return ApiError(404, "not_found", "No such insight.")


async def _transition(conn: queries.Conn, row: dict[str, Any], action: str, actor: str, options: Options) -> str:
    sources, status, kind, event_type = TRANSITIONS[action]
    if row["status"] not in sources:
        raise ApiError(409, "invalid_transition", f"An insight that is {row['status']} cannot be {kind}.")
    await queries.set_state(conn, row["org_id"], row["id"], status=status)
    await queries.add_event(conn, row["org_id"], row["id"], kind, actor_id=actor, body=options.note)
    return event_type


async def _assign(conn: queries.Conn, row: dict[str, Any], actor: str, options: Options) -> str:
    assignee = options.assignee_id
    if assignee is not None:
        try:
            UUID(assignee)
        except ValueError as exc:
            raise ApiError(400, "invalid_assignee", "assignee_id must be a user id of your organisation.") from exc
        if not await queries.is_member(conn, row["org_id"], assignee):
            raise ApiError(400, "invalid_assignee", "assignee_id must be a user id of your organisation.")
    await queries.set_state(conn, row["org_id"], row["id"], assignee_id=assignee)
    await queries.add_event(conn, row["org_id"], row["id"], "assigned", actor_id=actor, data={"assignee_id": assignee})
    return "insight.updated"


async def _snooze(conn: queries.Conn, row: dict[str, Any], actor: str, options: Options) -> str:
    if row["status"] not in OPEN:
        raise ApiError(409, "invalid_transition", f"An insight that is {row['status']} cannot be snoozed.")
    if options.until_escalates:
        until = UNTIL_ESCALATES
    elif options.until is not None:
        until = options.until if options.until.tzinfo else options.until.replace(tzinfo=UTC)
        if until <= datetime.now(UTC):
            raise ApiError(400, "invalid_snooze", "`until` must be in the future.")
    else:
        raise ApiError(400, "invalid_snooze", "Give `until` (RFC 3339) or `until_escalates: true`.")
    await queries.set_state(conn, row["org_id"], row["id"], snoozed_until=until)
    # The severity at snooze time: a later, more severe detection wakes the insight early.
    data = {"until": until.isoformat(), "until_escalates": options.until_escalates, "severity": row["severity"]}
    await queries.add_event(conn, row["org_id"], row["id"], "snoozed", actor_id=actor, body=options.note, data=data)
    return "insight.updated"


async def _comment(conn: queries.Conn, row: dict[str, Any], actor: str, options: Options) -> None:
    body = (options.body or "").strip()
    if not body:
        raise ApiError(400, "invalid_comment", "A comment needs some text.")
    if len(body) > MAX_COMMENT:
        raise ApiError(400, "invalid_comment", f"A comment holds at most {MAX_COMMENT:,} characters.")
    await queries.add_event(conn, row["org_id"], row["id"], "commented", actor_id=actor, body=body)


async def act(
    pool: AsyncConnectionPool[Any],
    effects: tuple[Any, Any],
    principal: Principal,
    insight_id: str,
    action: Action,
    options: Options,
    request: Request,
) -> dict[str, Any]:
    """Do `action` to one insight of the principal's organisation; returns the insight row.
    `effects`: (live hub, queue) for the after-commit announcement."""
    try:
        UUID(insight_id)
    except ValueError as exc:
        raise not_found() from exc
    actor = principal.user_id
    try:
        async with pool.connection() as conn, conn.transaction():
            row = await queries.get(conn, principal.org_id, insight_id, lock=True)
            if row is None:
                raise not_found()
            event_type: str | None
            if action in TRANSITIONS:
                event_type = await _transition(conn, row, action, actor, options)
            elif action == "assign":
                event_type = await _assign(conn, row, actor, options)
            elif action == "snooze":
                event_type = await _snooze(conn, row, actor, options)
            else:
                await _comment(conn, row, actor, options)
                event_type = None  # a comment changes no state a subscriber tracks
            details: dict[str, Any] = {"note": options.note} if options.note else {}
            if action == "assign":
                details["assignee_id"] = options.assignee_id
            await audit.record(conn, principal, f"insight.{action}", "insight", insight_id, request, details)
            changed = await queries.get(conn, principal.org_id, insight_id)
            assert changed is not None
    except errors.UniqueViolation as exc:  # reopening while the condition has another open insight
        raise ApiError(409, "already_open", "This condition already has an open insight; triage that one.") from exc
    hub, queue = effects
    await service.announce(pool, hub, queue, changed, event_type)
    return changed


async def bulk(
    pool: AsyncConnectionPool[Any], effects: tuple[Any, Any], principal: Principal, body: BulkBody, request: Request
) -> tuple[list[str], list[dict[str, str]]]:
    """The same action on many insights; each one succeeds or fails on its own."""
    if not body.ids:
        raise ApiError(400, "invalid_ids", "Give at least one insight id.")
    if len(body.ids) > MAX_BULK:
        raise ApiError(400, "invalid_ids", f"At most {MAX_BULK} insights at a time.")
    options = Options(
        note=body.note,
        assignee_id=body.assignee_id,
        until=body.until,
        until_escalates=body.until_escalates,
        body=body.body,
    )
    updated: list[str] = []
    failed: list[dict[str, str]] = []
    for insight_id in dict.fromkeys(body.ids):
        try:
            await act(pool, effects, principal, insight_id, body.action, options, request)
        except ApiError as exc:
            failed.append({"id": insight_id, "code": exc.code, "message": exc.message})
        else:
            updated.append(insight_id)
    return updated, failed
