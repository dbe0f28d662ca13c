"""Turn decoded requests into rows to store, rejecting bad items by index. Pure functions.

The writer calls these once per flush, over every request that flush will answer: checks
and the Arrow table are built a column at a time with Arrow compute, not an event at a
time in Python, so their cost is paid per flush rather than per request (a single-event
request costs almost nothing to prepare). Each rejection goes back to its own request, by
that request's own indexes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from operator import attrgetter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from app.domain.ingest.keys import AppRef
from app.domain.ingest.schemas import EventIn, MetricIn, Rejection

MAX_NAME = 200
MAX_PROPERTIES_BYTES = 64 * 1024
FUTURE_TOLERANCE = timedelta(hours=1)
# How long after the first attempt a retried event that sent no timestamp (so is stamped
# with its time of receipt, later on each attempt) is still recognised by its uuid.
RETRY_HORIZON = timedelta(days=1)
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_MICROS = pa.timestamp("us", tz="UTC")
_MILLIS = pa.timestamp("ms", tz="UTC")
_CANONICAL_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# What uuid.UUID reads too: any case, hyphens optional.
_ANY_UUID = r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"

EVENT_SCHEMA = pa.schema(
    [
        ("app_id", pa.string()),
        ("org_id", pa.string()),
        ("uuid", pa.string()),
        ("event", pa.string()),
        ("distinct_id", pa.string()),
        ("session_id", pa.string()),
        ("timestamp", _MILLIS),
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
        ("timestamp", _MILLIS),
    ]
)


class Window:
    """The times a request accepts: at most an hour ahead of its receipt, and within retention."""

    def __init__(self, now: datetime, retention_days: int) -> None:
        self.now = now
        self.earliest = now - timedelta(days=retention_days)
        self.latest = now + FUTURE_TOLERANCE


@dataclass
class Submission:
    """One request's decoded items, the application they are for, and its window."""

    items: Sequence[EventIn] | Sequence[MetricIn]
    app: AppRef
    window: Window


@dataclass
class Prepared:
    """Rows ready for one insert, and per submission how many were accepted and which refused."""

    rows: pa.Table
    accepted: list[int]
    rejected: list[list[Rejection]]
    # Rows whose uuid the client chose (a retry may repeat it, so the writer looks for it)
    # and the earliest time their stored copy can have: their own timestamp when the client
    # sent one (a retry carries it again), else RETRY_HORIZON before their time of receipt.
    retry_checks: pa.Table


