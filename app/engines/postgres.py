"""PostgreSQL: the configured server, or an embedded one (pgserver) in the data dir.

Either way the application talks to it through one psycopg 3 async pool.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import psutil
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from app.settings import PostgresSettings


class EmbeddedPostgres:
    """A real PostgreSQL 16 started from the pgserver wheel; stopped with the process."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir / "postgres"
        self._server: object | None = None

    def start(self) -> str:
        import pgserver  # imported lazily: only embedded mode needs it

        self.pgdata.mkdir(parents=True, exist_ok=True)
        self._forget_dead_handles()
        server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
        self._server = server
        return str(server.get_uri())

    def _forget_dead_handles(self) -> None:
        """pgserver stops postgres when the last process holding a handle exits, counting
        handles by pid in a file; a process killed with SIGKILL never removes its pid, which
        would keep postgres alive after every later clean exit. Drop pids that are gone."""
        handles = self.pgdata / ".handle_pids.json"
        if not handles.exists():
            return
        try:
            pids = json.loads(handles.read_text())
        except (OSError, ValueError):
            return
        handles.write_text(json.dumps([pid for pid in pids if psutil.pid_exists(pid)]))

    def stop(self) -> None:
        # pgserver counts handles across processes and stops postgres with the last one.
        if self._server is not None:
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None


class PostgresEngine:
    """Owns the connection URL, the embedded server when there is one, and the pool."""

    def __init__(self, settings: PostgresSettings, data_dir: Path) -> None:
        self.settings = settings
        self.embedded = None if settings.url else EmbeddedPostgres(data_dir)
        self.url = settings.url or ""
        self.pool: AsyncConnectionPool[AsyncConnection[dict[str, Any]]] | None = None

    def resolve_url(self) -> str:
        """Start the embedded server if needed and return the URL to connect to."""
        if not self.url and self.embedded is not None:
            self.url = self.embedded.start()
        return self.url

    async def start(self) -> None:
        url = await asyncio.to_thread(self.resolve_url)
        self.pool = AsyncConnectionPool(
            url,
            min_size=self.settings.pool_min,
            max_size=self.settings.pool_max,
            kwargs={"row_factory": dict_row, "autocommit": True},
            open=False,
            name="nexus",
        )
        await self.pool.open(wait=True, timeout=30)

    async def stop(self) -> None:
        if self.pool is not None:
            await self.pool.close()
            self.pool = None
        if self.embedded is not None:
            await asyncio.to_thread(self.embedded.stop)

    async def check(self) -> None:
        """Raise if a trivial query cannot run (used by /ready)."""
        assert self.pool is not None, "postgres engine not started"
        async with self.pool.connection(timeout=2) as conn:
            await conn.execute("SELECT 1")
