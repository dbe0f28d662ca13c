"""Insights API (API.md "Insights"): the inbox as JSON, one insight with its history, triage."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.errors import ApiError
from app.core.pagination import Page, decode_cursor, page_of
from app.domain.insights import queries, service, triage
from app.domain.insights.schemas import (
    AssignBody,
    BulkBody,
    BulkResult,
    CommentBody,
    EvaluateAccepted,
    Insight,
    InsightDetail,
    NoteBody,
    SnoozeBody,
)
from app.domain.insights.tasks import TICK_TASK
from app.domain.jobs import queries as jobs

AnyRequest = Request[Any, Any, Any]
TRIAGE = [requires(Permission.TRIAGE)]
StatusFilter = Literal["new", "acknowledged", "resolved", "dismissed", "open", "snoozed"]
SeverityFilter = Literal["low", "medium", "high", "critical"]
TypeFilter = Literal["performance", "churn", "feature", "security", "business", "technical"]


def _effects(state: State) -> tuple[Any, Any]:
    return state.live_hub, state.queue


def filters_of(
    principal_id: str,
    status: str | None,
    severity: str | None,
    type_: str | None,
    app_id: str | None,
    assignee: str | None,
    q: str | None,
) -> dict[str, Any]:
    """Query-string filters → the query layer's; `assignee=me` is the caller."""
    assignee_id = principal_id if assignee == "me" else assignee
    for name, value in (("app_id", app_id), ("assignee", assignee_id)):
        if value:
            try:
                UUID(value)
            except ValueError as exc:
                raise ApiError(400, "invalid_filter", f"`{name}` must be an id.") from exc
    return {
        "status": status,
        "severity": severity,
        "type": type_,
        "app_id": app_id,
        "assignee_id": assignee_id,
        "q": (q or "").strip()[:200] or None,
    }


async def detail(conn: queries.Conn, org_id: str, insight_id: str) -> InsightDetail:
    row = await queries.get(conn, org_id, insight_id)
    if row is None:
        raise triage.not_found()
    history = await queries.history(conn, org_id, insight_id)
    return service.to_detail(row, history)


