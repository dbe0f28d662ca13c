"""Embedding rules: the organisation's signing secret and origins, and token → grant."""

from __future__ import annotations

import secrets
from typing import Any

from litestar.connection import ASGIConnection
from psycopg import AsyncConnection

from app.core import audit
from app.core.auth import Principal
from app.core.crypto import SecretBox
from app.domain.embeds import queries, tokens
from app.domain.embeds.schemas import EmbeddingSettings
from app.domain.embeds.tokens import EmbedGrant, EmbedTokenError

Conn = AsyncConnection[Any]
Request = ASGIConnection[Any, Any, Any, Any]


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


async def settings_for(conn: Conn, box: SecretBox, org_id: str) -> EmbeddingSettings:
    """The organisation's settings, created with a fresh secret on first use."""
    row = await queries.get(conn, org_id) or await queries.create_if_missing(conn, org_id, box.encrypt(_new_secret()))
    return EmbeddingSettings(secret=box.decrypt(row["secret_encrypted"]), allowed_origins=list(row["allowed_origins"]))


async def set_origins(
    conn: Conn, box: SecretBox, principal: Principal, origins: list[str], request: Request
) -> EmbeddingSettings:
    unique = list(dict.fromkeys(origin.rstrip("/").lower() for origin in origins))
    async with conn.transaction():
        await settings_for(conn, box, principal.org_id)
        await queries.set_origins(conn, principal.org_id, unique)
        await audit.record(
            conn,
            principal,
            "embedding.origins_set",
            "organization",
            principal.org_id,
            request,
            {"allowed_origins": unique},
        )
    return await settings_for(conn, box, principal.org_id)


async def rotate_secret(conn: Conn, box: SecretBox, principal: Principal, request: Request) -> EmbeddingSettings:
    """Every embed token signed with the old secret stops working."""
    async with conn.transaction():
        await settings_for(conn, box, principal.org_id)
        await queries.set_secret(conn, principal.org_id, box.encrypt(_new_secret()))
        await audit.record(conn, principal, "embedding.secret_rotated", "organization", principal.org_id, request)
    return await settings_for(conn, box, principal.org_id)


async def grant_for(conn: Conn, box: SecretBox, token: str) -> tuple[EmbedGrant, list[str]]:
    """Verify an embed token; return what it grants and the origins allowed to frame it."""
    kind, resource_id, kid = tokens.unverified_resource(token)
    owner = await queries.resource_owner(conn, kind, resource_id)
    signing_org = kid or (owner["org_id"] if owner else None)
    if signing_org is None:
        raise EmbedTokenError(403, "This embed token names a resource that does not exist.")
    settings = await queries.get(conn, signing_org)
    if settings is None:
        raise EmbedTokenError(401, "The embed token is not valid.")
    claims = tokens.verify(token, box.decrypt(settings["secret_encrypted"]))
    if owner is None or owner["org_id"] != signing_org:
        raise EmbedTokenError(403, "This embed token's organisation does not own that resource.")
    grant = EmbedGrant(
        kind, resource_id, owner["org_id"], owner["app_id"], owner["dashboard_id"], dict(claims.get("params", {}))
    )
    return grant, list(settings["allowed_origins"])