class _Flush:
    """The submissions of one flush laid end to end, and the first problem found per item."""

    def __init__(self, submissions: Sequence[Submission]) -> None:
        self.submissions = submissions
        self.items: list[Any] = list(chain.from_iterable(s.items for s in submissions))
        counts = [len(s.items) for s in submissions]
        self.owner = pa.array(np.repeat(np.arange(len(submissions)), counts))
        self.starts = np.concatenate(([0], np.cumsum(counts)[:-1])).tolist()
        self.problems: dict[int, str] = {}

    def column(self, name: str, kind: pa.DataType) -> pa.Array:
        return pa.array(map(attrgetter(name), self.items), kind, size=len(self.items))

    def json_texts(self, name: str) -> pa.Array:
        """A msgspec.Raw field (the exact JSON text sent, no surrounding space) as text, built
        from one joined buffer: copying each Raw out to bytes first cost 30 times as much."""
        raws = list(map(attrgetter(name), self.items))
        offsets = np.zeros(len(raws) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, raws), dtype=np.int64, count=len(raws)), out=offsets[1:])
        return pa.LargeStringArray.from_buffers(len(raws), pa.py_buffer(offsets), pa.py_buffer(b"".join(raws))).cast(
            pa.string()
        )

    def per_row(self, values: list[Any], kind: pa.DataType) -> pa.Array:
        """One value per submission, spread over its rows."""
        return pa.array(values, kind).take(self.owner)

    def flag(self, mask: pa.Array, message: str) -> None:
        """Items where `mask` holds get `message`, unless an earlier check already refused them."""
        mask = pc.fill_null(mask, False)
        if pc.any(mask).as_py():
            for index in pc.indices_nonzero(mask).to_pylist():
                self.problems.setdefault(index, message)

    def check_text(self, name: str, values: pa.Array, required: bool = True) -> None:
        lengths = pc.fill_null(pc.utf8_length(values), 0)
        if required:
            self.flag(pc.equal(lengths, 0), f"{name} must not be empty")
        self.flag(pc.greater(lengths, MAX_NAME), f"{name} is longer than {MAX_NAME} characters")

    def moments(self) -> tuple[pa.Array, pa.Array]:
        """Each item's time in UTC (its receipt when it sent none), times out of window
        refused; and whether the item sent its time."""
        texts = self.column("timestamp", pa.string())
        try:
            parsed = pc.cast(texts, _MICROS)
        except pa.ArrowInvalid:
            # Arrow's parser is strict ISO 8601; Python's is more lenient, and names the problem.
            parsed = pa.array(self._parse_each(texts.to_pylist()), _MICROS)
        windows = [s.window for s in self.submissions]
        moments = pc.coalesce(parsed, self.per_row([w.now for w in windows], _MICROS))
        self.flag(
            pc.greater(moments, self.per_row([w.latest for w in windows], _MICROS)),
            "timestamp is more than 1 hour in the future",
        )
        self.flag(
            pc.less(moments, self.per_row([w.earliest for w in windows], _MICROS)),
            "timestamp is older than the retention period",
        )
        return pc.cast(moments, _MILLIS, safe=False), pc.is_valid(parsed)  # stored to the millisecond

    def _parse_each(self, texts: list[str | None]) -> list[datetime | None]:
        moments: list[datetime | None] = []
        for index, raw in enumerate(texts):
            moment = None if raw is None else parse_time(raw)
            if isinstance(moment, str):
                self.problems.setdefault(index, moment)
                moment = None
            moments.append(moment)
        return moments

    def uuids(self) -> tuple[pa.Array, pa.Array]:
        """Canonical uuid text per item (a fresh one where none was sent); whether it was sent."""
        sent = self.column("uuid", pa.string())
        canonical = pc.match_substring_regex(sent, _CANONICAL_UUID)
        if not pc.all(pc.fill_null(canonical, True)).as_py():
            self.flag(pc.invert(pc.match_substring_regex(sent, _ANY_UUID)), "uuid is not a UUID")
            # Upper case or without hyphens: rare, so made canonical one by one.
            sent = pa.array([_canonical(text) for text in sent.to_pylist()], pa.string())
        missing, chosen = sent.null_count, pc.is_valid(sent)
        if missing == 0:
            return sent, chosen
        return pc.replace_with_mask(sent, pc.invert(chosen), pa.array(random_uuids(missing))), chosen

    def result(
        self, columns: dict[str, pa.Array], schema: pa.Schema, uuid_chosen: pa.Array, time_sent: pa.Array
    ) -> Prepared:
        rows = pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)
        checks = retry_checks(columns["uuid"], columns["timestamp"], time_sent)
        accepted = [len(s.items) for s in self.submissions]
        rejected: list[list[Rejection]] = [[] for _ in self.submissions]
        if self.problems:
            keep = np.ones(len(self.items), dtype=bool)
            owners = self.owner.to_numpy()
            for index in sorted(self.problems):
                keep[index] = False
                owner = int(owners[index])
                accepted[owner] -= 1
                rejected[owner].append(Rejection(index=index - self.starts[owner], error=self.problems[index]))
            rows = rows.filter(pa.array(keep))
            uuid_chosen = pc.and_(uuid_chosen, pa.array(keep))
        return Prepared(rows, accepted, rejected, checks.filter(uuid_chosen))


def retry_checks(uuids: pa.Array, timestamps: pa.Array, time_sent: pa.Array | None = None) -> pa.Table:
    """Uuids to look for in the store, each with the earliest time its stored copy can have:
    its own timestamp where the client sent one (a retry carries it again), else
    RETRY_HORIZON before its time of receipt (`time_sent` None: no time was sent)."""
    since = pc.subtract(timestamps, pa.scalar(RETRY_HORIZON))
    if time_sent is not None:
        since = pc.if_else(time_sent, timestamps, since)
    return pa.table({"uuid": uuids, "since": since})


