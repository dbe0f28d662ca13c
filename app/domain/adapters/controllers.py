"""Adapters API: GET /v1/applications/{id}/adapters/python|typescript → the client's source."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, MediaType, get
from litestar.params import FromPath

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.domain.adapters import service


class AdapterController(Controller):
    path = "/v1/applications/{app_id:uuid}/adapters"
    tags = ["adapters"]
    guards = [requires(Permission.READ)]

    @get("/python", media_type=MediaType.TEXT, summary="A typed Python client (httpx + msgspec) for the discovered API")
    async def python(self, app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal) -> str:
        return await service.generate(db, principal, str(app_id), "python")

    @get("/typescript", media_type=MediaType.TEXT, summary="A typed TypeScript client (fetch) for the discovered API")
    async def typescript(self, app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal) -> str:
        return await service.generate(db, principal, str(app_id), "typescript")
