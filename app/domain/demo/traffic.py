"""Synthetic product traffic for the demo applications: events and performance metrics.

Pure and deterministic: the rows for a time range depend only on the profile, the seed and
the range, never on how the range is split. Traffic is generated hour by hour, each hour
from a random stream of its own (seeded by seed, profile and hour), and cut to the range
asked for; so the backfill, a catch-up after a restart and the live loop's one-second
slices all produce the very same rows, uuids included, and a row stored twice can be
recognised by its uuid.

The shape: sessions arrive as a Poisson process whose rate follows the profile's daily and
weekly seasonality (app/domain/demo/shape.py). Each session views pages and may log in,
search, add to cart, hit an error, sign up (new visitors only) and buy (only after signing
up), so the funnel pageview > signup > purchase holds. API requests follow the same rate,
per endpoint with lognormal latencies that rise a little with load, and a share of 4xx and
5xx. Spikes and drops scale the session rate; a latency regression slows one endpoint and
raises its 5xx share and the application's error events.

Hours are drawn with numpy (app/domain/demo/hours.py) and turned into columns (JSON
properties, uuid text) with polars once per batch of hours, not once per hour: that keeps a
30-day backfill of ~1.5 million events to a few seconds.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from datetime import datetime

import numpy as np
import polars as pl
import pyarrow as pa

from app.domain.demo.hours import HOUR_MS, KINDS, Columns, Hour, draw_events, draw_metrics
from app.domain.demo.profiles import Profile
from app.domain.demo.shape import SEED, Anomaly, anomalies, to_ms
from app.domain.ingest.prepare import EVENT_SCHEMA, METRIC_SCHEMA

__all__ = ["SEED", "Anomaly", "TrafficGenerator", "anomalies", "generate_events", "generate_metrics"]


# --- raw columns to frames, once per batch of hours ------------------------------------


def _uuid_text(raw: np.ndarray) -> pl.Series:
    count = len(raw)
    binary = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), count, [None, pa.py_buffer(raw.tobytes())])
    hexed = pl.Series(binary).cast(pl.Binary).bin.encode("hex")
    pieces = [hexed.str.slice(start, length) for start, length in ((0, 8), (8, 4), (12, 4), (16, 4), (20, 12))]
    return pl.select(pl.concat_str(pieces, separator="-")).to_series().alias("uuid")


def _column(name: str, values: np.ndarray) -> pl.Series:
    if values.dtype == object:
        return pl.Series(name, values.tolist(), dtype=pl.String)
    return pl.Series(name, values)


def _events_frame(hours: list[Hour]) -> pl.DataFrame:
    """Raw hours → one frame of event rows (uuid, event, distinct_id, session_id, timestamp ms, properties)."""
    offsets = np.cumsum([0] + [hour.sessions for hour in hours])
    distinct_ids = np.array([d for hour in hours for d in hour.distinct_id] or [""], dtype=object)
    session_ids = np.array([s for hour in hours for s in hour.session_id] or [""], dtype=object)
    frames = []
    for kind in KINDS:
        parts = [hour.kinds[kind] for hour in hours]
        names = [name for name in parts[0] if name not in ("session", "timestamp", "uuid")]
        session = np.concatenate([p["session"] + offset for p, offset in zip(parts, offsets, strict=False)])
        properties = pl.DataFrame([_column(name, np.concatenate([p[name] for p in parts])) for name in names])
        frames.append(
            pl.DataFrame(
                [
                    _uuid_text(np.concatenate([p["uuid"] for p in parts])),
                    pl.Series("event", [kind] * len(session), dtype=pl.String),
                    _column("distinct_id", distinct_ids[session]),
                    _column("session_id", session_ids[session]),
                    pl.Series("timestamp", np.concatenate([p["timestamp"] for p in parts]), dtype=pl.Int64),
                    properties.select(pl.struct(names).struct.json_encode().alias("properties")).to_series(),
                ]
            )
        )
    return pl.concat(frames).sort("timestamp", maintain_order=True)


def _metrics_frame(hours: list[Columns]) -> pl.DataFrame:
    columns = {name: np.concatenate([hour[name] for hour in hours]) for name in hours[0]}
    raw = columns.pop("uuid")
    frame = pl.DataFrame([_column(name, values) for name, values in columns.items()])
    return frame.with_columns(_uuid_text(raw), pl.col("timestamp").cast(pl.Int64)).sort(
        "timestamp", maintain_order=True
    )


# --- any time range --------------------------------------------------------------------


class TrafficGenerator:
    """The events and performance metrics of one demo application, for any time range.

    The last few hours generated are kept, so the live loop's one-second slices cost a
    filter, not a regeneration.
    """

    def __init__(self, profile: Profile, app_id: str, org_id: str, seed: int = SEED, keep_hours: int = 3) -> None:
        self.profile = profile
        self.app_id = app_id
        self.org_id = org_id
        self.seed = seed
        self._keep_hours = keep_hours
        self._kept: dict[str, OrderedDict[int, pl.DataFrame]] = defaultdict(OrderedDict)

    def events(self, start: datetime, end: datetime) -> pa.Table:
        """Events with start <= timestamp < end, in EVENT_SCHEMA."""
        # Sessions that began in the hour before `start` may still be going.
        return self._table("events", to_ms(start), to_ms(end), EVENT_SCHEMA)

    def metrics(self, start: datetime, end: datetime) -> pa.Table:
        """Performance metrics with start <= timestamp < end, in METRIC_SCHEMA."""
        return self._table("metrics", to_ms(start), to_ms(end), METRIC_SCHEMA)

    def anomalies(self, start: datetime, end: datetime) -> list[Anomaly]:
        return anomalies(self.profile, start, end, self.seed)

    def _hours(self, kind: str, first: int, last: int) -> pl.DataFrame:
        """Hours first..last (inclusive) of `kind`, from the kept ones where possible."""
        kept = self._kept[kind]
        missing = [hour for hour in range(first, last + 1) if hour not in kept]
        if len(missing) > self._keep_hours:  # a long range (backfill): one batch, nothing kept
            return self._draw(kind, list(range(first, last + 1)))
        for hour in missing:
            kept[hour] = self._draw(kind, [hour])
        frames = []
        for hour in range(first, last + 1):
            kept.move_to_end(hour)
            frames.append(kept[hour])
        while len(kept) > self._keep_hours:
            kept.popitem(last=False)
        return pl.concat(frames)

    def _draw(self, kind: str, hours: list[int]) -> pl.DataFrame:
        if kind == "events":
            return _events_frame([draw_events(self.profile, self.seed, hour) for hour in hours])
        return _metrics_frame([draw_metrics(self.profile, self.seed, hour) for hour in hours])

    def _table(self, kind: str, start_ms: int, end_ms: int, schema: pa.Schema) -> pa.Table:
        end_ms = max(end_ms, start_ms)
        spill = 1 if kind == "events" else 0
        frame = self._hours(kind, start_ms // HOUR_MS - spill, max(start_ms, end_ms - 1) // HOUR_MS)
        frame = frame.filter((pl.col("timestamp") >= start_ms) & (pl.col("timestamp") < end_ms)).with_columns(
            pl.lit(self.app_id).alias("app_id"),
            pl.lit(self.org_id).alias("org_id"),
            pl.col("timestamp").cast(pl.Datetime("ms", "UTC")),
        )
        return frame.select(schema.names).to_arrow().cast(schema)


def generate_events(
    profile: Profile, app_id: str, org_id: str, start: datetime, end: datetime, seed: int = SEED
) -> pa.Table:
    """Events of `profile` with start <= timestamp < end (EVENT_SCHEMA)."""
    return TrafficGenerator(profile, app_id, org_id, seed).events(start, end)


def generate_metrics(
    profile: Profile, app_id: str, org_id: str, start: datetime, end: datetime, seed: int = SEED
) -> pa.Table:
    """Performance metrics of `profile` with start <= timestamp < end (METRIC_SCHEMA)."""
    return TrafficGenerator(profile, app_id, org_id, seed).metrics(start, end)
