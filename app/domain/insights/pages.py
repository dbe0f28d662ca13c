"""Browser pages for insights: the inbox (filters, search, bulk triage, live arrivals) and an
insight's page (evidence chart, triage, comments, history).

The inbox URL serves the whole page, or for an htmx request only the list block, so filters
and paging swap the list in place and the URL stays shareable.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.core.auth import Permission, Principal, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.errors import ApiError
from app.core.pages import flash, redirect, render
from app.core.pagination import decode_cursor, page_of
from app.domain.insights import queries, triage
from app.domain.insights.controllers import enqueue_evaluation, filters_of
from app.domain.insights.schemas import SEVERITIES, STATUSES, TYPES, BulkBody
from components.evidence import evidence_figure, evidence_summary

AnyRequest = Request[Any, Any, Any]
PAGE_SIZE = 50
FILTER_KEYS = ("status", "severity", "type", "app_id", "assignee", "q")
SNOOZE_CHOICES = {"1h": timedelta(hours=1), "4h": timedelta(hours=4), "1d": timedelta(days=1), "7d": timedelta(days=7)}
FORM_ACTIONS = ("acknowledge", "resolve", "dismiss", "reopen", "assign", "snooze", "comment")
DONE = {
    "acknowledge": "acknowledged",
    "resolve": "resolved",
    "dismiss": "dismissed",
    "reopen": "reopened",
    "assign": "assigned",
    "snooze": "snoozed",
    "comment": "commented on",
}


def _wanted(request: AnyRequest) -> dict[str, str]:
    """The inbox filters from the query string; the default view is the open inbox."""
    params = request.query_params
    wanted = {key: (params.get(key) or "").strip() for key in FILTER_KEYS}
    if "status" not in params:
        wanted["status"] = "open"
    if wanted["status"] not in (*STATUSES, "open", "snoozed", ""):
        wanted["status"] = "open"
    for key, allowed in (("severity", SEVERITIES), ("type", TYPES)):
        if wanted[key] not in (*allowed, ""):
            wanted[key] = ""
    return wanted


def _can(principal: Principal, permission: Permission) -> bool:
    return principal.can(permission)


def _is_htmx(request: AnyRequest) -> bool:
    return request.headers.get("hx-request") == "true"


class InsightPages(Controller):
    path = "/insights"
    include_in_schema = False
    guards = [requires(Permission.READ)]

    @get("/")
    async def inbox(self, request: AnyRequest, db: Db, principal: CurrentPrincipal) -> Template:
        wanted = _wanted(request)
        try:
            filters = filters_of(
                principal.user_id,
                wanted["status"] or None,
                wanted["severity"] or None,
                wanted["type"] or None,
                wanted["app_id"] or None,
                wanted["assignee"] or None,
                wanted["q"] or None,
            )
            cursor = decode_cursor(request.query_params.get("cursor"))
        except ApiError:
            filters, cursor = {"status": "open"}, None
        rows = await queries.list_page(db, principal.org_id, filters, PAGE_SIZE, cursor)
        page = page_of(rows, PAGE_SIZE, lambda row: row)
        query = {k: v for k, v in wanted.items() if v}
        next_url = f"/insights?{urlencode({**query, 'cursor': page.next_cursor})}" if page.next_cursor else None
        context: dict[str, Any] = {
            "insights": page.items,
            "wanted": wanted,
            "filtered": any(v for k, v in wanted.items() if k != "status") or wanted["status"] != "open",
            "next_url": next_url,
            "paged": cursor is not None,
            "can_triage": _can(principal, Permission.TRIAGE),
            "now": datetime.now(UTC),
        }
        if _is_htmx(request) and request.headers.get("hx-target") == "insight-list":
            return render(request, "pages/insights/_list.html", **context)
        apps = await queries.applications(db, principal.org_id)
        members = await queries.members(db, principal.org_id)
        return render(
            request,
            "pages/insights/inbox.html",
            nav="insights",
            apps=apps,
            members=members,
            can_admin=_can(principal, Permission.ADMIN),
            **context,
        )

    @get("/{insight_id:uuid}")
    async def detail(
        self, request: AnyRequest, insight_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> Template:
        row = await queries.get(db, principal.org_id, str(insight_id))
        if row is None:
            raise triage.not_found()
        history = await queries.history(db, principal.org_id, str(insight_id))
        series = (row["data"] or {}).get("series") or []
        return render(
            request,
            "pages/insights/detail.html",
            nav="insights",
            insight=row,
            history=history,
            figure=evidence_figure(series, row["data"] or {}) if series else None,
            figure_summary=evidence_summary(series, row["data"] or {}),
            members=await queries.members(db, principal.org_id),
            can_triage=_can(principal, Permission.TRIAGE),
            snooze_choices=list(SNOOZE_CHOICES),
            now=datetime.now(UTC),
        )

    @get("/{insight_id:uuid}/row")
    async def row(
        self, request: AnyRequest, insight_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> Template:
        """One inbox row: the live script swaps it in when the insight changes."""
        row = await queries.get(db, principal.org_id, str(insight_id))
        if row is None:
            raise triage.not_found()
        can_triage = _can(principal, Permission.TRIAGE)
        return render(request, "pages/insights/_row.html", insight=row, can_triage=can_triage, now=datetime.now(UTC))

    @post("/{insight_id:uuid}/{action:str}", guards=[requires(Permission.TRIAGE)])
    async def act(
        self,
        request: AnyRequest,
        insight_id: FromPath[UUID],
        action: FromPath[str],
        principal: CurrentPrincipal,
        state: State,
    ) -> Template | Redirect:
        if action not in FORM_ACTIONS:
            raise ApiError(404, "not_found", "No such action.")
        form = await request.form()
        options = _options(action, {key: str(value) for key, value in form.items()})
        pool = state.engines.postgres.pool
        effects = (state.live_hub, state.queue)
        row = await triage.act(pool, effects, principal, str(insight_id), action, options, request)  # type: ignore[arg-type]
        if _is_htmx(request) and (request.headers.get("hx-target") or "").startswith("insight-row-"):
            return render(request, "pages/insights/_row.html", insight=row, can_triage=True, now=datetime.now(UTC))
        flash(request, "success", f"Insight {DONE[action]}.")
        return redirect(f"/insights/{insight_id}")

    @post("/bulk", guards=[requires(Permission.TRIAGE)])
    async def bulk(self, request: AnyRequest, principal: CurrentPrincipal, state: State) -> Redirect:
        form = await request.form()
        action = str(form.get("action") or "")
        ids = [str(value) for value in form.getall("ids", [])]
        back = "/insights" + (f"?{form.get('_query')}" if form.get("_query") else "")
        if action not in FORM_ACTIONS or action == "comment" or not ids:
            flash(request, "error", "Select insights and an action first.")
            return redirect(back)
        options = _options(action, {key: str(value) for key, value in form.items()})
        body = BulkBody(
            ids=ids,
            action=action,  # type: ignore[arg-type]
            assignee_id=options.assignee_id,
            until=options.until,
            until_escalates=options.until_escalates,
        )
        pool = state.engines.postgres.pool
        updated, failed = await triage.bulk(pool, (state.live_hub, state.queue), principal, body, request)
        if updated:
            flash(request, "success", f"{len(updated)} insight{'s' if len(updated) != 1 else ''} {DONE[action]}.")
        if failed:
            flash(request, "error", f"{len(failed)} could not be {DONE[action]}: {failed[0]['message']}")
        return redirect(back)

    @post("/evaluate", guards=[requires(Permission.ADMIN)])
    async def evaluate(self, request: AnyRequest, db: Db, principal: CurrentPrincipal, state: State) -> Redirect:
        await enqueue_evaluation(db, state, principal.org_id, principal.user_id)
        flash(request, "info", "Evaluating your applications now; new insights appear here as they are found.")
        return redirect("/insights")


def _options(action: str, form: dict[str, str]) -> triage.Options:
    if action == "snooze":
        choice = form.get("snooze", "")
        if choice == "escalates":
            return triage.Options(until_escalates=True, note=form.get("note"))
        if choice not in SNOOZE_CHOICES:
            raise ApiError(400, "invalid_snooze", "Choose how long to snooze for.")
        return triage.Options(until=datetime.now(UTC) + SNOOZE_CHOICES[choice], note=form.get("note"))
    if action == "assign":
        return triage.Options(assignee_id=form.get("assignee_id") or None)
    if action == "comment":
        return triage.Options(body=form.get("body", ""))
    return triage.Options(note=form.get("note"))
