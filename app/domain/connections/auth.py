"""Outbound authentication for a connection: the headers and query parameters each request carries.

OAuth client-credentials tokens are fetched through the OutboundClient (so the token URL
passes the same SSRF guard) and cached in-process until shortly before they expire; the
cache key includes a digest of the secret so changed credentials fetch a new token.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from typing import Any

from app.core.outbound import OutboundClient
from app.domain.connections.schemas import ConnectionTarget

# Refresh this many seconds before the provider says the token expires.
EXPIRY_MARGIN_S = 30.0
DEFAULT_TOKEN_LIFETIME_S = 300.0


class AuthFailed(Exception):
    """The credentials could not be turned into request auth; the message is for a person."""


_tokens: dict[str, tuple[str, float]] = {}
_locks: dict[str, asyncio.Lock] = {}


def _cache_key(credentials: dict[str, Any]) -> str:
    parts = [str(credentials.get(k, "")) for k in ("token_url", "client_id", "client_secret", "scope")]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


async def _oauth_token(credentials: dict[str, Any], outbound: OutboundClient) -> str:
    key = _cache_key(credentials)
    cached = _tokens.get(key)
    if cached and cached[1] > time.monotonic():
        return cached[0]
    # One fetch per credentials at a time: concurrent requests wait for it instead of stampeding.
    async with _locks.setdefault(key, asyncio.Lock()):
        cached = _tokens.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        form = {"grant_type": "client_credentials"}
        if credentials.get("scope"):
            form["scope"] = str(credentials["scope"])
        basic = base64.b64encode(f"{credentials['client_id']}:{credentials['client_secret']}".encode()).decode()
        response = await outbound.request(
            "POST",
            str(credentials["token_url"]),
            data=form,
            headers={"authorization": f"Basic {basic}", "accept": "application/json"},
        )
        if response.status_code != 200:
            raise AuthFailed(f"The OAuth token endpoint answered HTTP {response.status_code}.")
        try:
            body = response.json()
            token = str(body["access_token"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AuthFailed("The OAuth token endpoint did not return an access_token.") from exc
        lifetime = float(body.get("expires_in") or DEFAULT_TOKEN_LIFETIME_S)
        _tokens[key] = (token, time.monotonic() + max(0.0, lifetime - EXPIRY_MARGIN_S))
        return token


def forget_tokens() -> None:
    """Drop every cached OAuth token (tests; after credentials change everywhere)."""
    _tokens.clear()


async def apply_auth(target: ConnectionTarget, outbound: OutboundClient) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, query params) that authenticate a request to `target`."""
    credentials = target.credentials
    match target.auth_type:
        case "bearer":
            return {"authorization": f"Bearer {credentials['token']}"}, {}
        case "api_key":
            if credentials.get("query"):
                return {}, {str(credentials["query"]): str(credentials["key"])}
            return {str(credentials.get("header") or "X-API-Key"): str(credentials["key"])}, {}
        case "basic":
            pair = f"{credentials['username']}:{credentials['password']}".encode()
            return {"authorization": f"Basic {base64.b64encode(pair).decode()}"}, {}
        case "oauth":
            return {"authorization": f"Bearer {await _oauth_token(credentials, outbound)}"}, {}
        case _:
            return {}, {}
