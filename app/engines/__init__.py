"""The three engines, started and stopped together."""

from __future__ import annotations

import asyncio
import signal
import threading

from app.engines.clickhouse import ChDBStore, ClickHouseServerStore, make_store
from app.engines.postgres import PostgresEngine
from app.engines.redis import RedisEngine
from app.settings import Settings


class Engines:
    def __init__(self, settings: Settings) -> None:
        data_dir = settings.data.data_dir
        self.postgres = PostgresEngine(settings.postgres, data_dir)
        self.redis = RedisEngine(settings.redis, data_dir)
        self.clickhouse: ChDBStore | ClickHouseServerStore = make_store(settings.clickhouse, data_dir)

    async def start(self) -> None:
        # The embedded ClickHouse installs its own C-level SIGINT/SIGTERM handlers, which
        # would swallow the server's graceful-shutdown signals; put the Python ones back.
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        await asyncio.gather(self.postgres.start(), self.redis.start(), self.clickhouse.start())
        if threading.current_thread() is threading.main_thread():
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    async def stop(self) -> None:
        # Each stops even if another fails: no engine process may outlive the app.
        results = await asyncio.gather(
            self.clickhouse.close(), self.redis.stop(), self.postgres.stop(), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]

    async def readiness(self) -> dict[str, str]:
        """'ok' or an error message per engine (API.md /ready)."""
        names = ("postgres", "redis", "clickhouse")
        checks = [self.postgres.check(), self.redis.check(), self.clickhouse.check()]
        results = await asyncio.gather(*checks, return_exceptions=True)
        return {
            name: "ok" if not isinstance(result, BaseException) else (str(result) or type(result).__name__)
            for name, result in zip(names, results, strict=True)
        }
