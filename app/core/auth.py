"""Who is calling, and what they may do.

A `Principal` is resolved once per request by `AuthMiddleware` from, in order:
`Authorization: Bearer <access token | personal API key>`, or the browser session.
Roles map to permissions; an API key's scopes can only narrow its owner's role.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult


class Permission(enum.StrEnum):
    READ = "read"  # see the organisation's data
    TRIAGE = "triage"  # act on insights and support
    WRITE = "write"  # create and change applications, dashboards, connections
    ADMIN = "admin"  # users, keys, embedding, webhooks, organisation settings
    OWNER = "owner"  # promote owners, delete the organisation


ROLES = ("owner", "admin", "member", "viewer", "support")
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "viewer": frozenset({Permission.READ}),
    "support": frozenset({Permission.READ, Permission.TRIAGE}),
    "member": frozenset({Permission.READ, Permission.TRIAGE, Permission.WRITE}),
    "admin": frozenset({Permission.READ, Permission.TRIAGE, Permission.WRITE, Permission.ADMIN}),
    "owner": frozenset(Permission),
}
SCOPES = tuple(p.value for p in Permission)


class Principal(msgspec.Struct, frozen=True):
    user_id: str
    org_id: str
    org_name: str
    email: str
    name: str
    role: str
    permissions: frozenset[Permission]
    via: str  # session | token | api_key
    api_key_id: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def actor_label(self) -> str:
        return f"api_key:{self.api_key_id}" if self.api_key_id else f"user:{self.email}"


Resolver = Callable[[ASGIConnection[Any, Any, Any, Any]], Any]


class AuthMiddleware(AbstractAuthenticationMiddleware):
    """Authenticates every route not marked `exclude_from_auth`; the resolution itself
    lives in the accounts service (registered on app.state as `resolve_principal`)."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        resolve = connection.app.state.resolve_principal
        principal = await resolve(connection)
        if principal is None:
            raise NotAuthorizedException("Authentication is required.")
        return AuthenticationResult(user=principal, auth=principal.via)


def requires(permission: Permission) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard: the principal must hold `permission`."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = connection.scope.get("user")
        if not isinstance(principal, Principal):
            raise NotAuthorizedException("Authentication is required.")
        if not principal.can(permission):
            raise PermissionDeniedException(
                f"Your role ({principal.role}) cannot do this; it needs '{permission.value}'."
            )

    guard.__name__ = f"requires_{permission.value}"
    return guard
