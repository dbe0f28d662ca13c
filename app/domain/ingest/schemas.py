"""Ingestion bodies (API.md "Ingestion"), decoded by msgspec straight into these structs.

Field checks that concern one event (names, timestamps, properties) are made per event so
one bad event is rejected by its index instead of failing the batch; only a body that is
not this shape at all is a 400.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

MAX_EVENTS = 10_000


# gc=False: a batch decodes into thousands of these; they hold no reference cycles, and
# leaving them out of the cyclic garbage collector took a large share of ingest CPU.
class EventIn(msgspec.Struct, gc=False):
    event: str
    distinct_id: str
    timestamp: str | None = None
    session_id: str | None = None
    # Text, checked and made canonical by prepare.py a column at a time (a pattern here, or
    # uuid.UUID, cost more per event than all the rest of decoding).
    uuid: str | None = None
    # Kept as the raw JSON text: stored as sent, queried in ClickHouse with JSONExtract*.
    properties: msgspec.Raw = msgspec.Raw(b"{}")


class EventBatch(msgspec.Struct, gc=False):
    events: list[EventIn]
    api_key: str | None = None  # for browser beacons, which cannot set headers


class SingleEvent(EventIn):
    api_key: str | None = None


class MetricIn(msgspec.Struct, gc=False):
    endpoint: str
    method: str
    # Bounded so any value fits a column; 100-599 is checked per metric (refused by index).
    status_code: Annotated[int, msgspec.Meta(ge=-(2**31), lt=2**31)]
    duration_ms: float
    timestamp: str | None = None
    # Text, checked and made canonical by prepare.py a column at a time (a pattern here, or
    # uuid.UUID, cost more per event than all the rest of decoding).
    uuid: str | None = None


class MetricBatch(msgspec.Struct, gc=False):
    metrics: list[MetricIn]
    api_key: str | None = None


class Rejection(msgspec.Struct):
    index: int
    error: str


class IngestResult(msgspec.Struct):
    accepted: int
    rejected: list[Rejection]
