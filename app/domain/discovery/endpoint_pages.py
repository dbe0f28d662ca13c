"""The Endpoints tab: what REST and GraphQL discovery found, searchable, each operation
expandable to its parameters and JSON Schemas."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Template

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.pages import render
from app.domain.applications import service as app_service
from app.domain.discovery import store

PAGE_SIZE = 100


def _pretty(schema: Any) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False)


class EndpointPages(Controller):
    path = "/applications/{app_id:uuid}/endpoints"
    include_in_schema = False
    guards = [requires(Permission.READ)]

    @get("/")
    async def index(
        self, request: Request[Any, Any, Any], app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        application = app_service.to_application(await app_service.get(db, principal, str(app_id)), state.secret_box)
        q = (request.query_params.get("q") or "").strip()[:200] or None
        try:
            shown = max(PAGE_SIZE, min(5000, int(request.query_params.get("show") or PAGE_SIZE)))
        except ValueError:
            shown = PAGE_SIZE
        rows = await store.list_endpoints(db, principal.org_id, str(app_id), q, shown + 1, 0)
        total = await store.count_endpoints(db, principal.org_id, str(app_id))
        context: dict[str, Any] = {
            "application": application,
            "endpoints": rows[:shown],
            "more": len(rows) > shown,
            "shown": shown,
            "q": q or "",
            "total": total,
            "pretty": _pretty,
        }
        # The search box asks for the results only (htmx); a full load gets the page.
        if request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "endpoint-results":
            return Template(template_name="pages/endpoints/_results.html", context=context)
        return render(request, "pages/endpoints/index.html", "applications", 200, tab="endpoints", **context)
