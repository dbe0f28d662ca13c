"""What discovery found, read through the API: an application's endpoints and tables."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, FromQuery, QueryParameter

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.errors import ApiError
from app.core.pagination import Page
from app.domain.applications import queries as app_queries
from app.domain.discovery import store


class Endpoint(msgspec.Struct):
    id: str
    connection_id: str
    method: str
    path: str
    summary: str | None
    description: str | None
    parameters: list[dict[str, Any]]
    request_schema: dict[str, Any] | None
    response_schema: dict[str, Any] | None
    auth_required: bool


class Table(msgspec.Struct):
    id: str
    connection_id: str
    schema: str
    name: str
    row_estimate: int | None
    columns: list[dict[str, Any]]
    primary_key: list[str]
    foreign_keys: list[dict[str, Any]]
    indexes: list[dict[str, Any]]


# Endpoints are listed by path, not by creation, so the cursor is an opaque position.
def encode_position(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_position(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if raw.startswith("o:") and raw[2:].isdigit():
            return int(raw[2:])
    except ValueError:
        pass
    raise ApiError(400, "invalid_cursor", "The cursor is not one this API issued.")


def page(rows: list[dict[str, Any]], limit: int, offset: int, shape: Any) -> Page[Any]:
    more = len(rows) > limit
    items = [msgspec.convert(row, shape) for row in rows[:limit]]
    return Page(items=items, next_cursor=encode_position(offset + limit) if more else None)


class DiscoveryController(Controller):
    path = "/v1/applications/{app_id:uuid}"
    tags = ["discovery"]
    guards = [requires(Permission.READ)]

    @staticmethod
    async def _app(db: Db, org_id: str, app_id: UUID) -> None:
        if await app_queries.get(db, org_id, str(app_id)) is None:
            raise ApiError(404, "not_found", "No such application.")

    @get("/endpoints", summary="API operations discovered on the application's connections")
    async def endpoints(
        self,
        app_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> Page[Endpoint]:
        await self._app(db, principal.org_id, app_id)
        offset = decode_position(cursor)
        rows = await store.list_endpoints(db, principal.org_id, str(app_id), q, limit + 1, offset)
        return page(rows, limit, offset, Endpoint)

    @get("/tables", summary="Database tables discovered on the application's connections")
    async def tables(
        self,
        app_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> Page[Table]:
        await self._app(db, principal.org_id, app_id)
        offset = decode_position(cursor)
        rows = await store.list_tables(db, principal.org_id, str(app_id), limit + 1, offset)
        return page(rows, limit, offset, Table)
