"""Retention: weekly cohorts by first-seen week, and how many come back each week after.

A person's cohort is the (Monday-based, UTC) week of their first `start_event` ever (any
event when `*`); they "return" in week N when they did `return_event` (any when `*`) in
the N-th week after it. Week 0 is the cohort itself (100%). `resolve()` makes the query
(the last `weeks` weeks, this one included), `build()` the SQL, `matrix()` the full
cohort-by-week grid with sizes and percentages. No I/O here (service.run_retention).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import msgspec
import polars as pl

from app.domain.analytics.queries import EVENTS, CompiledQuery, _Builder
from app.domain.analytics.schemas import ALL_EVENTS, PropertyFilter, QuerySpec, TrendQuery

WEEK = timedelta(days=7)


class RetentionQuery(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Cohorts of the weeks starting at `date_from` (a Monday, UTC) up to `date_to` (the
    Monday after the last cohort week): `weeks` of them."""

    app_id: str
    org_id: str
    date_from: datetime
    date_to: datetime
    weeks: int
    start_event: str = ALL_EVENTS
    return_event: str = ALL_EVENTS
    filters: tuple[PropertyFilter, ...] = ()

    def first_week(self) -> date:
        return self.date_from.date()

    def cache_key(self) -> str:
        return "retention:" + hashlib.sha256(msgspec.json.encode(self)).hexdigest()[:32]


class RetentionCohort(msgspec.Struct):
    """One cohort row: `users[n]` people returned in week n (`users[0]` is `size`),
    `percent[n]` as % of `size`; None for weeks that have not happened yet."""

    cohort: date
    size: int
    users: list[int | None]
    percent: list[float | None]


@dataclass(frozen=True)
class RetentionResult:
    query: RetentionQuery
    # matrix()'s frame: cohort, week, size, users, percent.
    frame: pl.DataFrame

    def cohorts(self) -> list[RetentionCohort]:
        return [
            RetentionCohort(cohort=row["cohort"], size=row["size"], users=row["users"], percent=row["percent"])
            for row in to_rows(self.frame).iter_rows(named=True)
        ]


def monday(moment: datetime) -> datetime:
    """Midnight UTC of the Monday starting `moment`'s week (ClickHouse's toMonday)."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    start = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    return start - timedelta(days=start.weekday())


def resolve(spec: QuerySpec, app_id: str, org_id: str, now: datetime) -> RetentionQuery:
    """A retention panel's spec as an absolute query: `weeks` cohorts ending with this week."""
    if spec.retention is None:
        raise ValueError("the query has no retention")
    this_week = monday(now)
    weeks = spec.retention.weeks
    return RetentionQuery(
        app_id=app_id,
        org_id=org_id,
        date_from=this_week - (weeks - 1) * WEEK,
        date_to=this_week + WEEK,
        weeks=weeks,
        start_event=spec.retention.start_event,
        return_event=spec.retention.return_event,
        filters=tuple(spec.filters),
    )


def build(query: RetentionQuery) -> CompiledQuery:
    """Columns: `cohort` (Date, a Monday), `week` (0 = the cohort's size, n = people back
    n weeks later), `users`. First-seen looks at all history before `date_to`, so someone
    first seen before the range is in no cohort; property filters apply to both events."""
    trend = TrendQuery(
        app_id=query.app_id,
        org_id=query.org_id,
        date_from=query.date_from,
        date_to=query.date_to,
        filters=query.filters,
    )
    b = _Builder(trend, "timestamp")
    b.add_filters()
    b.bind("first_week", query.first_week().isoformat())
    # The cohort's first-seen scan has no lower time bound (see the docstring).
    first_seen = [condition for condition in b.where if "{date_from:" not in condition]
    returned = list(b.where)
    if query.start_event != ALL_EVENTS:
        first_seen.append("event = {" + b.bind("start_event", query.start_event) + ":String}")
    if query.return_event != ALL_EVENTS:
        returned.append("event = {" + b.bind("return_event", query.return_event) + ":String}")
    sql = (
        "WITH\n"
        "cohorts AS (\n"
        "    SELECT distinct_id, toMonday(min(timestamp)) AS cohort\n"
        "    FROM events\n"
        f"    WHERE {_and(first_seen)}\n"
        "    GROUP BY distinct_id\n"
        "    HAVING cohort >= {first_week:Date}\n"
        "),\n"
        "returns AS (\n"
        "    SELECT DISTINCT distinct_id, toMonday(timestamp) AS week\n"
        "    FROM events\n"
        f"    WHERE {_and(returned)}\n"
        ")\n"
        "SELECT cohort, toInt64(0) AS week, count() AS users\n"
        "FROM cohorts\n"
        "GROUP BY cohort\n"
        "UNION ALL\n"
        "SELECT c.cohort AS cohort, toInt64(dateDiff('week', c.cohort, r.week)) AS week, count() AS users\n"
        "FROM cohorts AS c\n"
        "INNER JOIN returns AS r ON r.distinct_id = c.distinct_id\n"
        "WHERE r.week > c.cohort\n"
        "GROUP BY cohort, week\n"
        "ORDER BY cohort, week"
    )
    return CompiledQuery(sql=sql, params=b.params, source=EVENTS, has_series=False)


