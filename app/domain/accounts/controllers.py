"""Accounts API: tokens, API keys, users, the organisation (API.md "Authentication")."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from app.core.auth import Permission, requires
from app.core.deps import AppSettings, CurrentPrincipal, Db
from app.core.errors import ApiError
from app.core.openapi import PublicOperation
from app.core.pagination import Page, decode_cursor, page_of
from app.domain.accounts import queries, service, tokens
from app.domain.accounts.schemas import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    Organization,
    OrganizationUpdate,
    TokenRequest,
    TokenResponse,
    User,
    UserInvite,
    UserInvited,
    UserUpdate,
)


def _client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["auth"]

    @post(
        "/token",
        exclude_from_auth=True,
        status_code=200,
        summary="Exchange email and password for an access token",
        operation_class=PublicOperation,
    )
    async def token(
        self, request: Request[Any, Any, Any], data: JSONBody[TokenRequest], db: Db, settings: AppSettings
    ) -> TokenResponse:
        try:
            user = await service.check_credentials(
                db, request.app.state.limiter, settings.security, data.email, data.password, _client_ip(request)
            )
        except service.LoginThrottled as exc:
            raise service.throttled_error(exc) from exc
        if user is None:
            raise ApiError(401, "invalid_credentials", "The email or password is wrong.")
        ttl = settings.security.access_token_ttl_s
        return TokenResponse(
            access_token=tokens.issue_access_token(settings.security.secret_key, user["id"], user["org_id"], ttl),
            expires_in=ttl,
        )


class ApiKeyController(Controller):
    path = "/v1/api-keys"
    tags = ["auth"]
    guards = [requires(Permission.READ)]

    @post("/", summary="Create a personal API key (the key is shown once)")
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[ApiKeyCreate], db: Db, principal: CurrentPrincipal
    ) -> ApiKeyCreated:
        row, key = await service.create_api_key(db, principal, data.name, list(data.scopes), request)
        return ApiKeyCreated(
            id=row["id"],
            name=row["name"],
            prefix=row["prefix"],
            scopes=list(row["scopes"]),
            key=key,
            created_at=row["created_at"],
        )

    @get("/", summary="List your API keys (admins: everyone's with all=true)")
    async def list_keys(
        self,
        db: Db,
        principal: CurrentPrincipal,
        all: FromQuery[bool] = False,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> Page[ApiKey]:
        if all and not principal.can(Permission.ADMIN):
            raise ApiError(403, "forbidden", "Only admins can list everyone's keys.")
        rows = await queries.list_api_keys(
            db, principal.org_id, None if all else principal.user_id, limit, decode_cursor(cursor)
        )
        return page_of(rows, limit, lambda r: msgspec.convert(r, ApiKey))

    @delete("/{key_id:uuid}", summary="Revoke an API key", status_code=204)
    async def revoke(
        self, request: Request[Any, Any, Any], key_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> None:
        await service.revoke_api_key(db, principal, str(key_id), request)


def _user(row: dict[str, Any]) -> User:
    return msgspec.convert(row, User)


class UserController(Controller):
    path = "/v1/users"
    tags = ["users"]
    guards = [requires(Permission.READ)]

    @get("/", summary="List the organisation's users")
    async def list_users(self, db: Db, principal: CurrentPrincipal) -> Page[User]:
        return Page(items=[_user(r) for r in await queries.list_users(db, principal.org_id)])

    @get("/me", summary="The signed-in user")
    async def me(self, db: Db, principal: CurrentPrincipal) -> User:
        row = await queries.get_user(db, principal.org_id, principal.user_id)
        assert row is not None
        return _user(row)

    @post("/", guards=[requires(Permission.ADMIN)], summary="Invite a user (returns a one-time invitation link)")
    async def invite(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[UserInvite],
        db: Db,
        principal: CurrentPrincipal,
        settings: AppSettings,
    ) -> UserInvited:
        row, token = await service.invite_user(db, principal, data.email, data.name, data.role, request)
        base = settings.server.public_url or str(request.base_url).rstrip("/")
        return UserInvited(user=_user(row), invite_url=f"{base}/invite/{token}")

    @patch("/{user_id:uuid}", guards=[requires(Permission.ADMIN)], summary="Change a user's role or name")
    async def update(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[UUID],
        data: JSONBody[UserUpdate],
        db: Db,
        principal: CurrentPrincipal,
    ) -> User:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        row = await service.change_user(db, principal, str(user_id), changes, request)
        return _user(row)

    @delete("/{user_id:uuid}", guards=[requires(Permission.ADMIN)], status_code=204, summary="Remove a user")
    async def remove(
        self, request: Request[Any, Any, Any], user_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> None:
        await service.remove_user(db, principal, str(user_id), request)


class OrganizationController(Controller):
    path = "/v1/organization"
    tags = ["organization"]
    guards = [requires(Permission.READ)]

    @get("/", summary="Your organisation")
    async def show(self, db: Db, principal: CurrentPrincipal) -> Organization:
        row = await queries.get_organization(db, principal.org_id)
        assert row is not None
        return msgspec.convert(row, Organization)

    @patch("/", guards=[requires(Permission.ADMIN)], summary="Rename your organisation")
    async def update(
        self, request: Request[Any, Any, Any], data: JSONBody[OrganizationUpdate], db: Db, principal: CurrentPrincipal
    ) -> Organization:
        if data.name is msgspec.UNSET:
            row = await queries.get_organization(db, principal.org_id)
        else:
            row = await service.rename_organization(db, principal, data.name, request)
        assert row is not None
        return msgspec.convert(row, Organization)
