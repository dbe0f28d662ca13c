"""Embed tokens: HS256 JWTs signed by the customer's server with the organisation's secret.

`{"resource": {"panel": id} | {"dashboard": id}, "params": {...locked filters}, "exp": ...}`.
The secret is found through the resource's organisation. A token may also name its
organisation in the standard `kid` header; then a token for another organisation's
resource is recognised as such (403) rather than only failing its signature (401).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt


class EmbedTokenError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class EmbedGrant:
    """What a verified token allows: one panel or dashboard, with its locked parameters."""

    kind: str  # panel | dashboard
    resource_id: str
    org_id: str
    app_id: str | None
    dashboard_id: str
    params: dict[str, Any] = field(default_factory=dict)


def unverified_resource(token: str) -> tuple[str, str, str | None]:
    """(kind, resource id, kid) read before verification, to find the right secret."""
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise EmbedTokenError(401, "The embed token is malformed.") from exc
    resource = claims.get("resource")
    if not isinstance(resource, dict) or len(resource) != 1:
        raise EmbedTokenError(401, "The embed token must name one resource: a panel or a dashboard.")
    kind, resource_id = next(iter(resource.items()))
    if kind not in ("panel", "dashboard"):
        raise EmbedTokenError(401, "The embed token must name a panel or a dashboard.")
    try:
        resource_id = str(uuid.UUID(str(resource_id)))
    except ValueError as exc:
        raise EmbedTokenError(401, "The embed token names a resource id that is not a UUID.") from exc
    kid = header.get("kid")
    return kind, resource_id, str(kid) if kid else None


def verify(token: str, secret: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.ExpiredSignatureError as exc:
        raise EmbedTokenError(401, "The embed token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise EmbedTokenError(401, "The embed token is not valid.") from exc
    params = claims.get("params", {})
    if not isinstance(params, dict):
        raise EmbedTokenError(401, "The embed token's params must be an object.")
    return claims