def _and(conditions: list[str]) -> str:
    return "\n      AND ".join(conditions)


def matrix(raw: pl.DataFrame, first_week: date, weeks: int) -> pl.DataFrame:
    """People per (cohort, week) → the full grid, one row per cohort and week in order:
    `cohort` (Date), `week` (0..weeks-1), `size` (week 0's people), `users` and `percent`
    (of `size`, two decimals). Cells of weeks still to come (cohort i, week w with
    i + w ≥ weeks) are null; past cells without anyone are 0 (percent null for an empty
    cohort: there is nothing to divide)."""
    cohorts = [first_week + i * WEEK for i in range(weeks)]
    grid = pl.DataFrame(
        {
            "cohort": [c for c in cohorts for _ in range(weeks)],
            "week": [w for _ in cohorts for w in range(weeks)],
            "_index": [i for i in range(weeks) for _ in range(weeks)],
        },
        schema={"cohort": pl.Date, "week": pl.Int64, "_index": pl.Int64},
    )
    counts = raw.select(
        _as_date(raw["cohort"]).alias("cohort"), pl.col("week").cast(pl.Int64), pl.col("users").cast(pl.Int64)
    )
    happened = (pl.col("_index") + pl.col("week")) < weeks
    joined = grid.join(counts, on=["cohort", "week"], how="left").with_columns(
        pl.when(happened).then(pl.col("users").fill_null(0)).otherwise(None).alias("users")
    )
    sized = joined.with_columns(pl.col("users").filter(pl.col("week") == 0).first().over("cohort").alias("size"))
    percent = pl.when(pl.col("size") > 0).then((pl.col("users") * 100.0 / pl.col("size")).round(2)).otherwise(None)
    return sized.sort(["cohort", "week"]).select(
        "cohort", "week", pl.col("size").cast(pl.Int64), "users", percent.cast(pl.Float64).alias("percent")
    )


def _as_date(column: pl.Series) -> pl.Series:
    """Cohort weeks as Date whether the engine sent dates, timestamps or day numbers."""
    if column.dtype == pl.Date:
        return column
    if isinstance(column.dtype, pl.Datetime):
        return column.dt.date()
    if column.dtype.is_integer():
        return column.cast(pl.Int32).cast(pl.Date)
    return column.cast(pl.Utf8).str.to_date()


def week_count(frame: pl.DataFrame) -> int:
    """How many week columns the grid has."""
    return frame.select(pl.col("week").max()).item() + 1 if frame.height else 0


def to_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """The grid as one row per cohort: `cohort`, `size`, `users` and `percent` (lists,
    one item per week)."""
    return (
        frame.sort(["cohort", "week"])
        .group_by("cohort", maintain_order=True)
        .agg(pl.col("size").first(), pl.col("users"), pl.col("percent"))
    )


def to_wide(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per cohort with `cohort`, `size`, then `week N` (people) and `week N %`
    columns (tables, CSV)."""
    rows = to_rows(frame)
    weeks = week_count(frame)
    columns: list[pl.Expr] = [pl.col("cohort"), pl.col("size")]
    for w in range(weeks):
        columns.append(pl.col("users").list.get(w).alias(f"week {w}"))
        columns.append(pl.col("percent").list.get(w).alias(f"week {w} %"))
    return rows.select(columns)


def average_percent(frame: pl.DataFrame) -> list[float | None]:
    """Each week's return rate over all cohorts that reached it, weighted by size."""
    known = frame.filter(pl.col("users").is_not_null() & (pl.col("size") > 0))
    by_week = known.group_by("week").agg(pl.col("users").sum(), pl.col("size").sum()).sort("week")
    rates = {int(w): round(u * 100.0 / s, 2) for w, u, s in by_week.select("week", "users", "size").iter_rows()}
    weeks = week_count(frame)
    return [rates.get(w) for w in range(weeks)]
