"""ClickHouse SQL for every chart: one builder, bound parameters only.

Values always travel as bound parameters (`{name:Type}`, ClickHouse's server-side
binding, the same on chDB and a server); property names too, as String arguments of
JSONExtract*. Identifiers (tables, bucket and aggregate functions) come only from the
allow-lists below, keyed by the query's Literal fields. The statements are kept readable
and are snapshot-tested (tests/unit/snapshots/analytics/).
"""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta
from typing import Any

import msgspec

from app.domain.analytics.schemas import INTEGRAL_AGGREGATIONS, NUMERIC_AGGREGATIONS, TrendQuery
from app.domain.analytics.timerange import as_utc, floor
from app.engines.clickhouse import time_param

Params = dict[str, Any]

BUCKET_FUNCTIONS = {"minute": "toStartOfMinute", "hour": "toStartOfHour", "day": "toStartOfDay"}
# Over raw events. `{value}` is the numeric property's expression.
RAW_AGGREGATES = {
    "count": "count()",
    "unique_users": "uniq(distinct_id)",
    "sum": "sum({value})",
    "avg": "avg({value})",
    "p50": "quantile(0.5)({value})",
    "p95": "quantile(0.95)({value})",
}

EVENTS = "events"
# The hourly rollups (migrations 0008 and 0010), smallest first: a query is answered by the
# first one that can (choose_source).
TOTALS = "hourly_totals"  # per hour, all events together
ROLLUP = "hourly_events"  # per event and hour
NUMBERS = "hourly_numbers"  # per event, numeric property and hour
DIMS = "hourly_dims"  # per event, hour, path, country and browser
ROLLUPS = (TOTALS, ROLLUP, NUMBERS, DIMS)
# Where each is stored: its table, and for the grains of events_rollup the grain it reads
# (migration 0010 says what each holds).
ROLLUP_TABLE = "events_rollup"
GRAINS = {DIMS: 0, ROLLUP: 1, TOTALS: 3}
TABLES = {EVENTS: EVENTS, NUMBERS: "events_hourly_numbers"} | dict.fromkeys(GRAINS, ROLLUP_TABLE)
_COUNTS = {"count": "sum(events)", "unique_users": "uniqMerge(users)"}
# What each rollup answers, merged across the rows of each bucket.
ROLLUP_AGGREGATES = {
    TOTALS: _COUNTS,
    ROLLUP: _COUNTS,
    DIMS: _COUNTS,
    NUMBERS: {
        "sum": "sum(total)",
        "avg": "sum(total) / sum(events)",
        "p50": "quantileMerge(0.5)(numbers)",
        "p95": "quantileMerge(0.95)(numbers)",
    },
}
# How many events a row stands for, where a breakdown ranks its values.
EVENT_COUNTS = {EVENTS: "count()", DIMS: "sum(events)"}
# Below this span the raw events are read anyway: time-first sorting makes a short range
# cheap, and there is little left to save.
ROLLUP_MIN_SPAN = timedelta(hours=24)
# Text filters the dimension rollup holds the values for (compared as the events' columns are).
DIMENSION_OPERATORS = frozenset({"eq", "neq", "contains"})

# A rollup read is a few granules of a few narrow columns: ClickHouse's PREWHERE (reading the
# filter columns first, then the rest for matching rows) costs more planning and reading steps
# than it saves there. Measured on chDB 26.9 over the rollup of 10M demo events, median of 60:
# signup+purchase per hour over 7 days 6.0 -> 5.0 ms, revenue per day over 30 days 7.2 -> 5.5 ms;
# raw-event reads keep it (without it they were 5-10% slower).
ROLLUP_SETTINGS = "SETTINGS optimize_move_to_prewhere = 0"


class CompiledQuery(msgspec.Struct, frozen=True):
    sql: str
    params: Params
    # What answered: events or one of ROLLUPS (TABLES says where each is stored).
    source: str
    # Whether the statement returns a `series` column (several series) or one series.
    has_series: bool


