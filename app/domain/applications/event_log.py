"""An application's event log: its stored events, newest first, fetched again as the live
stream announces new ones (static/js/live-panels.js); narrowed to one event name, one user or
the events whose properties mention some text, if asked; older pages on demand (not live). For
the people wiring up tracking (did my event arrive, with which properties?) and for support
(what did this user just do? which events carry order 4711?)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.pages import render
from app.core.pagination import decode_cursor
from app.domain.analytics import recent
from app.domain.analytics import service as analytics
from app.domain.applications import service
from components import event_log

EventFilter = Annotated[str, QueryParameter(max_length=200, description="Only events of this name.")]
UserFilter = Annotated[str, QueryParameter(max_length=200, description="Only events of this distinct_id.")]
ContainsFilter = Annotated[
    str, QueryParameter(max_length=200, description="Only events with a property whose name or value holds this text.")
]
Before = Annotated[str, QueryParameter(max_length=200, description="A page's `older` cursor: the events before it.")]
# Fetched again at most this often while events stream in.
REFRESH_GAP_S = 2


class EventLogPages(Controller):
    path = "/applications/{app_id:uuid}/events"
    include_in_schema = False
    guards = [requires(Permission.READ)]

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        app_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        event: EventFilter = "",
        user: UserFilter = "",
        contains: ContainsFilter = "",
        before: Before = "",
    ) -> Template:
        app = service.to_application(await service.get(db, principal, str(app_id)), state.secret_box)
        store = state.engines.clickhouse
        names = await analytics.event_names(store, str(app_id), principal.org_id)
        return render(
            request,
            "pages/events/index.html",
            nav="applications",
            application=app,
            tab="events",
            names=[seen.name for seen in names],
            **await _log(state, str(app_id), principal.org_id, _narrowed(event, user, contains), before),
        )

    @get("/list")
    async def log(
        self,
        request: Request[Any, Any, Any],
        app_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        event: EventFilter = "",
        user: UserFilter = "",
        contains: ContainsFilter = "",
        before: Before = "",
    ) -> Template:
        await service.get(db, principal, str(app_id))
        context = await _log(state, str(app_id), principal.org_id, _narrowed(event, user, contains), before)
        return render(request, "pages/events/_log.html", **context)


def _narrowed(event: str, user: str, contains: str) -> recent.LogFilter:
    return recent.LogFilter(event.strip(), user.strip(), contains.strip())


async def _log(state: State, app_id: str, org_id: str, narrowed: recent.LogFilter, before: str) -> dict[str, Any]:
    """What pages/events/_log.html draws, and what keeps it live (the latest page only)."""
    now = datetime.now(UTC)
    retention = timedelta(days=state.settings.clickhouse.retention_days)
    page = await recent.page(
        state.engines.clickhouse, app_id, org_id, now, retention, narrowed, before=decode_cursor(before)
    )
    return {
        "app_id": app_id,
        "event": narrowed.event,
        "user": narrowed.user,
        "contains": narrowed.contains,
        "live": not before,
        "rows": event_log.rows(app_id, page.events, now),
        "since": event_log.moment(page.since, now),
        "older": event_log.older_link(app_id, page, narrowed),
        "latest_href": event_log.href(app_id, narrowed),
        "rows_href": event_log.href(app_id, narrowed, rows_only=True),
        "limit": recent.LIMIT,
        "refresh_gap": REFRESH_GAP_S,
    }
