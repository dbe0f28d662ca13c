"""Browser pages for applications: list, create, edit, the ingest key and its snippet."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.core.auth import Permission, Principal, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.errors import ApiError
from app.core.pages import flash, public_base, read_form, redirect, render
from app.domain.analytics import activity
from app.domain.applications import queries, service
from app.domain.applications.schemas import Application, ApplicationCreate, ApplicationUpdate
from components import sparkline

APP_TYPES = [("saas", "SaaS"), ("web", "Web"), ("mobile", "Mobile"), ("enterprise", "Enterprise")]
TYPE_LABELS = dict(APP_TYPES)
APP_STATUSES = [("learning", "Learning"), ("active", "Active"), ("paused", "Paused"), ("error", "Error")]


def snippets(host: str, ingest_key: str) -> dict[str, str]:
    """Copy-paste code that sends this application's data: the browser tracker
    (static/js/nexus.js) in a page, the batch API from a server, and request timings."""
    key, base = json.dumps(ingest_key), json.dumps(host)
    browser = (
        f'<script src="{host}/static/js/nexus.js"></script>\n'
        "<script>\n"
        f"  nexus.init({key}, {{ host: {base} }});\n"
        '  // Your own events:  nexus.track("signup", { plan: "pro" });\n'
        "  // On sign-in:       nexus.identify(user.id);\n"
        "</script>"
    )
    server = _curl(
        f"{host}/v1/events/batch",
        ingest_key,
        '{"events": [{"event": "pageview", "distinct_id": "user-42", "properties": {"path": "/pricing"}}]}',
    )
    timings = _curl(
        f"{host}/v1/performance/batch",
        ingest_key,
        '{"metrics": [{"endpoint": "/api/orders/{id}", "method": "GET", "status_code": 200, "duration_ms": 84.5}]}',
    )
    return {"browser": browser, "server": server, "timings": timings}


def _curl(url: str, ingest_key: str, body: str) -> str:
    """A JSON POST with the ingest key, as a shell command."""
    return (
        f"curl -X POST {url} \\\n"
        f'  -H "X-API-Key: {ingest_key}" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f"  -d '{body}'"
    )


class ApplicationPages(Controller):
    path = "/applications"
    include_in_schema = False
    guards = [requires(Permission.READ)]

    @get("/")
    async def index(
        self, request: Request[Any, Any, Any], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        rows = await queries.list_page(db, principal.org_id, 200, None)
        apps = [service.to_application(row, state.secret_box) for row in rows[:200]]
        store, app_ids = state.engines.clickhouse, [app.id for app in apps]
        counts = await activity.per_hour(store, principal.org_id, app_ids, datetime.now(UTC))
        # The line leaves out the hour under way: drawn, it would always end in a plunge.
        last_day = {app_id: {"total": sum(n), "points": sparkline.points(n[:-1])} for app_id, n in counts.items()}
        return render(
            request,
            "pages/applications/list.html",
            nav="applications",
            applications=apps,
            last_day=last_day,
            type_labels=TYPE_LABELS,
        )

    @get("/new", guards=[requires(Permission.WRITE)])
    async def new(self, request: Request[Any, Any, Any]) -> Template:
        return self._form(request, None, {}, {})

    def _form(
        self,
        request: Request[Any, Any, Any],
        app: Any,
        values: dict[str, Any],
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Template:
        return render(
            request,
            "pages/applications/form.html",
            nav="applications",
            status_code=status_code,
            application=app,
            values=values,
            errors=errors,
            types=APP_TYPES,
            statuses=APP_STATUSES,
        )

    @post("/", guards=[requires(Permission.WRITE)])
    async def create(
        self, request: Request[Any, Any, Any], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template | Redirect:
        form, errors, raw = await read_form(request, ApplicationCreate)
        if form is None:
            return self._form(request, None, raw, errors, 400)
        try:
            row = await service.create(db, state.secret_box, principal, msgspec.structs.asdict(form), request)
        except ApiError as exc:
            return self._form(request, None, raw, {"name": exc.message}, exc.status_code)
        flash(request, "success", f"{form.name} is ready. Send its first events with the snippet below.")
        return redirect(f"/applications/{row['id']}/setup")

    async def _load(self, db: Db, principal: Principal, state: State, app_id: UUID) -> Application:
        return service.to_application(await service.get(db, principal, str(app_id)), state.secret_box)

    @get("/{app_id:uuid}/setup")
    async def setup(
        self, request: Request[Any, Any, Any], app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        app = await self._load(db, principal, state, app_id)
        return render(
            request,
            "pages/applications/setup.html",
            nav="applications",
            application=app,
            snippets=snippets(public_base(request), app.ingest_key),
            type_labels=TYPE_LABELS,
            tab="setup",
        )

    @get("/{app_id:uuid}/edit", guards=[requires(Permission.WRITE)])
    async def edit(
        self, request: Request[Any, Any, Any], app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        app = await self._load(db, principal, state, app_id)
        return self._form(request, app, msgspec.structs.asdict(app), {})

    @post("/{app_id:uuid}/edit", guards=[requires(Permission.WRITE)])
    async def update(
        self, request: Request[Any, Any, Any], app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template | Redirect:
        app = await self._load(db, principal, state, app_id)
        form, errors, raw = await read_form(request, ApplicationUpdate)
        if form is None:
            return self._form(request, app, raw, errors, 400)
        changes = {k: v for k, v in msgspec.structs.asdict(form).items() if v is not msgspec.UNSET}
        # An emptied optional field arrives as absent; clear it rather than keep the old value.
        for optional in ("base_url", "description"):
            changes.setdefault(optional, None)
        try:
            await service.update(db, principal, str(app_id), changes, request)
        except ApiError as exc:
            return self._form(request, app, raw, {"name": exc.message}, exc.status_code)
        flash(request, "success", "Application saved.")
        return redirect(f"/applications/{app_id}/setup")

    @post("/{app_id:uuid}/rotate-key", guards=[requires(Permission.WRITE)])
    async def rotate_key(
        self, request: Request[Any, Any, Any], app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Redirect:
        await service.rotate_ingest_key(db, state.secret_box, principal, str(app_id), request)
        flash(
            request, "success", "New ingest key issued. The old key stops working within seconds: update your snippet."
        )
        return redirect(f"/applications/{app_id}/setup")

    @post("/{app_id:uuid}/delete", guards=[requires(Permission.WRITE)])
    async def delete(
        self, request: Request[Any, Any, Any], app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> Redirect:
        await service.delete(db, principal, str(app_id), request)
        flash(request, "success", "Application deleted.")
        return redirect("/applications")