# The ClickHouse type of a time bound on each table's time column (see _Builder).
TIME_PARAM_TYPES = {"timestamp": "DateTime64(3, 'UTC')", "hour": "DateTime('UTC')"}


def can_answer(query: TrendQuery, source: str) -> bool:
    """Whether `source` gives the same answer as the events: a rollup counts whole hours, at
    hour or day buckets, and only what its columns hold."""
    if source == EVENTS:
        return True
    if query.interval == "minute" or not _whole_hours(query):
        return False
    if query.aggregation not in ROLLUP_AGGREGATES[source]:
        return False
    if source == DIMS:
        return _on_dimensions(query)
    if query.filters or query.breakdown:
        return False
    return source != TOTALS or query.all_events()


def choose_source(query: TrendQuery) -> str:
    if query.date_to - query.date_from >= ROLLUP_MIN_SPAN:
        for source in ROLLUPS:
            if can_answer(query, source):
                return source
    return EVENTS


def _whole_hours(query: TrendQuery) -> bool:
    """Both bounds on the hour: a rollup cannot count part of one."""
    return all(floor(t, "hour") == as_utc(t) for t in (query.date_from, query.date_to))


def _on_dimensions(query: TrendQuery) -> bool:
    """Every filter and the breakdown on a dimension column."""
    filters = all(f.property in MATERIALIZED_TEXT and f.operator in DIMENSION_OPERATORS for f in query.filters)
    return filters and (query.breakdown is None or query.breakdown in MATERIALIZED_TEXT)


# Properties the events table also keeps as MATERIALIZED columns (computed on insert by
# the same JSONExtractString; LowCardinality, see migration 0004): reading the column skips
# parsing every row's JSON, which is most of a filtered query's time. The dimension rollup
# has the same columns.
MATERIALIZED_TEXT = {"path": "path", "country": "country", "browser": "browser"}
# Every numeric property, extracted once at insert (migrations 0006 and 0011 say what counts
# as a number): aggregates and comparisons read numbers from here and never parse the JSON.
NUMBER_PROPERTIES = "number_properties"


class _Builder:
    """Collects conditions and their parameters for one statement."""

    def __init__(self, query: TrendQuery, time_column: str) -> None:
        self.query = query
        self.params: Params = {
            "app_id": query.app_id,
            "org_id": query.org_id,
            "date_from": time_param(query.date_from),
            "date_to": time_param(query.date_to),
        }
        # Bounds typed like the column: chDB 26.9 compares a DateTime64(3) with a DateTime
        # as if the former were rounded up to the second, so an event at 12:00:59.500 would
        # count as not before 12:01:00.
        kind = TIME_PARAM_TYPES[time_column]
        bounded = time_column
        if time_column == "timestamp" and _whole_hours(query):
            # The same range on the sort key's own expression (the same rows, the bounds being
            # whole hours): granules wholly inside need no row-by-row comparison of the
            # DateTime64 column, which is what most of a range scan cost.
            bounded, kind = "toStartOfHour(timestamp)", TIME_PARAM_TYPES["hour"]
        self.where = [
            "app_id = {app_id:UUID}",
            "org_id = {org_id:UUID}",
            f"{bounded} >= {{date_from:{kind}}}",
            f"{bounded} < {{date_to:{kind}}}",
        ]

    def bind(self, name: str, value: Any) -> str:
        self.params[name] = value
        return name

    def add_events(self) -> None:
        if self.query.all_events():
            return
        names = [self.bind(f"event_{i}", event) for i, event in enumerate(self.query.events)]
        self.where.append("event IN (" + ", ".join(f"{{{name}:String}}" for name in names) + ")")

    def text_of(self, property_name: str, param: str) -> str:
        """The property as text: its materialized column if it has one, else from the JSON."""
        if property_name in MATERIALIZED_TEXT:
            return MATERIALIZED_TEXT[property_name]
        return "JSONExtractString(properties, {" + self.bind(param, property_name) + ":String})"

    def add_filters(self) -> None:
        for i, item in enumerate(self.query.filters):
            if item.operator == "is_set":
                prop = "{" + self.bind(f"filter_{i}_property", item.property) + ":String}"
                self.where.append(f"JSONHas(properties, {prop})")
                continue
            if item.operator in ("gt", "lt"):
                number = self.number_of(item.property, f"filter_{i}_property")
                value = "{" + self.bind(f"filter_{i}_value", item.number_value()) + ":Float64}"
                self.where.append(f"{number} {'>' if item.operator == 'gt' else '<'} {value}")
                continue
            text = self.text_of(item.property, f"filter_{i}_property")
            value = "{" + self.bind(f"filter_{i}_value", item.text_value()) + ":String}"
            if item.operator == "eq":
                self.where.append(f"{text} = {value}")
            elif item.operator == "neq":
                self.where.append(f"{text} != {value}")
            else:
                self.where.append(f"positionCaseInsensitiveUTF8({text}, {value}) > 0")

    def number_of(self, property_name: str, param: str) -> str:
        """The property as a number; events where it is not one are left out."""
        prop = "{" + self.bind(param, property_name) + ":String}"
        self.where.append(f"mapContains({NUMBER_PROPERTIES}, {prop})")
        return f"{NUMBER_PROPERTIES}[{prop}]"

    def numeric_value(self) -> str:
        """The aggregated property as a number; events where it is not one are left out."""
        assert self.query.property is not None
        return self.number_of(self.query.property, "property")

    def where_sql(self) -> str:
        return "WHERE " + "\n  AND ".join(self.where)


