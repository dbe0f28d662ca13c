"""Applications API (API.md "Applications")."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.pagination import Page, decode_cursor, page_of
from app.domain.applications import queries, service
from app.domain.applications.schemas import Application, ApplicationCreate, ApplicationUpdate, IngestKey


class ApplicationController(Controller):
    path = "/v1/applications"
    tags = ["applications"]
    guards = [requires(Permission.READ)]

    @post("/", guards=[requires(Permission.WRITE)], summary="Create an application (with its ingest key)")
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ApplicationCreate],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
    ) -> Application:
        row = await service.create(db, state.secret_box, principal, msgspec.structs.asdict(data), request)
        return service.to_application(row, state.secret_box)

    @get("/", summary="List applications")
    async def list_applications(
        self,
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> Page[Application]:
        rows = await queries.list_page(db, principal.org_id, limit, decode_cursor(cursor))
        return page_of(rows, limit, lambda row: service.to_application(row, state.secret_box))

    @get("/{app_id:uuid}", summary="One application")
    async def show(self, app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State) -> Application:
        return service.to_application(await service.get(db, principal, str(app_id)), state.secret_box)

    @patch("/{app_id:uuid}", guards=[requires(Permission.WRITE)], summary="Change an application")
    async def update(
        self,
        request: Request[Any, Any, Any],
        app_id: FromPath[UUID],
        data: JSONBody[ApplicationUpdate],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
    ) -> Application:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        row = await service.update(db, principal, str(app_id), changes, request)
        return service.to_application(row, state.secret_box)

    @delete("/{app_id:uuid}", guards=[requires(Permission.WRITE)], status_code=204, summary="Delete an application")
    async def remove(
        self, request: Request[Any, Any, Any], app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> None:
        await service.delete(db, principal, str(app_id), request)

    @post(
        "/{app_id:uuid}/ingest-key/rotate",
        guards=[requires(Permission.WRITE)],
        status_code=200,
        summary="Replace the ingest key (the old one stops working at once)",
    )
    async def rotate_key(
        self, request: Request[Any, Any, Any], app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> IngestKey:
        key = await service.rotate_ingest_key(db, state.secret_box, principal, str(app_id), request)
        return IngestKey(ingest_key=key)
