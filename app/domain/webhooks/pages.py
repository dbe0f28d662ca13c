"""The webhooks settings pages (admins): list and create, one webhook's delivery log, test and replay."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.core.auth import Permission, requires
from app.core.deps import AppSettings, CurrentPrincipal, Db
from app.core.errors import ApiError
from app.core.pages import _field_errors, flash, redirect, render
from app.domain.webhooks import delivery_queries, queries, service
from app.domain.webhooks.schemas import EVENT_TYPES, SendResult, WebhookCreate

Req = Request[Any, Any, Any]
PAGE = "/settings/webhooks"
LIST_LIMIT = 100
LOG_LIMIT = 50
EVENT_HELP = {
    "insight.created": "A new insight was found in one of your applications.",
    "insight.updated": "An insight changed (new evidence, severity, assignee).",
    "insight.resolved": "An insight was resolved.",
    "anomaly.detected": "A metric left its expected range.",
    "report.weekly": "The weekly report of each application, as JSON.",
}


async def _form_fields(request: Req) -> dict[str, Any]:
    form = await request.form()
    return {
        "url": str(form.get("url", "")).strip(),
        "events": [str(value) for value in form.getall("events", [])],
        "description": str(form.get("description", "")).strip() or None,
    }


class WebhookPages(Controller):
    path = PAGE
    include_in_schema = False
    guards = [requires(Permission.ADMIN)]

    @get("/")
    async def index(self, request: Req, db: Db, principal: CurrentPrincipal, state: State) -> Template:
        return await self._index(request, db, principal, state)

    async def _index(
        self,
        request: Req,
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        status_code: int = 200,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
    ) -> Template:
        rows = await queries.list_page(db, principal.org_id, LIST_LIMIT, None)
        hooks = [service.to_webhook(row, state.secret_box) for row in rows[:LIST_LIMIT]]
        last = await delivery_queries.last_status_by_webhook(db, principal.org_id, [hook.id for hook in hooks])
        return render(
            request,
            "pages/settings/webhooks.html",
            nav="settings",
            status_code=status_code,
            webhooks=hooks,
            last=last,
            event_types=EVENT_TYPES,
            event_help=EVENT_HELP,
            values=values or {"events": ["insight.created"]},
            errors=errors or {},
        )

    @post("/")
    async def create(self, request: Req, db: Db, principal: CurrentPrincipal, state: State) -> Template:
        fields = await _form_fields(request)
        try:
            data = msgspec.convert(fields, WebhookCreate)
        except msgspec.ValidationError as exc:
            errors = _field_errors(str(exc))
            if "events" in errors:
                errors["events"] = "Choose at least one event."
            return await self._index(request, db, principal, state, 400, fields, errors)
        try:
            row = await service.create(
                db, state.secret_box, state.outbound.policy, principal, msgspec.structs.asdict(data), request
            )
        except ApiError as exc:
            return await self._index(request, db, principal, state, 400, fields, {"url": exc.message})
        hook = service.to_webhook(row, state.secret_box, reveal=True)
        return await self._detail(request, db, principal, state, hook.id, new_secret=hook.secret, status_code=201)

    @get("/{webhook_id:uuid}")
    async def show(
        self, request: Req, webhook_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        return await self._detail(request, db, principal, state, str(webhook_id))

    async def _detail(
        self,
        request: Req,
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        webhook_id: str,
        new_secret: str | None = None,
        status_code: int = 200,
    ) -> Template:
        hook = service.to_webhook(await service.get(db, principal, webhook_id), state.secret_box)
        log = await service.deliveries_page(db, principal, webhook_id, LOG_LIMIT, None)
        return render(
            request,
            "pages/settings/webhooks_detail.html",
            nav="settings",
            status_code=status_code,
            webhook=hook,
            deliveries=log.items,
            more=log.next_cursor is not None,
            new_secret=new_secret,
            event_help=EVENT_HELP,
        )

    @post("/{webhook_id:uuid}/test")
    async def test(
        self, webhook_id: FromPath[UUID], principal: CurrentPrincipal, state: State, settings: AppSettings
    ) -> Template:
        result = await service.send_test(
            state.engines.postgres.pool, state.outbound, state.secret_box, settings.webhooks, principal, str(webhook_id)
        )
        return _result(result, "Test event")

    @post("/{webhook_id:uuid}/deliveries/{delivery_id:uuid}/replay")
    async def replay(
        self,
        webhook_id: FromPath[UUID],
        delivery_id: FromPath[UUID],
        principal: CurrentPrincipal,
        state: State,
        settings: AppSettings,
    ) -> Template:
        result = await service.replay(
            state.engines.postgres.pool,
            state.outbound,
            state.secret_box,
            settings.webhooks,
            principal,
            str(webhook_id),
            str(delivery_id),
        )
        return _result(result, "Replay")

    @post("/{webhook_id:uuid}/rotate")
    async def rotate(
        self, request: Req, webhook_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        row = await service.rotate_secret(db, state.secret_box, principal, str(webhook_id), request)
        secret = service.to_webhook(row, state.secret_box, reveal=True).secret
        return await self._detail(request, db, principal, state, str(webhook_id), new_secret=secret)

    @post("/{webhook_id:uuid}/active")
    async def toggle(
        self, request: Req, webhook_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Redirect:
        form = await request.form()
        active = form.get("is_active") == "true"
        await service.update(db, state.outbound.policy, principal, str(webhook_id), {"is_active": active}, request)
        flash(request, "success", "Webhook enabled." if active else "Webhook paused: no events are sent to it.")
        return redirect(f"{PAGE}/{webhook_id}")

    @post("/{webhook_id:uuid}/delete")
    async def remove(self, request: Req, webhook_id: FromPath[UUID], db: Db, principal: CurrentPrincipal) -> Redirect:
        await service.delete(db, principal, str(webhook_id), request)
        flash(request, "success", "Webhook deleted, with its delivery log.")
        return redirect(PAGE)


def _result(result: SendResult, what: str) -> Template:
    """The inline answer to the test and replay buttons (an htmx fragment)."""
    return Template(template_name="pages/settings/webhooks_result.html", context={"result": result, "what": what})
