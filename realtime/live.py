"""`WS /v1/applications/{id}/live` (API.md "Live stream").

Authenticated by the browser session or `?token=<access token | embed token>` (an embed
token watches only the application of the panel or dashboard it grants); the socket is accepted
first so the close codes reach the client: 4401 unauthenticated, 4403 another
organisation's (or no such) application, 4008 a client too slow to keep up.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from uuid import UUID

from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath

from app.core.auth import Permission
from app.domain.accounts import service as accounts
from app.domain.applications import queries as applications
from app.domain.embeds import service as embeds
from app.domain.embeds.tokens import EmbedTokenError
from realtime.hub import LiveHub, Subscription

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_SLOW = 4008


async def _refusal(socket: WebSocket[Any, Any, Any], app_id: str) -> int | None:
    """The close code refusing this socket, or None when it may watch `app_id`."""
    state = socket.app.state
    token = socket.query_params.get("token")
    async with state.engines.postgres.pool.connection() as conn:
        if token:
            principal = await accounts.principal_from_access_token(conn, state.settings.security, token)
            if principal is None:  # not an access token: perhaps an embed token
                try:
                    grant, _ = await embeds.grant_for(conn, state.secret_box, token)
                except EmbedTokenError as exc:
                    return CLOSE_UNAUTHENTICATED if exc.status == 401 else CLOSE_FORBIDDEN
                return None if grant.app_id == app_id else CLOSE_FORBIDDEN
        else:
            principal = await accounts.principal_from_session(conn, socket)
        if principal is None:
            return CLOSE_UNAUTHENTICATED
        if not principal.can(Permission.READ) or await applications.get(conn, principal.org_id, app_id) is None:
            return CLOSE_FORBIDDEN
    return None


@websocket("/v1/applications/{app_id:uuid}/live", exclude_from_auth=True)
async def live_stream(socket: WebSocket[Any, Any, Any], app_id: FromPath[UUID]) -> None:
    await socket.accept()
    refusal = await _refusal(socket, str(app_id))
    if refusal is not None:
        await socket.close(code=refusal, reason="unauthenticated" if refusal == CLOSE_UNAUTHENTICATED else "forbidden")
        return
    hub: LiveHub = socket.app.state.live_hub
    subscription = await hub.subscribe(str(app_id))
    try:
        await _relay(socket, subscription)
    finally:
        await hub.unsubscribe(subscription)


async def _relay(socket: WebSocket[Any, Any, Any], subscription: Subscription) -> None:
    """Send frames until the client leaves or falls too far behind."""

    async def send() -> None:
        while True:
            frame = await subscription.queue.get()
            await socket.send_data(frame, mode="text")

    async def receive_until_closed() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await socket.receive_data(mode="text")  # clients only ever send pings, if anything

    tasks = [
        asyncio.create_task(send()),
        asyncio.create_task(receive_until_closed()),
        asyncio.create_task(subscription.dropped.wait()),
    ]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    if tasks[2] in done:
        with contextlib.suppress(Exception):
            await socket.close(code=CLOSE_TOO_SLOW, reason="too slow")
    for task in done:
        if task is not tasks[2] and (exc := task.exception()) and not isinstance(exc, WebSocketDisconnect):
            raise exc
