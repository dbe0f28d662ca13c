"""analytics.shaping on hand-made frames: complete buckets, named and ordered series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from app.domain.analytics import shaping
from app.domain.analytics.schemas import TrendQuery

T0 = datetime(2025, 3, 1, tzinfo=UTC)
H = timedelta(hours=1)


def _query(**fields: object) -> TrendQuery:
    base: dict[str, object] = {"app_id": "a", "org_id": "o", "date_from": T0, "date_to": T0 + 4 * H, "interval": "hour"}
    return TrendQuery(**{**base, **fields})  # type: ignore[arg-type]


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def test_empty_buckets_are_zero_and_times_are_utc() -> None:
    # chDB hands DateTime buckets over as UInt32 epoch seconds.
    raw = pl.DataFrame(
        {"t": [_epoch(T0), _epoch(T0 + 2 * H)], "value": [3, 1]}, schema={"t": pl.UInt32, "value": pl.UInt64}
    )
    shaped = shaping.shape(raw, _query(events=("signup",)))
    assert shaped.schema == {"t": pl.Datetime("ms", "UTC"), "series": pl.Utf8, "value": pl.Int64}
    assert shaped.to_dicts() == [
        {"t": T0, "series": "signup", "value": 3},
        {"t": T0 + H, "series": "signup", "value": 0},
        {"t": T0 + 2 * H, "series": "signup", "value": 1},
        {"t": T0 + 3 * H, "series": "signup", "value": 0},
    ]


def test_no_rows_at_all_is_a_flat_zero_series() -> None:
    raw = pl.DataFrame({"t": [], "value": []}, schema={"t": pl.UInt32, "value": pl.UInt64})
    shaped = shaping.shape(raw, _query())
    assert shaped["series"].to_list() == ["All events"] * 4
    assert shaped["value"].to_list() == [0, 0, 0, 0]


def test_timestamps_with_a_zone_or_naive_are_accepted() -> None:
    aware = pl.Series([T0], dtype=pl.Datetime("us", "Europe/Paris"))
    naive = pl.Series([T0.replace(tzinfo=None)], dtype=pl.Datetime("ns"))
    assert shaping.normalise_time(aware).to_list() == [T0]
    assert shaping.normalise_time(naive).to_list() == [T0]
    with pytest.raises(TypeError):
        shaping.normalise_time(pl.Series(["2025-03-01"]))


def test_several_events_keep_the_chosen_order_even_without_data() -> None:
    raw = pl.DataFrame({"t": [_epoch(T0)], "series": ["b"], "value": [2]})
    shaped = shaping.shape(raw, _query(events=("a", "b"), date_to=T0 + 2 * H))
    assert shaped.select("series", "value").rows() == [("a", 0), ("a", 0), ("b", 2), ("b", 0)]


def test_breakdown_series_largest_first_and_blank_values_named() -> None:
    raw = pl.DataFrame(
        {
            "t": [_epoch(T0), _epoch(T0), _epoch(T0 + H)],
            "series": ["/a", "", "/b"],
            "value": [1, 5, 4],
        }
    )
    shaped = shaping.shape(raw, _query(breakdown="path", date_to=T0 + 2 * H))
    wide = shaping.to_wide(shaped)
    assert wide.columns == ["t", "(none)", "/b", "/a"]
    assert wide.rows() == [(T0, 5, 0, 1), (T0 + H, 0, 4, 0)]


def test_averages_are_floats_and_nan_is_zero() -> None:
    raw = pl.DataFrame({"t": [_epoch(T0), _epoch(T0 + H)], "value": [1.25, float("nan")]})
    shaped = shaping.shape(raw, _query(aggregation="avg", property="ms", date_to=T0 + 2 * H))
    assert shaped["value"].dtype == pl.Float64
    assert shaped["value"].to_list() == [1.25, 0.0]


def test_total_mode_one_row_per_series() -> None:
    single = shaping.shape(pl.DataFrame({"value": [7]}), _query(mode="total"))
    assert single.rows() == [("All events", 7)]
    several = shaping.shape(pl.DataFrame({"series": ["b"], "value": [3]}), _query(events=("a", "b"), mode="total"))
    assert several.rows() == [("a", 0), ("b", 3)]
    top = shaping.shape(
        pl.DataFrame({"series": ["x", "y", "z"], "value": [1, 9, 4]}),
        _query(breakdown="k", breakdown_limit=2, mode="total"),
    )
    assert top.rows() == [("y", 9), ("z", 4)]


def test_minute_and_day_grids() -> None:
    minutes = shaping.bucket_starts(T0, T0 + timedelta(minutes=3), "minute")
    assert minutes.to_list() == [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    days = shaping.bucket_starts(T0, T0 + timedelta(days=2), "day")
    assert days.to_list() == [T0, T0 + timedelta(days=1)]
    assert shaping.bucket_starts(T0, T0, "day").to_list() == []


def test_totals_and_wide_tables() -> None:
    frame = pl.DataFrame(
        {"t": [T0, T0 + H, T0, T0 + H], "series": ["a", "a", "b", "b"], "value": [1, 2, 3, 4]},
        schema={"t": shaping.TIME, "series": pl.Utf8, "value": pl.Int64},
    )
    assert shaping.totals(frame).rows() == [("a", 3), ("b", 7)]
    assert shaping.to_wide(frame).rows() == [(T0, 1, 3), (T0 + H, 2, 4)]
    assert shaping.to_wide(frame.clear()).columns == ["t"]
