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
from litestar.datastructures import Cookie
from litestar.middleware.session.server_side import ServerSideSessionConfig

from app.settings import Settings

SESSION_COOKIE = "nexus_session"
STORE = "sessions"


def session_config(settings: Settings, exclude: list[str]) -> ServerSideSessionConfig:
    return ServerSideSessionConfig(
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
