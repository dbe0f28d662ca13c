"""Embedding settings API (API.md "Embedding"); admins only."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.datastructures import State
from litestar.params import JSONBody

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.domain.embeds import service
from app.domain.embeds.schemas import EmbeddingSettings, EmbeddingUpdate


class EmbeddingController(Controller):
    path = "/v1/embedding"
    tags = ["embedding"]
    guards = [requires(Permission.ADMIN)]

    @get("/", summary="The embedding secret and the origins allowed to frame widgets")
    async def show(self, db: Db, principal: CurrentPrincipal, state: State) -> EmbeddingSettings:
        return await service.settings_for(db, state.secret_box, principal.org_id)

    @put("/", summary="Set the origins allowed to frame widgets")
    async def update(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[EmbeddingUpdate],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
    ) -> EmbeddingSettings:
        return await service.set_origins(db, state.secret_box, principal, list(data.allowed_origins), request)

    @post("/rotate", status_code=200, summary="Replace the signing secret (old tokens stop working)")
    async def rotate(
        self, request: Request[Any, Any, Any], db: Db, principal: CurrentPrincipal, state: State
    ) -> EmbeddingSettings:
        return await service.rotate_secret(db, state.secret_box, principal, request)
