"""Accounts rules: sign-in, principals, API keys, invitations, roles."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection
from psycopg import AsyncConnection, errors
from psycopg_pool import AsyncConnectionPool

from app.core import audit, crypto
from app.core.auth import ROLE_PERMISSIONS, Permission, Principal
from app.core.errors import ApiError
from app.core.ratelimit import Limiter
from app.domain.accounts import passwords, queries, tokens
from app.settings import SecuritySettings

Conn = AsyncConnection[Any]
Request = ASGIConnection[Any, Any, Any, Any]
INVITE_TTL = timedelta(days=7)
API_KEY_KIND = "np"
# last_used_at is advisory; writing it on every call would turn reads into writes.
_TOUCH_EVERY = timedelta(minutes=1)


def principal_for(
    row: dict[str, Any], via: str, scopes: list[str] | None = None, key_id: str | None = None
) -> Principal:
    permissions = ROLE_PERMISSIONS[row["role"]]
    if scopes is not None:
        permissions = permissions & frozenset(Permission(s) for s in scopes)
    return Principal(
        user_id=row["user_id"],
        org_id=row["org_id"],
        org_name=row["org_name"],
        email=row["email"],
        name=row["name"] or "",
        role=row["role"],
        permissions=permissions,
        via=via,
        api_key_id=key_id,
    )


async def principal_from_bearer(conn: Conn, security: SecuritySettings, token: str) -> Principal | None:
    """An access token or a personal API key → the principal, or None if invalid."""
    if token.startswith(API_KEY_KIND + "_"):
        parts = token.split("_", 2)
        if len(parts) != 3:
            return None
        key = await queries.key_for_auth(conn, parts[1])
        if key is None or key["dead"] or not crypto.digests_match(token, bytes(key["key_hash"])):
            return None
        row = await queries.principal_row(conn, key["user_id"], key["org_id"])
        if row is None:
            return None
        if key["last_used_at"] is None or datetime.now(UTC) - key["last_used_at"] > _TOUCH_EVERY:
            await queries.touch_api_key(conn, key["id"])
        return principal_for(row, "api_key", scopes=list(key["scopes"]), key_id=key["id"])
    return await principal_from_access_token(conn, security, token)


async def principal_from_access_token(conn: Conn, security: SecuritySettings, token: str) -> Principal | None:
    claims = tokens.read_access_token(security.secret_key, token)
    if claims is None:
        return None
    row = await queries.principal_row(conn, claims["sub"], claims["org"])
    return principal_for(row, "token") if row else None


async def principal_from_session(conn: Conn, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    session = connection.scope.get("session")
    if not isinstance(session, dict):
        return None
    user_id = session.get("user_id")
    if not user_id:
        return None
    row = await queries.principal_row(conn, user_id, session.get("org_id"))
    return principal_for(row, "session") if row else None


def _session_allowed(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """The API is CSRF-exempt, so a browser session may only read through it (the UI's
    charts fetch /v1 data); anything that changes data there needs a bearer credential."""
    if not connection.scope["path"].startswith("/v1/"):
        return True
    return connection.scope.get("method", "GET") in {"GET", "HEAD"}


async def resolve_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """Bearer header first (API clients), then the browser session."""
    state = connection.app.state
    pool: AsyncConnectionPool[Any] = state.engines.postgres.pool
    header = connection.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    async with pool.connection() as conn:
        if scheme.lower() == "bearer" and credentials:
            return await principal_from_bearer(conn, state.settings.security, credentials.strip())
        if _session_allowed(connection):
            return await principal_from_session(conn, connection)
    return None


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after


async def check_credentials(
    conn: Conn, limiter: Limiter, security: SecuritySettings, email: str, password: str, ip: str
) -> dict[str, Any] | None:
    """The user row if the credentials are right, else None. Unknown emails and wrong
    passwords take the same path and the same time; repeated failures per email and per
    address are throttled (sliding window) before any hash is computed."""
    email = email.strip().lower()
    attempts, window = security.login_attempts, security.login_window_s
    for name, key in (("login-email", email), ("login-ip", ip)):
        # Addresses get more room than a single email: offices share one address.
        wait = await limiter.blocked(name, key, attempts * (4 if name == "login-ip" else 1), window)
        if wait:
            raise LoginThrottled(wait)
    user = await queries.find_login(conn, email)
    ok = await passwords.verify_password(user["password_hash"] if user else None, password)
    if not ok or user is None or not user["is_active"]:
        await limiter.hit("login-email", email, attempts, window)
        await limiter.hit("login-ip", ip, attempts * 4, window)
        return None
    await limiter.clear("login-email", email, attempts, window)
    await queries.record_login(conn, user["id"])
    return user


def throttled_error(exc: LoginThrottled) -> ApiError:
    minutes = max(1, round(exc.retry_after / 60))
    return ApiError(
        429,
        "too_many_attempts",
        f"Too many sign-in attempts. Try again in about {minutes} minute{'s' if minutes > 1 else ''}.",
        headers={"Retry-After": str(exc.retry_after)},
    )


# --- API keys ------------------------------------------------------------------------
# Every change below runs in one transaction together with its audit-log entry.


async def create_api_key(
    conn: Conn, principal: Principal, name: str, scopes: list[str], request: Request
) -> tuple[dict[str, Any], str]:
    """A key may not carry more than its owner's role allows; the secret is returned once."""
    excess = sorted(set(scopes) - {p.value for p in principal.permissions})
    if excess:
        raise ApiError(403, "scope_not_allowed", f"Your role cannot grant these scopes: {', '.join(excess)}.")
    key, prefix = crypto.new_token(API_KEY_KIND, 32)
    async with conn.transaction():
        row = await queries.create_api_key(
            conn, principal.org_id, principal.user_id, name, prefix, crypto.digest(key), sorted(set(scopes))
        )
        details = {"name": name, "scopes": row["scopes"]}
        await audit.record(conn, principal, "api_key.created", "api_key", row["id"], request, details)
    return row, key


