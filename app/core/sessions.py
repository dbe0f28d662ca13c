"""Browser sessions: server-side (Redis store), cookie carries only a random id.

Signing in always issues a *new* session id (and drops the old one), so an id planted in
a browser before sign-in is worthless (session fixation). Litestar's middleware keeps the
id it was given, so sign-in bypasses it and writes the session itself.
"""

from __future__ import annotations

import secrets
from typing import Any

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, ScopeSession

from app.settings import Settings

SESSION_COOKIE = "nexus_session"
STORE = "sessions"


class LazySessionBackend(ServerSideSessionBackend):
    """Litestar stores a session (and sets its cookie) for every response, even when the
    session is empty: each anonymous hit on /login would leave a record in Redis. Only
    sessions that hold something are stored; one emptied by its owner is deleted."""

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        if not scope_session and not connection.cookies.get(self.config.key):
            return
        await super().store_in_message(scope_session or Empty, message, connection)


class LazySessionConfig(ServerSideSessionConfig):
    _backend_class = LazySessionBackend


def session_config(settings: Settings, exclude: list[str]) -> ServerSideSessionConfig:
    return LazySessionConfig(
        key=SESSION_COOKIE,
        max_age=settings.security.session_ttl_s,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
        renew_on_access=True,
        exclude=exclude,
        store=STORE,
    )


def secure_cookies(settings: Settings) -> bool:
    return settings.server.public_url.startswith("https://") or settings.server.is_production


async def begin(request: Request[Any, Any, Any], data: dict[str, Any]) -> Cookie:
    """Store `data` under a fresh id and return the cookie to set; the handler must be
    excluded from the session middleware (`skip_session=True`)."""
    config: ServerSideSessionConfig = request.app.state.session_config
    store = request.app.stores.get(STORE)
    if old := request.cookies.get(SESSION_COOKIE):
        await store.delete(old)
    session_id = secrets.token_hex(config.session_id_bytes)
    await store.set(session_id, msgspec.json.encode(data), expires_in=config.max_age)
    return Cookie(
        key=SESSION_COOKIE,
        value=session_id,
        max_age=config.max_age,
        path=config.path,
        httponly=True,
        secure=config.secure,
        samesite=config.samesite,
    )
