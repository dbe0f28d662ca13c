"""Dependencies injected into handlers by Litestar's DI."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from psycopg import AsyncConnection

from app.core.auth import Principal
from app.core.errors import ApiError
from app.settings import Settings


async def provide_db(state: State) -> AsyncGenerator[AsyncConnection[Any], None]:
    """One pooled connection per request (autocommit; services open transactions)."""
    async with state.engines.postgres.pool.connection() as conn:
        yield conn


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    principal = request.scope.get("user")
    if not isinstance(principal, Principal):
        raise ApiError(401, "unauthorized", "Authentication is required.")
    return principal


# Handler parameter types for the dependencies above.
Db = NamedDependency[AsyncConnection[Any]]
CurrentPrincipal = NamedDependency[Principal]
AppSettings = NamedDependency[Settings]