def build(query: TrendQuery, source: str | None = None) -> CompiledQuery:
    """The statement answering `query`. Columns: `t` (bucket start; series mode only),
    `series` (when there are several series), `value`. `source` forces a table (tests
    compare them); by default the smallest that gives the same answer is read."""
    source = source or choose_source(query)
    if source == EVENTS:
        return _raw(query)
    if not can_answer(query, source):
        raise ValueError(f"the hourly rollup {source} cannot answer this query")
    return _rollup(query, source)


def _raw(query: TrendQuery) -> CompiledQuery:
    b = _Builder(query, "timestamp")
    b.add_events()
    b.add_filters()
    aggregate = RAW_AGGREGATES[query.aggregation]
    if query.aggregation in NUMERIC_AGGREGATIONS:
        aggregate = aggregate.format(value=b.numeric_value())
    bucket = f"{BUCKET_FUNCTIONS[query.interval]}(timestamp)"
    if query.breakdown:
        return _breakdown(query, b, EVENTS, bucket, aggregate)
    return _grouped(query, b, EVENTS, bucket, aggregate)


def _rollup(query: TrendQuery, source: str) -> CompiledQuery:
    b = _Builder(query, "hour")
    b.add_events()
    b.add_filters()
    if source == NUMBERS:
        assert query.property is not None
        b.where.append("property = {" + b.bind("property", query.property) + ":String}")
    else:  # (after app_id, as in the sort key)
        b.where.insert(1, f"grain = {GRAINS[source]}")
    aggregate = ROLLUP_AGGREGATES[source][query.aggregation]
    bucket = f"{BUCKET_FUNCTIONS[query.interval]}(hour)"
    if query.breakdown:
        return _breakdown(query, b, source, bucket, aggregate, ROLLUP_SETTINGS)
    return _grouped(query, b, source, bucket, aggregate, ROLLUP_SETTINGS)


