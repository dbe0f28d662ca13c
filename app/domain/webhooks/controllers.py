"""Webhooks API (API.md "Webhooks"): admins only."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from app.core.auth import Permission, requires
from app.core.deps import AppSettings, CurrentPrincipal, Db
from app.core.pagination import Page, decode_cursor, page_of
from app.domain.webhooks import queries, service
from app.domain.webhooks.schemas import Delivery, SendResult, Webhook, WebhookCreate, WebhookUpdate


class WebhookController(Controller):
    path = "/v1/webhooks"
    tags = ["webhooks"]
    guards = [requires(Permission.ADMIN)]

    @post("/", summary="Create a webhook (the response holds its signing secret, shown once)")
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[WebhookCreate],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
    ) -> Webhook:
        fields = msgspec.structs.asdict(data)
        row = await service.create(db, state.secret_box, state.outbound.policy, principal, fields, request)
        return service.to_webhook(row, state.secret_box, reveal=True)

    @get("/", summary="List webhooks")
    async def list_webhooks(
        self,
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> Page[Webhook]:
        rows = await queries.list_page(db, principal.org_id, limit, decode_cursor(cursor))
        return page_of(rows, limit, lambda row: service.to_webhook(row, state.secret_box))

    @get("/{webhook_id:uuid}", summary="One webhook (secret masked)")
    async def show(self, webhook_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State) -> Webhook:
        return service.to_webhook(await service.get(db, principal, str(webhook_id)), state.secret_box)

    @patch("/{webhook_id:uuid}", summary="Change a webhook")
    async def update(
        self,
        request: Request[Any, Any, Any],
        webhook_id: FromPath[UUID],
        data: JSONBody[WebhookUpdate],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
    ) -> Webhook:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        row = await service.update(db, state.outbound.policy, principal, str(webhook_id), changes, request)
        return service.to_webhook(row, state.secret_box)

    @delete("/{webhook_id:uuid}", status_code=204, summary="Delete a webhook and its delivery log")
    async def remove(
        self, request: Request[Any, Any, Any], webhook_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> None:
        await service.delete(db, principal, str(webhook_id), request)

    @post("/{webhook_id:uuid}/rotate-secret", status_code=200, summary="Replace the signing secret")
    async def rotate_secret(
        self,
        request: Request[Any, Any, Any],
        webhook_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
    ) -> Webhook:
        row = await service.rotate_secret(db, state.secret_box, principal, str(webhook_id), request)
        return service.to_webhook(row, state.secret_box, reveal=True)

    @post("/{webhook_id:uuid}/test", status_code=200, summary="Send a webhook.test event now")
    async def test(
        self, webhook_id: FromPath[UUID], principal: CurrentPrincipal, state: State, settings: AppSettings
    ) -> SendResult:
        return await service.send_test(
            state.engines.postgres.pool, state.outbound, state.secret_box, settings.webhooks, principal, str(webhook_id)
        )

    @get("/{webhook_id:uuid}/deliveries", summary="The delivery log, newest first, with each attempt")
    async def deliveries(
        self,
        webhook_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> Page[Delivery]:
        return await service.deliveries_page(db, principal, str(webhook_id), limit, decode_cursor(cursor))

    @post(
        "/{webhook_id:uuid}/deliveries/{delivery_id:uuid}/replay",
        status_code=200,
        summary="Send a logged message again now (same webhook-id)",
    )
    async def replay(
        self,
        webhook_id: FromPath[UUID],
        delivery_id: FromPath[UUID],
        principal: CurrentPrincipal,
        state: State,
        settings: AppSettings,
    ) -> SendResult:
        return await service.replay(
            state.engines.postgres.pool,
            state.outbound,
            state.secret_box,
            settings.webhooks,
            principal,
            str(webhook_id),
            str(delivery_id),
        )
