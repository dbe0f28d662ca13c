"""After each flush: per-application deltas out to the live stream, and the counters."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

import pyarrow as pa
from prometheus_client import Counter as PromCounter

from app.domain.ingest.writer import OnFlushed
from realtime.frames import EventsFrame, encode
from realtime.hub import LiveHub

EVENTS_STORED = PromCounter("nexus_ingest_events_stored", "Events stored, per application", ["app_id"])


def deltas(rows: pa.Table) -> dict[str, Counter[str]]:
    """Events per application and event name in one flushed batch."""
    per_app: dict[str, Counter[str]] = defaultdict(Counter)
    counts = rows.group_by(["app_id", "event"]).aggregate([("event", "count")])
    for app_id, event, count in zip(
        counts.column("app_id").to_pylist(),
        counts.column("event").to_pylist(),
        counts.column("event_count").to_pylist(),
        strict=True,
    ):
        per_app[app_id][event] += count
    return per_app


def publisher(hub: LiveHub) -> OnFlushed:
    async def publish(rows: pa.Table) -> None:
        now = datetime.now(UTC)
        for app_id, counts in deltas(rows).items():
            total = sum(counts.values())
            EVENTS_STORED.labels(app_id).inc(total)
            frame = encode(EventsFrame(app_id=app_id, t=now, counts=dict(counts), total=total))
            await hub.publish(app_id, frame)  # encoded once for every subscriber everywhere

    return publish
