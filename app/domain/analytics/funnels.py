"""Funnels: how many people did ordered steps, each within a window of their first step.

Parse → build → shape, like trends: `resolve()` turns a panel's QuerySpec (with its
`funnel`) into a FunnelQuery; `build()` writes ClickHouse's `windowFunnel` over each
person's events (the deepest step reached per `distinct_id`, then people per depth);
`conversion()` turns people per depth into people per step and the conversion rates.
No I/O here (service.run_funnel runs it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec
import polars as pl

from app.domain.analytics import timerange
from app.domain.analytics.queries import EVENTS, CompiledQuery, _Builder
from app.domain.analytics.schemas import FunnelWindow, Interval, PropertyFilter, QuerySpec, TrendQuery

WINDOW_SECONDS: dict[str, int] = {"1h": 3600, "1d": 86_400, "7d": 7 * 86_400, "14d": 14 * 86_400}
WINDOW_LABELS: dict[str, str] = {"1h": "1 hour", "1d": "1 day", "7d": "7 days", "14d": "14 days"}


class FunnelQuery(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One funnel for the query layer: people whose first step falls in [date_from, date_to)
    (UTC) and who did the later steps, in order, within `window` of it (inside the range)."""

    app_id: str
    org_id: str
    date_from: datetime
    date_to: datetime
    steps: tuple[str, ...]
    window: FunnelWindow = "1d"
    filters: tuple[PropertyFilter, ...] = ()

    def cache_key(self) -> str:
        return "funnel:" + hashlib.sha256(msgspec.json.encode(self)).hexdigest()[:32]


class FunnelStep(msgspec.Struct):
    """One step's people: `conversion` is % of the first step, `step_conversion` % of the
    step before, `dropped` how many of the step before did not get here."""

    step: int
    event: str
    users: int
    conversion: float
    step_conversion: float
    dropped: int


@dataclass(frozen=True)
class FunnelResult:
    query: FunnelQuery
    # conversion()'s frame: step, event, users, conversion, step_conversion, dropped.
    frame: pl.DataFrame

    def steps(self) -> list[FunnelStep]:
        return [FunnelStep(**row) for row in self.frame.iter_rows(named=True)]

    def overall_conversion(self) -> float:
        return overall_conversion(self.frame)


def resolve(spec: QuerySpec, app_id: str, org_id: str, now: datetime) -> FunnelQuery:
    """A funnel panel's spec as an absolute query: its range ending `now` (or pinned),
    aligned like any other panel's (timerange.RangeError when it cannot be)."""
    if spec.funnel is None:
        raise ValueError("the query has no funnel")
    # A funnel has no buckets, so its interval only aligns the range's ends: to the minute for
    # the last 15 minutes or hour, to the hour beyond (90 days of hours is within MAX_BUCKETS).
    # Coarser, "last 24 hours" would turn into "today so far".
    grid: Interval = "minute" if timerange.RANGES[spec.range] <= timedelta(hours=1) else "hour"
    trend = timerange.resolve(msgspec.structs.replace(spec, interval=grid), app_id, org_id, now, "total")
    return FunnelQuery(
        app_id=app_id,
        org_id=org_id,
        date_from=trend.date_from,
        date_to=trend.date_to,
        steps=tuple(spec.funnel.steps),
        window=spec.funnel.window,
        filters=tuple(spec.filters),
    )


def build(query: FunnelQuery) -> CompiledQuery:
    """Columns: `level` (the deepest step reached, 1..n) and `users` (people there).

    windowFunnel takes unsigned timestamps, so DateTime64 is passed as epoch milliseconds
    (keeping the order of events within one second) and the window in milliseconds too.
    Only the steps' events are read; property filters apply to every step."""
    trend = TrendQuery(
        app_id=query.app_id,
        org_id=query.org_id,
        date_from=query.date_from,
        date_to=query.date_to,
        events=query.steps,
        filters=query.filters,
    )
    b = _Builder(trend, "timestamp")
    b.add_events()  # binds event_0, event_1, ... in step order
    b.add_filters()
    b.bind("window_ms", WINDOW_SECONDS[query.window] * 1000)
    conditions = ", ".join(f"event = {{event_{i}:String}}" for i in range(len(query.steps)))
    where = "\n".join("    " + line for line in b.where_sql().splitlines())
    sql = (
        "SELECT level, count() AS users\n"
        "FROM (\n"
        "    SELECT\n"
        "        distinct_id,\n"
        "        windowFunnel({window_ms:UInt64})(toUInt64(toUnixTimestamp64Milli(timestamp)), "
        f"{conditions}) AS level\n"
        "    FROM events\n"
        f"{where}\n"
        "    GROUP BY distinct_id\n"
        ")\n"
        "WHERE level > 0\n"
        "GROUP BY level\n"
        "ORDER BY level"
    )
    return CompiledQuery(sql=sql, params=b.params, source=EVENTS, has_series=False)


def conversion(levels: pl.DataFrame, steps: Sequence[str]) -> pl.DataFrame:
    """People per deepest step (`level`, `users`) → one row per step, in order:
    `step` (1-based), `event`, `users` (people who reached at least this step),
    `conversion` (% of step 1), `step_conversion` (% of the step before; 100 for step 1),
    `dropped` (people of the step before who stopped there). Rates are 0 with nobody."""
    per_level = (
        levels.select(pl.col("level").cast(pl.Int64), pl.col("users").cast(pl.Int64))
        .group_by("level")
        .agg(pl.col("users").sum())
    )
    grid = pl.DataFrame(
        {"step": list(range(1, len(steps) + 1)), "event": list(steps)},
        schema={
            "step": pl.Int64,
            "event": pl.Utf8,
        },
    )
    reached = (
        grid.join(per_level, left_on="step", right_on="level", how="left")
        .with_columns(pl.col("users").fill_null(0))
        .sort("step")
        # Reaching step k means a deepest step of k or more.
        .with_columns(pl.col("users").reverse().cum_sum().reverse().alias("users"))
    )
    first = pl.col("users").first()
    previous = pl.col("users").shift(1).fill_null(pl.col("users"))
    return reached.select(
        "step",
        "event",
        "users",
        _percent(pl.col("users"), first).alias("conversion"),
        _percent(pl.col("users"), previous).alias("step_conversion"),
        (previous - pl.col("users")).cast(pl.Int64).alias("dropped"),
    )


def _percent(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    return pl.when(whole > 0).then((part * 100.0 / whole).round(2)).otherwise(0.0).cast(pl.Float64)


def overall_conversion(frame: pl.DataFrame) -> float:
    """% of the people at the first step who reached the last one."""
    if frame.height == 0:
        return 0.0
    return float(frame["conversion"][-1])
