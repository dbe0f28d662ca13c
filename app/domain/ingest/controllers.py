"""Ingestion routes (API.md "Ingestion"): authenticated by the application's ingest key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import State

from app.core.errors import ApiError
from app.domain.ingest.keys import AppRef
from app.domain.ingest.prepare import Prepared, Window, prepare_events, prepare_metrics
from app.domain.ingest.schemas import MAX_EVENTS, EventBatch, IngestResult, MetricBatch, SingleEvent
from app.domain.ingest.writer import GroupCommitWriter, Overloaded, StoreUnavailable

# Ingestion is public (keys ship in browser code): no session, no user, no CSRF.
PUBLIC = {"exclude_from_auth": True, "skip_session": True}
T = TypeVar("T")
_DECODERS: dict[type[Any], msgspec.json.Decoder[Any]] = {
    shape: msgspec.json.Decoder(shape) for shape in (EventBatch, SingleEvent, MetricBatch)
}


async def _decode(request: Request[Any, Any, Any], shape: type[T]) -> T:
    """msgspec decodes the body straight into the structs (no dict per event on the way),
    whatever the content type: browser beacons send JSON as text/plain."""
    body = await request.body()
    try:
        decoded: T = _DECODERS[shape].decode(body)
    except msgspec.ValidationError as exc:
        raise ApiError(400, "invalid_request", f"The body is not a valid {shape.__name__}: {exc}.") from exc
    except msgspec.DecodeError as exc:
        raise ApiError(400, "invalid_json", "The body is not valid JSON.", [{"message": str(exc)}]) from exc
    return decoded


async def _application(request: Request[Any, Any, Any], body_key: str | None) -> AppRef:
    key = request.headers.get("x-api-key") or body_key
    if not key:
        raise ApiError(401, "missing_ingest_key", "Send the application's ingest key as X-API-Key.")
    app = await request.app.state.ingest_keys.resolve(key)
    if app is None:
        raise ApiError(401, "invalid_ingest_key", "This ingest key is not valid (it may have been rotated).")
    return app


def _too_many(count: int) -> None:
    if count > MAX_EVENTS:
        raise ApiError(413, "too_many_events", f"Send at most {MAX_EVENTS:,} events per request; this had {count:,}.")


async def _store(writer: GroupCommitWriter, prepared: Prepared) -> IngestResult:
    """Answered only once the rows are stored; 503 (nothing acknowledged) otherwise."""
    try:
        await writer.write(prepared.rows, check_uuids=prepared.client_uuids > 0)
    except Overloaded as exc:
        raise ApiError(503, "overloaded", "Ingestion is busy; retry shortly.", headers={"Retry-After": "1"}) from exc
    except StoreUnavailable as exc:
        raise ApiError(
            503, "store_unavailable", "The event store is unavailable; retry shortly.", headers={"Retry-After": "5"}
        ) from exc
    return IngestResult(accepted=prepared.rows.num_rows, rejected=prepared.rejected)


def _window(state: State) -> Window:
    return Window(datetime.now(UTC), state.settings.clickhouse.retention_days)


class IngestController(Controller):
    path = "/v1"
    tags = ["ingestion"]
    security = [{"ingest_key": []}]

    @post("/events/batch", status_code=200, opt=PUBLIC, summary="Store a batch of events")
    async def batch(self, request: Request[Any, Any, Any], state: State) -> IngestResult:
        """Body: `{"events": [{"event", "distinct_id", "timestamp"?, "session_id"?, "uuid"?, "properties"?}]}`."""
        data = await _decode(request, EventBatch)
        _too_many(len(data.events))
        app = await _application(request, data.api_key)
        prepared = prepare_events(data.events, app.app_id, app.org_id, _window(state))
        return await _store(state.event_writer, prepared)

    @post("/events", status_code=200, opt=PUBLIC, summary="Store one event")
    async def single(self, request: Request[Any, Any, Any], state: State) -> IngestResult:
        """Body: one event, `{"event", "distinct_id", "timestamp"?, "session_id"?, "uuid"?, "properties"?}`."""
        data = await _decode(request, SingleEvent)
        app = await _application(request, data.api_key)
        prepared = prepare_events([data], app.app_id, app.org_id, _window(state))
        return await _store(state.event_writer, prepared)

    @post("/performance/batch", status_code=200, opt=PUBLIC, summary="Store a batch of endpoint timings")
    async def performance(self, request: Request[Any, Any, Any], state: State) -> IngestResult:
        """Body: `{"metrics": [{"endpoint", "method", "status_code", "duration_ms", "timestamp"?}]}`."""
        data = await _decode(request, MetricBatch)
        _too_many(len(data.metrics))
        app = await _application(request, data.api_key)
        prepared = prepare_metrics(data.metrics, app.app_id, app.org_id, _window(state))
        return await _store(state.metric_writer, prepared)
