"""The analytics query language: typed queries in, typed results out.

`QuerySpec` is what a person chooses (a panel stores it as JSON): events, aggregation,
breakdown, filters, interval and a time range, with no application or absolute times
needed. `TrendQuery` is one fully resolved question for the query layer: one application
of one organisation, an absolute time range aligned to whole buckets. `resolve()` in
`timerange.py` turns the first into the second.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

Interval = Literal["minute", "hour", "day"]
Aggregation = Literal["count", "unique_users", "sum", "avg", "p50", "p95"]
Operator = Literal["eq", "neq", "contains", "gt", "lt", "is_set"]
RangeName = Literal["15m", "1h", "24h", "7d", "30d", "90d"]
Mode = Literal["series", "total"]

ALL_EVENTS = "*"
NUMERIC_AGGREGATIONS: frozenset[str] = frozenset({"sum", "avg", "p50", "p95"})
# Aggregations whose values are whole numbers (shown and exported without decimals).
INTEGRAL_AGGREGATIONS: frozenset[str] = frozenset({"count", "unique_users"})
MAX_EVENTS = 5
MAX_FILTERS = 10
MAX_BREAKDOWN_LIMIT = 25

EventName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
PropertyName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
FilterValue = str | int | float | bool | None


class PropertyFilter(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Keep only events whose property `property` satisfies `operator value`.

    eq / neq / contains compare the property as text (contains ignores case); gt / lt
    compare it as a number and skip events without it; is_set ignores `value`."""

    property: PropertyName
    operator: Operator = "eq"
    value: FilterValue = None

    def __post_init__(self) -> None:
        if self.operator in ("gt", "lt"):
            if self.value is None or isinstance(self.value, bool) or _as_number(self.value) is None:
                raise ValueError(f"filter on `{self.property}`: `{self.operator}` needs a number")
        elif self.operator != "is_set" and (self.value is None or self.value == ""):
            raise ValueError(f"filter on `{self.property}`: `{self.operator}` needs a value")

    def text_value(self) -> str:
        """The value as the text the stored JSON would hold (true, not True)."""
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if isinstance(self.value, float) and self.value.is_integer():
            return str(int(self.value))
        return "" if self.value is None else str(self.value)

    def number_value(self) -> float:
        number = _as_number(self.value)
        assert number is not None
        return number


def _as_number(value: FilterValue) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


FunnelWindow = Literal["1h", "1d", "7d", "14d"]
MIN_FUNNEL_STEPS = 2
MAX_FUNNEL_STEPS = 8
MAX_RETENTION_WEEKS = 12


class FunnelSpec(msgspec.Struct, forbid_unknown_fields=True):
    """Ordered steps a person must do within `window` of the first (funnels.py)."""

    steps: Annotated[list[EventName], msgspec.Meta(min_length=MIN_FUNNEL_STEPS, max_length=MAX_FUNNEL_STEPS)]
    window: FunnelWindow = "1d"

    def __post_init__(self) -> None:
        steps = [name.strip() for name in self.steps]
        if any(not name for name in steps):
            raise ValueError("funnel steps cannot be blank")
        if ALL_EVENTS in steps:
            raise ValueError("each funnel step is one event name; `*` cannot be a step")
        if len(set(steps)) != len(steps):
            raise ValueError("each funnel step must be a different event")
        self.steps = steps


class RetentionSpec(msgspec.Struct, forbid_unknown_fields=True):
    """Weekly cohorts by first `start_event`, returning with `return_event` (retention.py);
    `*` means any event."""

    start_event: EventName = ALL_EVENTS
    return_event: EventName = ALL_EVENTS
    weeks: Annotated[int, msgspec.Meta(ge=2, le=MAX_RETENTION_WEEKS)] = 8

    def __post_init__(self) -> None:
        self.start_event = self.start_event.strip()
        self.return_event = self.return_event.strip()
        if not self.start_event or not self.return_event:
            raise ValueError("retention events cannot be blank; use `*` for any event")


