"""Turn decoded events into rows to store, rejecting bad ones by index. Pure functions."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from app.domain.ingest.schemas import EventIn, MetricIn, Rejection

MAX_NAME = 200
MAX_PROPERTIES_BYTES = 64 * 1024
FUTURE_TOLERANCE = timedelta(hours=1)
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})

EVENT_SCHEMA = pa.schema(
    [
        ("app_id", pa.string()),
        ("org_id", pa.string()),
        ("uuid", pa.string()),
        ("event", pa.string()),
        ("distinct_id", pa.string()),
        ("session_id", pa.string()),
        ("timestamp", pa.timestamp("ms", tz="UTC")),
        ("properties", pa.string()),
    ]
)
METRIC_SCHEMA = pa.schema(
    [
        ("app_id", pa.string()),
        ("org_id", pa.string()),
        ("uuid", pa.string()),
        ("endpoint", pa.string()),
        ("method", pa.string()),
        ("status_code", pa.uint16()),
        ("duration_ms", pa.float64()),
        ("timestamp", pa.timestamp("ms", tz="UTC")),
    ]
)


@dataclass
class Prepared:
    """Rows ready for one insert, and the events refused on the way."""

    rows: pa.Table
    rejected: list[Rejection] = field(default_factory=list)
    # uuids the client chose: a retry may repeat them, so the writer checks them.
    client_uuids: int = 0


class Window:
    """The accepted time range: at most an hour ahead, and within retention."""

    def __init__(self, now: datetime, retention_days: int) -> None:
        self.now = now
        self.earliest = now - timedelta(days=retention_days)
        self.latest = now + FUTURE_TOLERANCE

    def parse(self, raw: str | None) -> datetime | str:
        """The UTC time, or the reason it is refused."""
        if raw is None:
            return self.now
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            return "timestamp is not an RFC 3339 time"
        if moment.tzinfo is None:
            return "timestamp needs a UTC offset, e.g. 2026-01-31T12:00:00Z"
        moment = moment.astimezone(UTC)
        if moment > self.latest:
            return "timestamp is more than 1 hour in the future"
        if moment < self.earliest:
            return "timestamp is older than the retention period"
        return moment


def _text_problem(name: str, value: str, required: bool = True) -> str | None:
    if required and not value:
        return f"{name} must not be empty"
    if len(value) > MAX_NAME:
        return f"{name} is longer than {MAX_NAME} characters"
    return None


def prepare_events(events: list[EventIn], app_id: str, org_id: str, window: Window) -> Prepared:
    columns: dict[str, list[Any]] = {name: [] for name in EVENT_SCHEMA.names}
    rejected: list[Rejection] = []
    client_uuids = 0
    for index, item in enumerate(events):
        problem = (
            _text_problem("event", item.event)
            or _text_problem("distinct_id", item.distinct_id)
            or _text_problem("session_id", item.session_id or "", required=False)
        )
        properties = bytes(item.properties).decode().strip()
        if properties == "null":
            properties = "{}"
        if problem is None and not properties.startswith("{"):
            problem = "properties must be a JSON object"
        elif problem is None and len(properties) > MAX_PROPERTIES_BYTES:
            problem = f"properties are larger than {MAX_PROPERTIES_BYTES // 1024} KB"
        moment = window.parse(item.timestamp) if problem is None else problem
        if isinstance(moment, str):
            rejected.append(Rejection(index=index, error=moment))
            continue
        client_uuids += item.uuid is not None
        columns["app_id"].append(app_id)
        columns["org_id"].append(org_id)
        columns["uuid"].append(str(item.uuid or uuid.uuid4()))
        columns["event"].append(item.event)
        columns["distinct_id"].append(item.distinct_id)
        columns["session_id"].append(item.session_id or "")
        columns["timestamp"].append(moment)
        columns["properties"].append(properties)
    return Prepared(pa.Table.from_pydict(columns, schema=EVENT_SCHEMA), rejected, client_uuids)


def prepare_metrics(metrics: list[MetricIn], app_id: str, org_id: str, window: Window) -> Prepared:
    columns: dict[str, list[Any]] = {name: [] for name in METRIC_SCHEMA.names}
    rejected: list[Rejection] = []
    client_uuids = 0
    for index, item in enumerate(metrics):
        method = item.method.upper()
        problem = _text_problem("endpoint", item.endpoint)
        if problem is None and method not in METHODS:
            problem = f"method must be one of {', '.join(sorted(METHODS))}"
        if problem is None and not 100 <= item.status_code <= 599:
            problem = "status_code must be between 100 and 599"
        if problem is None and not (math.isfinite(item.duration_ms) and item.duration_ms >= 0):
            problem = "duration_ms must be a finite, non-negative number"
        moment = window.parse(item.timestamp) if problem is None else problem
        if isinstance(moment, str):
            rejected.append(Rejection(index=index, error=moment))
            continue
        client_uuids += item.uuid is not None
        columns["app_id"].append(app_id)
        columns["org_id"].append(org_id)
        columns["uuid"].append(str(item.uuid or uuid.uuid4()))
        columns["endpoint"].append(item.endpoint)
        columns["method"].append(method)
        columns["status_code"].append(item.status_code)
        columns["duration_ms"].append(item.duration_ms)
        columns["timestamp"].append(moment)
    return Prepared(pa.Table.from_pydict(columns, schema=METRIC_SCHEMA), rejected, client_uuids)
