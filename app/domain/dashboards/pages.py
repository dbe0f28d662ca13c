"""Browser pages for dashboards: the list, a dashboard with lazily loaded panels, and the
dashboard's own form. Panels' pages (the builder, a panel's body) are in panel_pages.py."""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.errors import ApiError
from app.core.pages import flash, read_form, redirect, render
from app.domain.analytics import service as analytics
from app.domain.applications import queries as applications
from app.domain.dashboards import queries, service, viewing
from app.domain.dashboards.schemas import DashboardCreate
from app.domain.dashboards.views import AnyRequest, can_write, organisation_apps
from components.panel import OPERATOR_LABELS, filter_text, panel_view

# The filter bar's comparisons; "is", the default, is sent as no `op` at all.
FILTER_OPERATORS = [("" if operator == "eq" else operator, label) for operator, label in OPERATOR_LABELS.items()]


class DashboardPages(Controller):
    path = "/dashboards"
    include_in_schema = False
    guards = [requires(Permission.READ)]

    # Dashboards ---------------------------------------------------------------------------

    @get("/")
    async def index(self, request: AnyRequest, db: Db, principal: CurrentPrincipal) -> Template:
        rows = await queries.list_page(db, principal.org_id, 200, None)
        apps = await organisation_apps(db, principal)
        names = {app["id"]: app["name"] for app in apps}
        dashboards = [{**row, "app_name": names.get(row["app_id"])} for row in rows[:200]]
        return render(
            request,
            "pages/dashboards/list.html",
            nav="dashboards",
            dashboards=dashboards,
            has_apps=bool(apps),
            can_write=can_write(principal),
        )

    def _dashboard_form(
        self,
        request: AnyRequest,
        dashboard: dict[str, Any] | None,
        apps: list[dict[str, Any]],
        values: dict[str, Any],
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Template:
        return render(
            request,
            "pages/dashboards/form.html",
            nav="dashboards",
            status_code=status_code,
            dashboard=dashboard,
            apps=apps,
            values=values,
            errors=errors,
        )

    @get("/new", guards=[requires(Permission.WRITE)])
    async def new(self, request: AnyRequest, db: Db, principal: CurrentPrincipal) -> Template:
        apps = await organisation_apps(db, principal)
        preset = request.query_params.get("app_id", "")
        return self._dashboard_form(request, None, apps, {"app_id": preset}, {})

    @post("/", guards=[requires(Permission.WRITE)])
    async def create(self, request: AnyRequest, db: Db, principal: CurrentPrincipal) -> Template | Redirect:
        form, errors, raw = await read_form(request, DashboardCreate)
        if form is None:
            return self._dashboard_form(request, None, await organisation_apps(db, principal), raw, errors, 400)
        try:
            row = await service.create(db, principal, msgspec.structs.asdict(form), request)
        except ApiError as exc:
            return self._dashboard_form(
                request, None, await organisation_apps(db, principal), raw, {"app_id": exc.message}, 400
            )
        flash(request, "success", f"{form.name} is ready. Add its first panel.")
        return redirect(f"/dashboards/{row['id']}")

    @get("/{dashboard_id:uuid}")
    async def detail(
        self, request: AnyRequest, dashboard_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        """The dashboard as saved or, by its query string, looked at another way (viewing.py):
        all over one range, beside the previous period, only the events where a property has
        a value."""
        row, panel_rows = await service.get(db, principal, str(dashboard_id))
        looking = viewing.viewing(request.query_params)
        panels = [panel_view(looking.applied(service.to_panel(p)), row, over=looking.suffix) for p in panel_rows]
        app = await applications.get(db, principal.org_id, row["app_id"]) if row["app_id"] else None
        names = await analytics.property_names(state.engines.clickhouse, app["id"], principal.org_id) if app else []
        return render(
            request,
            "pages/dashboards/detail.html",
            nav="dashboards",
            dashboard=row,
            app=app,
            panels=panels,
            range_choices=viewing.CHOICES,
            filter_operators=FILTER_OPERATORS,
            looking=looking,
            where_text=filter_text(looking.where) if looking.where else None,
            unfiltered=dataclasses.replace(looking, where=None).suffix,
            property_names=names,
            can_write=can_write(principal),
        )

    @get("/{dashboard_id:uuid}/edit", guards=[requires(Permission.WRITE)])
    async def edit(
        self, request: AnyRequest, dashboard_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> Template:
        row, _ = await service.get(db, principal, str(dashboard_id))
        values = {"name": row["name"], "description": row["description"] or "", "app_id": row["app_id"] or ""}
        return self._dashboard_form(request, row, await organisation_apps(db, principal), values, {})

    @post("/{dashboard_id:uuid}", guards=[requires(Permission.WRITE)])
    async def update(
        self, request: AnyRequest, dashboard_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> Template | Redirect:
        row, _ = await service.get(db, principal, str(dashboard_id))
        form, errors, raw = await read_form(request, DashboardCreate)
        if form is None:
            return self._dashboard_form(request, row, await organisation_apps(db, principal), raw, errors, 400)
        changes = msgspec.structs.asdict(form)  # an emptied field clears it
        try:
            await service.update(db, principal, str(dashboard_id), changes, request)
        except ApiError as exc:
            return self._dashboard_form(
                request, row, await organisation_apps(db, principal), raw, {"app_id": exc.message}, 400
            )
        flash(request, "success", "Dashboard saved.")
        return redirect(f"/dashboards/{dashboard_id}")

    @post("/{dashboard_id:uuid}/delete", guards=[requires(Permission.WRITE)])
    async def delete(
        self, request: AnyRequest, dashboard_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> Redirect:
        await service.delete(db, principal, str(dashboard_id), request)
        flash(request, "success", "Dashboard deleted.")
        return redirect("/dashboards")
