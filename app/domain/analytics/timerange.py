"""Time ranges: buckets, alignment, and resolving a QuerySpec to an absolute TrendQuery.

Every range is widened to whole buckets (`date_from` down, `date_to` up), so the raw
events and the hourly rollup answer exactly the same question, and a panel's resolved
range can be replayed through the timeseries API for the same numbers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.domain.analytics.schemas import Interval, Mode, QuerySpec, RangeName, TrendQuery

STEP: dict[str, timedelta] = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
RANGES: dict[str, timedelta] = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}
RANGE_LABELS: dict[str, str] = {
    "15m": "Last 15 minutes",
    "1h": "Last hour",
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
}
# The interval each range reads best at (the overview's "auto", a dashboard viewed over a range).
USUAL_INTERVAL: dict[str, Interval] = {
    "15m": "minute",
    "1h": "minute",
    "24h": "hour",
    "7d": "hour",
    "30d": "day",
    "90d": "day",
}


def usual_interval(span: timedelta) -> Interval:
    """The usual interval of the shortest named range at least as long as `span` (a custom
    range reads like the named range it is closest to above); per day beyond them all."""
    fitting = [name for name, length in RANGES.items() if span <= length]
    return USUAL_INTERVAL[min(fitting, key=RANGES.__getitem__)] if fitting else "day"


# The timeseries API's range when `from` is not given, per interval.
DEFAULT_SPAN: dict[str, timedelta] = {
    "minute": timedelta(hours=1),
    "hour": timedelta(hours=24),
    "day": timedelta(days=30),
}
# More points than this is a mistake (minute buckets over weeks), not a chart.
MAX_BUCKETS = 3000


class RangeError(ValueError):
    """A range the query layer refuses; the message is a sentence for a person."""


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive time is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def floor(moment: datetime, interval: Interval) -> datetime:
    moment = as_utc(moment)
    if interval == "minute":
        return moment.replace(second=0, microsecond=0)
    if interval == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def ceil(moment: datetime, interval: Interval) -> datetime:
    floored = floor(moment, interval)
    return floored if floored == as_utc(moment) else floored + STEP[interval]


def bucket_count(date_from: datetime, date_to: datetime, interval: Interval) -> int:
    return int((date_to - date_from) / STEP[interval])


def aligned(date_from: datetime, date_to: datetime, interval: Interval) -> tuple[datetime, datetime]:
    """The range widened to whole buckets; refused when empty, reversed or too long."""
    if as_utc(date_from) >= as_utc(date_to):
        raise RangeError("`from` must be before `to`.")
    start, end = floor(date_from, interval), ceil(date_to, interval)
    buckets = bucket_count(start, end, interval)
    if buckets > MAX_BUCKETS:
        raise RangeError(
            f"That range has {buckets:,} {interval} buckets; at most {MAX_BUCKETS:,} fit a chart. "
            "Choose a shorter range or a longer interval."
        )
    return start, end


def relative(range_name: RangeName, interval: Interval, now: datetime) -> tuple[datetime, datetime]:
    """`range_name` ending now: the current (partial) bucket is the last one."""
    end = ceil(now, interval)
    if end == as_utc(now):
        end += STEP[interval]  # exactly on a boundary: the bucket that has just begun
    return aligned(end - RANGES[range_name], end, interval)


def resolve(spec: QuerySpec, app_id: str, org_id: str, now: datetime, mode: Mode = "series") -> TrendQuery:
    """The spec as an absolute query for one application."""
    if spec.date_from is not None and spec.date_to is not None:
        date_from, date_to = aligned(spec.date_from, spec.date_to, spec.interval)
    else:
        date_from, date_to = relative(spec.range, spec.interval, now)
    return TrendQuery(
        app_id=app_id,
        org_id=org_id,
        date_from=date_from,
        date_to=date_to,
        events=tuple(spec.events),
        aggregation=spec.aggregation,
        property=spec.property,
        breakdown=spec.breakdown,
        breakdown_limit=spec.breakdown_limit,
        filters=tuple(spec.filters),
        interval=spec.interval,
        mode=mode,
    )