def _breakdown(
    query: TrendQuery, b: _Builder, source: str, bucket: str, aggregate: str, settings: str = ""
) -> CompiledQuery:
    """One series per value of the breakdown property, for its top values by number of events
    over the whole range. One scan: each group's count is summed per value by a window, then
    ranked; a CTE with `IN (SELECT ...)` would read the rows twice."""
    assert query.breakdown is not None
    breakdown = b.text_of(query.breakdown, "breakdown")
    b.bind("breakdown_limit", query.breakdown_limit)
    series_mode = query.mode == "series"
    count = EVENT_COUNTS[source]
    total = f"sum({count}) OVER (PARTITION BY series)" if series_mode else count
    columns = [f"{bucket} AS t"] if series_mode else []
    columns += [f"{breakdown} AS series", f"{aggregate} AS value", f"{total} AS series_total"]
    group = "t, series" if series_mode else "series"
    from_where = f"\nFROM {TABLES[source]}\n" + b.where_sql()
    grouped = "SELECT\n    " + ",\n    ".join(columns) + from_where + f"\nGROUP BY {group}"
    ranked = (
        f"SELECT {group}, value, dense_rank() OVER (ORDER BY series_total DESC, series) AS series_rank\n"
        f"FROM (\n{textwrap.indent(grouped, '    ')}\n)"
    )
    sql = (
        f"SELECT {group}, value\nFROM (\n{textwrap.indent(ranked, '    ')}\n)\n"
        "WHERE series_rank <= {breakdown_limit:UInt16}\n"
        f"ORDER BY {group}"
    )
    if settings:
        sql += "\n" + settings
    return CompiledQuery(sql=sql, params=b.params, source=source, has_series=True)


def _grouped(
    query: TrendQuery, b: _Builder, source: str, bucket: str, aggregate: str, settings: str = ""
) -> CompiledQuery:
    """One series (all the chosen events together) or one per event."""
    series_mode = query.mode == "series"
    per_event = len(query.events) > 1
    columns, group = [], []
    if series_mode:
        columns.append(f"{bucket} AS t")
        group.append("t")
    if per_event:
        columns.append("event AS series")
        group.append("series")
    columns.append(f"{aggregate} AS value")
    sql = "SELECT\n    " + ",\n    ".join(columns) + f"\nFROM {TABLES[source]}\n" + b.where_sql()
    if group:
        sql += f"\nGROUP BY {', '.join(group)}\nORDER BY {', '.join(group)}"
    if settings:
        sql += "\n" + settings
    return CompiledQuery(sql=sql, params=b.params, source=source, has_series=per_event)


def is_integral(query: TrendQuery) -> bool:
    return query.aggregation in INTEGRAL_AGGREGATIONS


# ---------------------------------------------------------------------------------------
# Names seen, for autocomplete in the panel builder.


def event_names(app_id: str, org_id: str, since: datetime, limit: int) -> tuple[str, Params]:
    """Event names of one application since `since`, most frequent first (from the rollup)."""
    sql = f"""SELECT event AS name, sum(events) AS events
FROM {ROLLUP_TABLE}
WHERE app_id = {{app_id:UUID}}
  AND grain = {GRAINS[ROLLUP]}
  AND org_id = {{org_id:UUID}}
  AND hour >= {{since:DateTime('UTC')}}
GROUP BY name
ORDER BY events DESC, name
LIMIT {{limit:UInt32}}"""
    return sql, {"app_id": app_id, "org_id": org_id, "since": time_param(since), "limit": limit}


def property_names(app_id: str, org_id: str, since: datetime, limit: int, sample: int = 10_000) -> tuple[str, Params]:
    """Top-level property keys seen in a sample of recent events, most frequent first."""
    sql = """SELECT arrayJoin(JSONExtractKeys(properties)) AS name, count() AS events
FROM (
    SELECT properties
    FROM events
    WHERE app_id = {app_id:UUID}
      AND org_id = {org_id:UUID}
      AND timestamp >= {since:DateTime64(3, 'UTC')}
    LIMIT {sample:UInt32}
)
GROUP BY name
ORDER BY events DESC, name
LIMIT {limit:UInt32}"""
    return sql, {"app_id": app_id, "org_id": org_id, "since": time_param(since), "limit": limit, "sample": sample}