def parse_time(raw: str) -> datetime | str:
    """An RFC 3339 time in UTC, or the reason it is refused."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return "timestamp is not an RFC 3339 time"
    if moment.tzinfo is None:
        return "timestamp needs a UTC offset, e.g. 2026-01-31T12:00:00Z"
    return moment.astimezone(UTC)


def _canonical(text: str | None) -> str | None:
    if text is None:
        return None
    digits = text.replace("-", "").lower()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def random_uuids(count: int) -> list[str]:
    """`count` random (version 4) uuids as text: one call for the randomness, not one per uuid."""
    digits = os.urandom(16 * count).hex()
    variant = "89ab"
    return [
        f"{digits[i : i + 8]}-{digits[i + 8 : i + 12]}-4{digits[i + 13 : i + 16]}-"
        f"{variant[int(digits[i + 16], 16) & 3]}{digits[i + 17 : i + 20]}-{digits[i + 20 : i + 32]}"
        for i in range(0, 32 * count, 32)
    ]


def _app_columns(flush: _Flush) -> dict[str, pa.Array]:
    return {
        "app_id": flush.per_row([s.app.app_id for s in flush.submissions], pa.string()),
        "org_id": flush.per_row([s.app.org_id for s in flush.submissions], pa.string()),
    }


def prepare_events(submissions: Sequence[Submission]) -> Prepared:
    flush = _Flush(submissions)
    event = flush.column("event", pa.string())
    distinct_id = flush.column("distinct_id", pa.string())
    session_id = pc.fill_null(flush.column("session_id", pa.string()), "")
    flush.check_text("event", event)
    flush.check_text("distinct_id", distinct_id)
    flush.check_text("session_id", session_id, required=False)
    properties = flush.json_texts("properties")
    properties = pc.if_else(pc.equal(properties, "null"), "{}", properties)
    flush.flag(pc.invert(pc.starts_with(properties, "{")), "properties must be a JSON object")
    flush.flag(
        pc.greater(pc.binary_length(properties), MAX_PROPERTIES_BYTES),
        f"properties are larger than {MAX_PROPERTIES_BYTES // 1024} KB",
    )
    timestamp, time_sent = flush.moments()
    uuids, uuid_chosen = flush.uuids()
    columns = _app_columns(flush) | {
        "uuid": uuids,
        "event": event,
        "distinct_id": distinct_id,
        "session_id": session_id,
        "timestamp": timestamp,
        "properties": properties,
    }
    return flush.result(columns, EVENT_SCHEMA, uuid_chosen, time_sent)


def prepare_metrics(submissions: Sequence[Submission]) -> Prepared:
    flush = _Flush(submissions)
    endpoint = flush.column("endpoint", pa.string())
    method = pc.utf8_upper(flush.column("method", pa.string()))
    status_code = flush.column("status_code", pa.int64())
    duration_ms = flush.column("duration_ms", pa.float64())
    flush.check_text("endpoint", endpoint)
    flush.flag(
        pc.invert(pc.is_in(method, value_set=pa.array(sorted(METHODS)))),
        f"method must be one of {', '.join(sorted(METHODS))}",
    )
    flush.flag(
        pc.or_(pc.less(status_code, 100), pc.greater(status_code, 599)), "status_code must be between 100 and 599"
    )
    flush.flag(
        pc.or_(pc.invert(pc.is_finite(duration_ms)), pc.less(duration_ms, 0)),
        "duration_ms must be a finite, non-negative number",
    )
    timestamp, time_sent = flush.moments()
    uuids, uuid_chosen = flush.uuids()
    # Out-of-range codes are refused above; clamping only keeps the cast of their rows safe.
    status = pc.cast(pc.min_element_wise(pc.max_element_wise(status_code, 0), 65535), pa.uint16())
    columns = _app_columns(flush) | {
        "uuid": uuids,
        "endpoint": endpoint,
        "method": method,
        "status_code": status,
        "duration_ms": duration_ms,
        "timestamp": timestamp,
    }
    return flush.result(columns, METRIC_SCHEMA, uuid_chosen, time_sent)