class QuerySpec(msgspec.Struct, forbid_unknown_fields=True):
    """What to chart, without the application (a panel's dashboard may supply it) and
    with a range relative to now unless `date_from`/`date_to` pin it."""

    events: Annotated[list[EventName], msgspec.Meta(min_length=1, max_length=MAX_EVENTS)] = msgspec.field(
        default_factory=lambda: [ALL_EVENTS]
    )
    aggregation: Aggregation = "count"
    # The numeric property that sum / avg / p50 / p95 aggregate; ignored by count and unique_users.
    property: PropertyName | None = None
    breakdown: PropertyName | None = None
    breakdown_limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_BREAKDOWN_LIMIT)] = 5
    filters: Annotated[list[PropertyFilter], msgspec.Meta(max_length=MAX_FILTERS)] = msgspec.field(default_factory=list)
    interval: Interval = "hour"
    range: RangeName = "24h"
    date_from: datetime | None = None
    date_to: datetime | None = None
    # Only for organisation-wide dashboards; a dashboard of one application supplies it.
    app_id: str | None = None
    # Funnel and retention panels: their steps or cohorts (the fields above give the range
    # and filters of a funnel; a retention panel's range is its number of weeks).
    funnel: FunnelSpec | None = None
    retention: RetentionSpec | None = None

    def __post_init__(self) -> None:
        events = list(dict.fromkeys(name.strip() for name in self.events))
        if ALL_EVENTS in events and len(events) > 1:
            raise ValueError("`*` (all events) cannot be combined with event names")
        if any(not name for name in events):
            raise ValueError("event names cannot be blank")
        self.events = events
        if self.aggregation in NUMERIC_AGGREGATIONS:
            if not self.property:
                raise ValueError(f"`{self.aggregation}` needs `property`, the numeric property to aggregate")
        else:
            self.property = None
        if (self.date_from is None) != (self.date_to is None):
            raise ValueError("give both `date_from` and `date_to`, or neither")
        if self.date_from is not None and self.date_to is not None and self.date_from >= self.date_to:
            raise ValueError("`date_from` must be before `date_to`")
        if self.app_id is not None:
            try:
                self.app_id = str(uuid.UUID(self.app_id))
            except ValueError as exc:
                raise ValueError("`app_id` is not a UUID") from exc


class TrendQuery(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One question for the query layer. Times are UTC and aligned to `interval`
    (`date_from` inclusive, `date_to` exclusive)."""

    app_id: str
    org_id: str
    date_from: datetime
    date_to: datetime
    events: tuple[str, ...] = (ALL_EVENTS,)
    aggregation: Aggregation = "count"
    property: str | None = None
    breakdown: str | None = None
    breakdown_limit: int = 5
    filters: tuple[PropertyFilter, ...] = ()
    interval: Interval = "hour"
    # series: one value per bucket; total: one value for the whole range (big numbers, tables).
    mode: Mode = "series"

    def all_events(self) -> bool:
        return self.events == (ALL_EVENTS,)

    def cache_key(self) -> str:
        """Equal queries have equal keys (the struct's canonical JSON, hashed)."""
        return hashlib.sha256(msgspec.json.encode(self)).hexdigest()[:32]


class Point(msgspec.Struct):
    t: datetime
    value: float | int


class Series(msgspec.Struct):
    label: str
    points: list[Point]


class Total(msgspec.Struct):
    label: str
    value: float | int


class Timeseries(msgspec.Struct):
    """`GET /v1/applications/{id}/timeseries` (API.md "Queries")."""

    interval: str
    points: list[Point]


class SeenName(msgspec.Struct):
    name: str
    events: int


class NameList(msgspec.Struct):
    """Names seen (events or property keys), most frequent first."""

    items: list[SeenName]
    next_cursor: str | None = None
