"""Short-lived JWT access tokens for the API (PyJWT, HS256)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

AUDIENCE = "nexus-api"


def issue_access_token(secret: str, user_id: str, org_id: str, ttl_s: int) -> str:
    now = int(time.time())
    claims = {
        "sub": user_id,
        "org": org_id,
        "typ": "access",
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl_s,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def read_access_token(secret: str, token: str) -> dict[str, Any] | None:
    """The claims of a valid, unexpired access token, else None."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], audience=AUDIENCE, options={"require": ["sub", "org", "exp", "typ"]}
        )
    except jwt.PyJWTError:
        return None
    return claims if claims.get("typ") == "access" else None
