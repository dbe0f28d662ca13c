"""`WS /v1/insights/live`: every insight frame of the caller's organisation (the inbox).

Same rules as the application stream (realtime/live.py): session cookie or
`?token=<access token>` (embed tokens grant single widgets, never the inbox); the socket is
accepted first so the close codes reach the client: 4401 unauthenticated, 4403 a principal
without read access.
"""

from __future__ import annotations

from typing import Any

from litestar import WebSocket, websocket

from app.core.auth import Permission, Principal
from app.domain.accounts import service as accounts
from realtime.frames import insights_channel_for
from realtime.hub import LiveHub
from realtime.live import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, _relay


async def _principal(socket: WebSocket[Any, Any, Any]) -> Principal | None:
    state = socket.app.state
    token = socket.query_params.get("token")
    async with state.engines.postgres.pool.connection() as conn:
        if token:
            principal: Principal | None = await accounts.principal_from_access_token(
                conn, state.settings.security, token
            )
            return principal
        return await accounts.principal_from_session(conn, socket)


@websocket("/v1/insights/live", exclude_from_auth=True)
async def insights_stream(socket: WebSocket[Any, Any, Any]) -> None:
    await socket.accept()
    principal = await _principal(socket)
    if principal is None:
        await socket.close(code=CLOSE_UNAUTHENTICATED, reason="unauthenticated")
        return
    if not principal.can(Permission.READ):
        await socket.close(code=CLOSE_FORBIDDEN, reason="forbidden")
        return
    hub: LiveHub = socket.app.state.live_hub
    subscription = await hub.subscribe(insights_channel_for(principal.org_id))
    try:
        await _relay(socket, subscription)
    finally:
        await hub.unsubscribe(subscription)
