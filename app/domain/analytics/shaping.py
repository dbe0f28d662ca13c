"""Pure polars functions that shape what ClickHouse returns into complete, ordered series.

Input frames have `value`, and `t` (series mode) and/or `series` when the statement
returned them (queries.CompiledQuery says which). Output frames are always:

- series mode: `t` (Datetime[ms, UTC], every bucket of the range), `series` (str), `value`
- total mode: `series`, `value`

with `value` Int64 for counts and distinct users, Float64 otherwise, and 0 where there
was nothing. No I/O here: every function is tested on hand-made frames.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from app.domain.analytics.schemas import INTEGRAL_AGGREGATIONS, TrendQuery
from app.domain.analytics.timerange import STEP, as_utc

TIME = pl.Datetime("ms", "UTC")
NO_VALUE = "(none)"
ALL_EVENTS_LABEL = "All events"
_EVERY = {"minute": "1m", "hour": "1h", "day": "1d"}


def default_label(query: TrendQuery) -> str:
    """The name of the only series when there is one: the event, or all events."""
    return ALL_EVENTS_LABEL if query.all_events() else ", ".join(query.events)


def normalise_time(column: pl.Series) -> pl.Series:
    """Bucket starts as Datetime[ms, UTC], whether the engine sent timestamps or epoch
    seconds (chDB hands ClickHouse's DateTime to Arrow as UInt32)."""
    if column.dtype.is_integer():
        return pl.from_epoch(column.cast(pl.Int64), time_unit="s").dt.replace_time_zone("UTC").cast(TIME)
    if isinstance(column.dtype, pl.Datetime):
        if column.dtype.time_zone is None:
            column = column.dt.replace_time_zone("UTC")
        return column.dt.convert_time_zone("UTC").cast(TIME)
    raise TypeError(f"bucket column has type {column.dtype}")


def bucket_starts(date_from: datetime, date_to: datetime, interval: str) -> pl.Series:
    """Every bucket start in [date_from, date_to)."""
    start, end = as_utc(date_from), as_utc(date_to)
    if end <= start:
        return pl.Series("t", [], dtype=TIME)
    last = end - STEP[interval]
    grid = pl.datetime_range(start, last, _EVERY[interval], time_unit="ms", time_zone="UTC", eager=True)
    return grid.alias("t").cast(TIME)


def value_type(aggregation: str) -> pl.DataType:
    return pl.Int64() if aggregation in INTEGRAL_AGGREGATIONS else pl.Float64()


def tidy(frame: pl.DataFrame, query: TrendQuery) -> pl.DataFrame:
    """Name every series, type every column; no filling yet."""
    if "series" in frame.columns:
        series = pl.col("series").cast(pl.Utf8)
        series = pl.when(series == "").then(pl.lit(NO_VALUE)).otherwise(series) if query.breakdown else series
    else:
        series = pl.lit(default_label(query))
    columns = [series.alias("series"), pl.col("value").cast(pl.Float64).fill_nan(0.0).fill_null(0.0)]
    if query.mode == "series":
        frame = frame.with_columns(normalise_time(frame["t"]))
        columns.insert(0, pl.col("t").cast(TIME))
    tidied = frame.select(columns)
    return tidied.with_columns(pl.col("value").round(6).cast(value_type(query.aggregation)))


def series_order(frame: pl.DataFrame, query: TrendQuery) -> list[str]:
    """Series in the order a reader expects: the events in the order chosen (those with
    no data too), breakdown values from largest to smallest total, else the one series."""
    if query.breakdown:
        totals = frame.group_by("series").agg(pl.col("value").sum()).sort(["value", "series"], descending=[True, False])
        return totals["series"].to_list()[: query.breakdown_limit]
    if len(query.events) > 1:
        return list(query.events)
    return [default_label(query)]


def fill_buckets(
    frame: pl.DataFrame, labels: list[str], date_from: datetime, date_to: datetime, interval: str
) -> pl.DataFrame:
    """Every (bucket, series) pair of the range, 0 where the frame had nothing."""
    dtype = frame.schema["value"]
    grid = pl.DataFrame({"t": bucket_starts(date_from, date_to, interval)}).join(
        pl.DataFrame({"series": labels}, schema={"series": pl.Utf8}), how="cross"
    )
    filled = grid.join(frame, on=["t", "series"], how="left").with_columns(pl.col("value").fill_null(0).cast(dtype))
    order = pl.DataFrame(
        {"series": labels, "_order": list(range(len(labels)))}, schema={"series": pl.Utf8, "_order": pl.Int64}
    )
    return filled.join(order, on="series").sort(["_order", "t"]).drop("_order")


def fill_totals(frame: pl.DataFrame, labels: list[str]) -> pl.DataFrame:
    """One row per label, in order, 0 where the frame had nothing."""
    dtype = frame.schema["value"]
    rows = pl.DataFrame({"series": labels}, schema={"series": pl.Utf8}).with_row_index("_order")
    filled = rows.join(frame, on="series", how="left").with_columns(pl.col("value").fill_null(0).cast(dtype))
    return filled.sort("_order").drop("_order")


def shape(frame: pl.DataFrame, query: TrendQuery) -> pl.DataFrame:
    """What the engine returned → the complete frame the charts and APIs read."""
    tidied = tidy(frame, query)
    labels = series_order(tidied, query)
    if query.mode == "total":
        return fill_totals(tidied, labels)
    return fill_buckets(tidied, labels, query.date_from, query.date_to, query.interval)


def to_wide(frame: pl.DataFrame) -> pl.DataFrame:
    """Series mode → one row per bucket, one column per series (tables, CSV)."""
    if frame.is_empty():
        return pl.DataFrame({"t": []}, schema={"t": TIME})
    labels = list(dict.fromkeys(frame["series"].to_list()))
    wide = frame.pivot(on="series", index="t", values="value", aggregate_function="first").sort("t")
    return wide.select(["t", *labels])


def totals(frame: pl.DataFrame) -> pl.DataFrame:
    """Series mode → each series' sum over the range (`series`, `value`)."""
    labels = list(dict.fromkeys(frame["series"].to_list()))
    summed = frame.group_by("series").agg(pl.col("value").sum())
    return fill_totals(summed, labels)
