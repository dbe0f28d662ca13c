"""Connections API (API.md "Connections and discovery")."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.pagination import Page
from app.domain.connections import queries, service
from app.domain.connections.checks import test_connection
from app.domain.connections.schemas import Connection, ConnectionCreate, ConnectionUpdate, JobStarted, TestResult
from app.domain.discovery.service import start_discovery


class ApplicationConnectionController(Controller):
    path = "/v1/applications/{app_id:uuid}/connections"
    tags = ["connections"]
    guards = [requires(Permission.READ)]

    @post("/", guards=[requires(Permission.WRITE)], summary="Add a connection (discovery starts at once)")
    async def create(
        self,
        request: Request[Any, Any, Any],
        app_id: FromPath[UUID],
        data: JSONBody[ConnectionCreate],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
    ) -> Connection:
        row = await service.create(db, state.secret_box, principal, str(app_id), msgspec.structs.asdict(data), request)
        created = service.to_connection(row, state.secret_box)
        if row["type"] != "grpc":  # nothing to discover there yet
            created.discovery_job_id = await start_discovery(db, state.queue, principal, row["id"])
        return created

    @get("/", summary="The application's connections")
    async def list_connections(
        self, app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Page[Connection]:
        rows = await service.list_for_app(db, principal, str(app_id))
        return Page(items=[service.to_connection(row, state.secret_box) for row in rows])


class ConnectionController(Controller):
    path = "/v1/connections"
    tags = ["connections"]
    guards = [requires(Permission.READ)]

    @get("/{connection_id:uuid}", summary="One connection (credentials masked)")
    async def show(
        self, connection_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Connection:
        return service.to_connection(await service.get(db, principal, str(connection_id)), state.secret_box)

    @patch("/{connection_id:uuid}", guards=[requires(Permission.WRITE)], summary="Change a connection")
    async def update(
        self,
        request: Request[Any, Any, Any],
        connection_id: FromPath[UUID],
        data: JSONBody[ConnectionUpdate],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
    ) -> Connection:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        row = await service.update(db, state.secret_box, principal, str(connection_id), changes, request)
        return service.to_connection(row, state.secret_box)

    @delete(
        "/{connection_id:uuid}", guards=[requires(Permission.WRITE)], status_code=204, summary="Remove a connection"
    )
    async def remove(
        self, request: Request[Any, Any, Any], connection_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> None:
        await service.delete(db, principal, str(connection_id), request)

    @post(
        "/{connection_id:uuid}/test",
        guards=[requires(Permission.WRITE)],
        status_code=200,
        summary="Try the connection once: reachable, credentials accepted, latency",
    )
    async def test(
        self, connection_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> TestResult:
        target = service.to_target(await service.get(db, principal, str(connection_id)), state.secret_box)
        result = await test_connection(target, state.outbound)
        await queries.record_check(db, principal.org_id, target.id, result.ok, result.latency_ms, result.error)
        return result

    @post(
        "/{connection_id:uuid}/discover",
        guards=[requires(Permission.WRITE)],
        status_code=202,
        summary="Discover the connection's endpoints or tables (a background job)",
    )
    async def discover(
        self, connection_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> JobStarted:
        return JobStarted(job_id=await start_discovery(db, state.queue, principal, str(connection_id)))