async def revoke_api_key(conn: Conn, principal: Principal, key_id: str, request: Request) -> dict[str, Any]:
    """Admins revoke any key of their organisation; everyone else only their own."""
    owner_only = None if principal.can(Permission.ADMIN) else principal.user_id
    async with conn.transaction():
        row = await queries.revoke_api_key(conn, principal.org_id, key_id, owner_only)
        if row is None:
            raise ApiError(404, "not_found", "No such API key.")
        await audit.record(conn, principal, "api_key.revoked", "api_key", key_id, request)
    return row


# --- users ---------------------------------------------------------------------------


def _check_role_change(actor: Principal, current_role: str | None, new_role: str | None) -> None:
    """Admins manage users below owner; only owners grant or take away ownership."""
    if "owner" in (current_role, new_role) and not actor.can(Permission.OWNER):
        raise ApiError(403, "owner_required", "Only an owner can grant, change or remove the owner role.")


def _no_such_user() -> ApiError:
    return ApiError(404, "not_found", "No such user in your organisation.")


async def invite_user(
    conn: Conn, actor: Principal, email: str, name: str, role: str, request: Request
) -> tuple[dict[str, Any], str]:
    """Create a pending user and return the one-time token of their invitation link."""
    _check_role_change(actor, None, role)
    token = secrets.token_urlsafe(32)
    try:
        async with conn.transaction():
            row = await queries.create_user(
                conn, actor.org_id, email, name, role, None, crypto.digest(token), datetime.now(UTC) + INVITE_TTL
            )
            details = {"email": row["email"], "role": role}
            await audit.record(conn, actor, "user.invited", "user", row["id"], request, details)
    except errors.UniqueViolation as exc:
        raise ApiError(409, "email_taken", "A user with this email already exists.") from exc
    return row, token


async def change_user(
    conn: Conn, actor: Principal, user_id: str, changes: dict[str, Any], request: Request
) -> dict[str, Any]:
    async with conn.transaction():
        target = await queries.get_user(conn, actor.org_id, user_id)
        if target is None:
            raise _no_such_user()
        if "role" in changes:
            _check_role_change(actor, target["role"], changes["role"])
            demoting_owner = target["role"] == "owner" and changes["role"] != "owner"
            # Owners are locked while counted, so two owners cannot demote each other at once.
            if demoting_owner and await queries.lock_owners(conn, actor.org_id) <= 1:
                raise ApiError(409, "last_owner", "An organisation needs at least one owner.")
        row = await queries.update_user(conn, actor.org_id, user_id, changes)
        assert row is not None
        await audit.record(conn, actor, "user.updated", "user", user_id, request, changes)
    return row


async def remove_user(conn: Conn, actor: Principal, user_id: str, request: Request) -> None:
    if user_id == actor.user_id:
        raise ApiError(409, "cannot_remove_self", "You cannot remove yourself; ask another admin.")
    async with conn.transaction():
        target = await queries.get_user(conn, actor.org_id, user_id)
        if target is None:
            raise _no_such_user()
        _check_role_change(actor, target["role"], None)
        await queries.delete_user(conn, actor.org_id, user_id)
        await audit.record(conn, actor, "user.removed", "user", user_id, request, {"email": target["email"]})


async def accept_invite(conn: Conn, token: str, name: str, password: str) -> dict[str, Any]:
    problem = passwords.password_problem(password)
    if problem:
        raise ApiError(400, "weak_password", problem)
    invite = await queries.find_invite(conn, crypto.digest(token))
    if invite is None:
        raise ApiError(404, "invite_invalid", "This invitation link is invalid or has expired.")
    await queries.accept_invite(conn, invite["id"], name or invite["name"], await passwords.hash_password(password))
    return invite


# --- organisations -------------------------------------------------------------------


async def rename_organization(conn: Conn, actor: Principal, name: str, request: Request) -> dict[str, Any]:
    async with conn.transaction():
        row = await queries.rename_organization(conn, actor.org_id, name)
        assert row is not None
        await audit.record(conn, actor, "organization.renamed", "organization", actor.org_id, request, {"name": name})
    return row


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:48] or "org"


async def create_organization_with_owner(
    conn: Conn, org_name: str, email: str, password: str, owner_name: str = ""
) -> dict[str, Any]:
    """A new organisation and its first owner, in one transaction."""
    async with conn.transaction():
        slug = base = slugify(org_name)
        while await queries.slug_taken(conn, slug):
            slug = f"{base}-{secrets.token_hex(2)}"
        org = await queries.create_organization(conn, org_name, slug)
        user = await queries.create_user(
            conn, org["id"], email, owner_name, "owner", await passwords.hash_password(password)
        )
    return {"org": org, "user": user}