class InsightController(Controller):
    path = "/v1/insights"
    tags = ["insights"]
    guards = [requires(Permission.READ)]

    @get("/", summary="The insights inbox, newest first, filtered")
    async def list_insights(
        self,
        db: Db,
        principal: CurrentPrincipal,
        status: FromQuery[StatusFilter | None] = None,
        severity: FromQuery[SeverityFilter | None] = None,
        type: FromQuery[TypeFilter | None] = None,
        app_id: FromQuery[str | None] = None,
        assignee: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> Page[Insight]:
        filters = filters_of(principal.user_id, status, severity, type, app_id, assignee, q)
        rows = await queries.list_page(db, principal.org_id, filters, limit, decode_cursor(cursor))
        return page_of(rows, limit, service.to_insight)

    @get("/{insight_id:uuid}", summary="One insight with its history, oldest first")
    async def show(self, insight_id: FromPath[UUID], db: Db, principal: CurrentPrincipal) -> InsightDetail:
        return await detail(db, principal.org_id, str(insight_id))

    async def _act(
        self,
        request: AnyRequest,
        state: State,
        principal: Any,
        insight_id: UUID,
        action: triage.Action,
        options: triage.Options,
    ) -> Insight:
        pool = state.engines.postgres.pool
        row = await triage.act(pool, _effects(state), principal, str(insight_id), action, options, request)
        return service.to_insight(row)

    @post("/{insight_id:uuid}/acknowledge", guards=TRIAGE, status_code=200, summary="Acknowledge")
    async def acknowledge(
        self,
        request: AnyRequest,
        insight_id: FromPath[UUID],
        principal: CurrentPrincipal,
        state: State,
        data: JSONBody[NoteBody | None] = None,
    ) -> Insight:
        note = data.note if data else None
        return await self._act(request, state, principal, insight_id, "acknowledge", triage.Options(note=note))

    @post("/{insight_id:uuid}/resolve", guards=TRIAGE, status_code=200, summary="Resolve")
    async def resolve(
        self,
        request: AnyRequest,
        insight_id: FromPath[UUID],
        principal: CurrentPrincipal,
        state: State,
        data: JSONBody[NoteBody | None] = None,
    ) -> Insight:
        note = data.note if data else None
        return await self._act(request, state, principal, insight_id, "resolve", triage.Options(note=note))

    @post("/{insight_id:uuid}/dismiss", guards=TRIAGE, status_code=200, summary="Dismiss")
    async def dismiss(
        self,
        request: AnyRequest,
        insight_id: FromPath[UUID],
        principal: CurrentPrincipal,
        state: State,
        data: JSONBody[NoteBody | None] = None,
    ) -> Insight:
        note = data.note if data else None
        return await self._act(request, state, principal, insight_id, "dismiss", triage.Options(note=note))

    @post("/{insight_id:uuid}/reopen", guards=TRIAGE, status_code=200, summary="Reopen")
    async def reopen(
        self,
        request: AnyRequest,
        insight_id: FromPath[UUID],
        principal: CurrentPrincipal,
        state: State,
        data: JSONBody[NoteBody | None] = None,
    ) -> Insight:
        note = data.note if data else None
        return await self._act(request, state, principal, insight_id, "reopen", triage.Options(note=note))

    @post("/{insight_id:uuid}/assign", guards=TRIAGE, status_code=200, summary="Assign (null: unassign)")
    async def assign(
        self,
        request: AnyRequest,
        insight_id: FromPath[UUID],
        data: JSONBody[AssignBody],
        principal: CurrentPrincipal,
        state: State,
    ) -> Insight:
        options = triage.Options(assignee_id=data.assignee_id)
        return await self._act(request, state, principal, insight_id, "assign", options)

    @post("/{insight_id:uuid}/snooze", guards=TRIAGE, status_code=200, summary="Snooze")
    async def snooze(
        self,
        request: AnyRequest,
        insight_id: FromPath[UUID],
        data: JSONBody[SnoozeBody],
        principal: CurrentPrincipal,
        state: State,
    ) -> Insight:
        options = triage.Options(until=data.until, until_escalates=data.until_escalates)
        return await self._act(request, state, principal, insight_id, "snooze", options)

    @post("/{insight_id:uuid}/comment", guards=TRIAGE, status_code=201, summary="Comment")
    async def comment(
        self,
        request: AnyRequest,
        insight_id: FromPath[UUID],
        data: JSONBody[CommentBody],
        principal: CurrentPrincipal,
        state: State,
    ) -> Insight:
        return await self._act(request, state, principal, insight_id, "comment", triage.Options(body=data.body))

    @post("/bulk", guards=TRIAGE, status_code=200, summary="One action on many insights")
    async def bulk(
        self, request: AnyRequest, data: JSONBody[BulkBody], principal: CurrentPrincipal, state: State
    ) -> BulkResult:
        pool = state.engines.postgres.pool
        updated, failed = await triage.bulk(pool, _effects(state), principal, data, request)
        return BulkResult(updated=updated, failed=failed)

    @post("/evaluate", guards=[requires(Permission.ADMIN)], status_code=202, summary="Evaluate insights now")
    async def evaluate(self, db: Db, principal: CurrentPrincipal, state: State) -> EvaluateAccepted:
        return EvaluateAccepted(job_id=await enqueue_evaluation(db, state, principal.org_id, principal.user_id))


async def enqueue_evaluation(conn: queries.Conn, state: State, org_id: str, user_id: str) -> str:
    """Queue one evaluation of the organisation's applications, with a job row to follow."""
    job = await jobs.create(conn, org_id, "insights_evaluate", None, None, user_id)
    await state.queue.enqueue(TICK_TASK, org_id=org_id, job_id=job["id"])
    return str(job["id"])
