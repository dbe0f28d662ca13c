"""Ingest keys → the application they write to, with a short in-process cache.

Every ingest request carries its key; looking it up in PostgreSQL each time would put a
query on the hottest path. Entries live a few seconds, so a rotated or deleted key stops
working everywhere within that time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from psycopg_pool import AsyncConnectionPool

from app.core import crypto
from app.domain.applications import queries

TTL_S = 5.0
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class AppRef:
    app_id: str
    org_id: str


class IngestKeys:
    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool
        self._cache: dict[bytes, tuple[float, AppRef | None]] = {}

    async def resolve(self, key: str) -> AppRef | None:
        digest = crypto.digest(key)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self._pool.connection() as conn:
            row = await queries.by_ingest_key(conn, digest)
        ref = AppRef(row["id"], row["org_id"]) if row else None
        if len(self._cache) >= MAX_ENTRIES:
            self._cache.clear()  # unknown keys must not grow memory without bound
        self._cache[digest] = (now + TTL_S, ref)
        return ref
