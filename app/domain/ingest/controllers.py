"""Ingestion routes (API.md "Ingestion"): authenticated by the application's ingest key.

These declare the routes for the OpenAPI document and serve them through Litestar; in a
running app, edge.py answers the same requests first, with the same service, for speed.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.datastructures import State

from app.domain.ingest.schemas import IngestResult
from app.domain.ingest.service import ROUTES, ingest

# Ingestion is public (keys ship in browser code): no session, no user, no CSRF.
PUBLIC = {"exclude_from_auth": True, "skip_session": True}


async def _serve(request: Request[Any, Any, Any], state: State) -> IngestResult:
    return await ingest(state, ROUTES[request.url.path], await request.body(), request.headers.get("x-api-key"))


class IngestController(Controller):
    path = "/v1"
    tags = ["ingestion"]
    security = [{"ingest_key": []}]

    @post("/events/batch", status_code=200, opt=PUBLIC, summary="Store a batch of events")
    async def batch(self, request: Request[Any, Any, Any], state: State) -> IngestResult:
        """Body: `{"events": [{"event", "distinct_id", "timestamp"?, "session_id"?, "uuid"?, "properties"?}]}`."""
        return await _serve(request, state)

    @post("/events", status_code=200, opt=PUBLIC, summary="Store one event")
    async def single(self, request: Request[Any, Any, Any], state: State) -> IngestResult:
        """Body: one event, `{"event", "distinct_id", "timestamp"?, "session_id"?, "uuid"?, "properties"?}`."""
        return await _serve(request, state)

    @post("/performance/batch", status_code=200, opt=PUBLIC, summary="Store a batch of endpoint timings")
    async def performance(self, request: Request[Any, Any, Any], state: State) -> IngestResult:
        """Body: `{"metrics": [{"endpoint", "method", "status_code", "duration_ms", "timestamp"?}]}`."""
        return await _serve(request, state)
