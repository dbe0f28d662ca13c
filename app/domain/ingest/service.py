"""What an ingest request does (API.md "Ingestion"): decode, identify the application by its
ingest key, hand the items to the group-commit writer, answer once they are stored."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

import msgspec
from litestar.datastructures import State

from app.core.errors import ApiError
from app.domain.ingest.keys import AppRef, IngestKeys
from app.domain.ingest.live import publisher
from app.domain.ingest.prepare import Submission, Window, prepare_events, prepare_metrics
from app.domain.ingest.schemas import MAX_EVENTS, EventBatch, IngestResult, MetricBatch, SingleEvent
from app.domain.ingest.writer import GroupCommitWriter, Overloaded, StoreUnavailable
from app.engines.clickhouse import AnalyticsStore
from app.settings import IngestSettings
from realtime.hub import LiveHub

MAX_BODY_BYTES = 5 * 1024 * 1024  # API.md: bodies over 5 MB get 413


@dataclass(frozen=True)
class Route:
    """One ingest route: the body it takes, where its items are, and the writer they go to."""

    shape: type[Any]
    items: Callable[[Any], Sequence[Any]]
    writer: str  # the app.state attribute holding the writer
    decoder: msgspec.json.Decoder[Any]


def _route(shape: type[Any], items: Callable[[Any], Sequence[Any]], writer: str) -> Route:
    return Route(shape, items, writer, msgspec.json.Decoder(shape))


ROUTES = {
    "/v1/events/batch": _route(EventBatch, attrgetter("events"), "event_writer"),
    "/v1/events": _route(SingleEvent, lambda event: [event], "event_writer"),
    "/v1/performance/batch": _route(MetricBatch, attrgetter("metrics"), "metric_writer"),
}


def writers(store: AnalyticsStore, settings: IngestSettings, hub: LiveHub) -> dict[str, GroupCommitWriter]:
    """The two writers, by the app.state attribute each lives in; stored events go live."""
    common = (settings.flush_rows, settings.flush_interval_ms / 1000, settings.max_pending_rows)
    return {
        "event_writer": GroupCommitWriter(store, "events", prepare_events, *common, on_flushed=publisher(hub)),
        "metric_writer": GroupCommitWriter(store, "performance_metrics", prepare_metrics, *common),
    }


def decode(route: Route, body: bytes) -> Any:
    """msgspec decodes the body straight into the structs (no dict per event on the way),
    whatever the content type: browser beacons send JSON as text/plain."""
    try:
        return route.decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise ApiError(400, "invalid_request", f"The body is not a valid {route.shape.__name__}: {exc}.") from exc
    except msgspec.DecodeError as exc:
        raise ApiError(400, "invalid_json", "The body is not valid JSON.", [{"message": str(exc)}]) from exc


async def _application(keys: IngestKeys, key: str | None) -> AppRef:
    if not key:
        raise ApiError(401, "missing_ingest_key", "Send the application's ingest key as X-API-Key.")
    app = await keys.resolve(key)
    if app is None:
        raise ApiError(401, "invalid_ingest_key", "This ingest key is not valid (it may have been rotated).")
    return app


async def ingest(state: State, route: Route, body: bytes, header_key: str | None) -> IngestResult:
    """Store what `body` holds; answered only once stored, 503 (nothing acknowledged) otherwise."""
    data = decode(route, body)
    items = route.items(data)
    if len(items) > MAX_EVENTS:
        raise ApiError(
            413, "too_many_events", f"Send at most {MAX_EVENTS:,} events per request; this had {len(items):,}."
        )
    app = await _application(state.ingest_keys, header_key or data.api_key)
    writer: GroupCommitWriter = getattr(state, route.writer)
    window = Window(datetime.now(UTC), state.settings.clickhouse.retention_days)
    try:
        return await writer.submit(Submission(items, app, window))
    except Overloaded as exc:
        raise ApiError(503, "overloaded", "Ingestion is busy; retry shortly.", headers={"Retry-After": "1"}) from exc
    except StoreUnavailable as exc:
        raise ApiError(
            503, "store_unavailable", "The event store is unavailable; retry shortly.", headers={"Retry-After": "5"}
        ) from exc
