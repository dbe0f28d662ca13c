"""Dashboards API (API.md "Dashboards"): dashboards, their panels, panel data and CSV."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.pagination import Page, decode_cursor, page_of
from app.domain.dashboards import export, panel_runs, queries, service, viewing
from app.domain.dashboards.schemas import (
    Dashboard,
    DashboardCreate,
    DashboardSummary,
    DashboardUpdate,
    Panel,
    PanelCreate,
    PanelData,
    PanelOrder,
    PanelUpdate,
)

AnyRequest = Request[Any, Any, Any]


def _set(data: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body actually carried."""
    return {name: getattr(data, name) for name in data.__struct_fields__ if getattr(data, name) is not msgspec.UNSET}


class DashboardController(Controller):
    path = "/v1/dashboards"
    tags = ["dashboards"]
    guards = [requires(Permission.READ)]

    @post("/", guards=[requires(Permission.WRITE)], summary="Create a dashboard (for one application, or all)")
    async def create(
        self, request: AnyRequest, data: JSONBody[DashboardCreate], db: Db, principal: CurrentPrincipal
    ) -> Dashboard:
        row = await service.create(db, principal, msgspec.structs.asdict(data), request)
        return service.to_dashboard(row, [])

    @get("/", summary="List dashboards, newest first")
    async def list_dashboards(
        self,
        db: Db,
        principal: CurrentPrincipal,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> Page[DashboardSummary]:
        rows = await queries.list_page(db, principal.org_id, limit, decode_cursor(cursor))
        return page_of(rows, limit, service.to_summary)

    @get("/{dashboard_id:uuid}", summary="One dashboard with its panels, in order")
    async def show(self, dashboard_id: FromPath[UUID], db: Db, principal: CurrentPrincipal) -> Dashboard:
        row, panels = await service.get(db, principal, str(dashboard_id))
        return service.to_dashboard(row, panels)

    @patch("/{dashboard_id:uuid}", guards=[requires(Permission.WRITE)], summary="Rename or describe a dashboard")
    async def update(
        self,
        request: AnyRequest,
        dashboard_id: FromPath[UUID],
        data: JSONBody[DashboardUpdate],
        db: Db,
        principal: CurrentPrincipal,
    ) -> Dashboard:
        await service.update(db, principal, str(dashboard_id), _set(data), request)
        row, panels = await service.get(db, principal, str(dashboard_id))
        return service.to_dashboard(row, panels)

    @delete("/{dashboard_id:uuid}", guards=[requires(Permission.WRITE)], status_code=204, summary="Delete a dashboard")
    async def remove(
        self, request: AnyRequest, dashboard_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> None:
        await service.delete(db, principal, str(dashboard_id), request)

    # Panels -------------------------------------------------------------------------------

    @post("/{dashboard_id:uuid}/panels", guards=[requires(Permission.WRITE)], summary="Add a panel")
    async def add_panel(
        self,
        request: AnyRequest,
        dashboard_id: FromPath[UUID],
        data: JSONBody[PanelCreate],
        db: Db,
        principal: CurrentPrincipal,
    ) -> Panel:
        fields = {k: v for k, v in msgspec.structs.asdict(data).items() if k != "query"}
        row = await service.add_panel(db, principal, str(dashboard_id), fields, data.query, request)
        return service.to_panel(row)

    @post(
        "/{dashboard_id:uuid}/panels/order",
        guards=[requires(Permission.WRITE)],
        status_code=200,
        summary="Reorder panels: every panel id, in the new order",
    )
    async def reorder(
        self,
        request: AnyRequest,
        dashboard_id: FromPath[UUID],
        data: JSONBody[PanelOrder],
        db: Db,
        principal: CurrentPrincipal,
    ) -> list[Panel]:
        rows = await service.reorder(db, principal, str(dashboard_id), [str(i) for i in data.panel_ids], request)
        return [service.to_panel(row) for row in rows]

    @get("/{dashboard_id:uuid}/panels/{panel_id:uuid}", summary="One panel")
    async def show_panel(
        self, dashboard_id: FromPath[UUID], panel_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> Panel:
        _, row = await service.get_panel(db, principal, str(dashboard_id), str(panel_id))
        return service.to_panel(row)

    @patch("/{dashboard_id:uuid}/panels/{panel_id:uuid}", guards=[requires(Permission.WRITE)], summary="Change a panel")
    async def update_panel(
        self,
        request: AnyRequest,
        dashboard_id: FromPath[UUID],
        panel_id: FromPath[UUID],
        data: JSONBody[PanelUpdate],
        db: Db,
        principal: CurrentPrincipal,
    ) -> Panel:
        row = await service.update_panel(db, principal, str(dashboard_id), str(panel_id), _set(data), request)
        return service.to_panel(row)

    @delete(
        "/{dashboard_id:uuid}/panels/{panel_id:uuid}",
        guards=[requires(Permission.WRITE)],
        status_code=204,
        summary="Delete a panel",
    )
    async def remove_panel(
        self,
        request: AnyRequest,
        dashboard_id: FromPath[UUID],
        panel_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
    ) -> None:
        await service.delete_panel(db, principal, str(dashboard_id), str(panel_id), request)

    @post(
        "/{dashboard_id:uuid}/panels/{panel_id:uuid}/duplicate",
        guards=[requires(Permission.WRITE)],
        summary="Copy a panel; the copy goes right after it",
    )
    async def duplicate_panel(
        self,
        request: AnyRequest,
        dashboard_id: FromPath[UUID],
        panel_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
    ) -> Panel:
        row = await service.duplicate_panel(db, principal, str(dashboard_id), str(panel_id), request)
        return service.to_panel(row)

    @get(
        "/{dashboard_id:uuid}/panels/{panel_id:uuid}/data",
        dependencies={"looking": Provide(viewing.looked_at, sync_to_thread=False)},
        summary="The panel's numbers over its range ending now",
        description="`from`/`to` are the exact range used; for line, area and bar panels with one series, "
        "GET /v1/applications/{app_id}/timeseries with the same event, interval, from and to gives the same points. "
        "`range` (or `from` and `to`) and `where`/`is`/`op` give the numbers a dashboard viewed that way shows; "
        "`compare=1` adds `previous`, the period just before, as long (not for funnels and retention); "
        "for big numbers and tables whose period is still under way, up to the same moment (`previous.to`).",
    )
    async def panel_data(
        self,
        dashboard_id: FromPath[UUID],
        panel_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        looking: viewing.Looking,
    ) -> PanelData:
        panel, result, previous = await panel_runs.panel_data(
            db, state.engines.clickhouse, principal, str(dashboard_id), str(panel_id), looking
        )
        return export.panel_data(panel, result, previous)

    @get(
        "/{dashboard_id:uuid}/panels/{panel_id:uuid}/data.csv",
        dependencies={"looking": Provide(viewing.looked_at, sync_to_thread=False)},
        summary="The panel's numbers as CSV",
        description="The numbers of GET .../data, as a spreadsheet takes them; the same parameters. With `compare=1`, "
        "the period before beside them: a `previous` column (big numbers, tables), or `previous time` and a "
        "`previous <series>` column per series, bucket for bucket (charts).",
        media_type="text/csv",
    )
    async def panel_csv(
        self,
        dashboard_id: FromPath[UUID],
        panel_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        looking: viewing.Looking,
    ) -> Response[bytes]:
        panel, result, previous = await panel_runs.panel_data(
            db, state.engines.clickhouse, principal, str(dashboard_id), str(panel_id), looking
        )
        return export.csv_response(panel, result, previous)
