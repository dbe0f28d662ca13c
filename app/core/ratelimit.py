"""Per-organisation rate limiting: a Redis-backed sliding (moving) window from `limits`.

Every authenticated /v1 request counts against its organisation; responses carry the
`RateLimit-*` headers of API.md and, over the limit, 429 with `Retry-After`.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from redis.asyncio import ConnectionPool

from app.core.auth import Principal
from app.core.errors import ApiError
from app.settings import RateLimitSettings


def limits_uri(redis_url: str) -> str:
    """limits' URI for the same Redis the app uses (a unix socket in embedded mode)."""
    if redis_url.startswith("unix://"):
        return "async+redis+unix://" + redis_url.removeprefix("unix://")
    return "async+" + redis_url


class Limiter:
    """A named sliding-window limit over one Redis; also used for login throttling."""

    def __init__(self, redis_url: str, pool: ConnectionPool) -> None:
        # The app's own connection pool: one set of connections, closed with the app.
        storage = RedisStorage(
            limits_uri(redis_url),
            implementation="redispy",
            key_prefix="nexus:rl",
            connection_pool=pool,  # type: ignore[arg-type]  # limits types its options as scalars
        )
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, name: str, key: str, amount: int, window_s: int) -> tuple[bool, int, int]:
        """Count one hit; return (allowed, remaining, seconds until the window frees a slot)."""
        item = RateLimitItemPerSecond(amount, window_s, namespace=name)
        allowed = await self._limiter.hit(item, key)
        reset_at, remaining = await self._limiter.get_window_stats(item, key)
        return allowed, remaining, max(1, math.ceil(reset_at - time.time()))

    async def blocked(self, name: str, key: str, amount: int, window_s: int) -> int:
        """Seconds to wait if the limit is exhausted, else 0 (without counting a hit)."""
        item = RateLimitItemPerSecond(amount, window_s, namespace=name)
        if await self._limiter.test(item, key):
            return 0
        reset_at, _ = await self._limiter.get_window_stats(item, key)
        return max(1, math.ceil(reset_at - time.time()))

    async def clear(self, name: str, key: str, amount: int, window_s: int) -> None:
        await self._limiter.clear(RateLimitItemPerSecond(amount, window_s, namespace=name), key)


class OrgRateLimitMiddleware:
    """Runs inside authentication, so the organisation is known."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal = scope.get("user")
        settings: RateLimitSettings = scope["app"].state.settings.rate_limit
        if (
            scope["type"] != "http"
            or not scope["path"].startswith("/v1/")
            or not isinstance(principal, Principal)
            or not settings.enabled
        ):
            await self.app(scope, receive, send)
            return
        limiter: Limiter = scope["app"].state.limiter
        allowed, remaining, reset = await limiter.hit("org", principal.org_id, settings.requests, settings.window_s)
        headers = [
            (b"ratelimit-limit", str(settings.requests).encode()),
            (b"ratelimit-remaining", str(remaining).encode()),
            (b"ratelimit-reset", str(reset).encode()),
        ]
        if not allowed:
            # Raised inside the app, so the app's exception handler renders API.md's error shape.
            raise ApiError(
                429,
                "rate_limited",
                f"Your organisation is over {settings.requests} requests per {settings.window_s} s; "
                f"retry in {reset} s.",
                headers={name.decode(): value.decode() for name, value in headers} | {"Retry-After": str(reset)},
            )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
