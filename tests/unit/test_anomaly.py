"""Anomaly detection on hand-made series: what is flagged, what is not, and the edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from app.domain.analytics.anomaly import (
    AnomalyConfig,
    baseline_seconds,
    detect_anomalies,
    detect_anomalies_many,
    explain,
)

START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday
WEEK_H = 168
SPIKE, DROP, SHIFT = 4 * WEEK_H + 30, 4 * WEEK_H + 100, 5 * WEEK_H + 50
ADDED = ["detector", "expected", "score", "lower", "upper", "anomaly"]


def frame(values: np.ndarray | list[float | None], step: timedelta = timedelta(minutes=1)) -> pl.DataFrame:
    times = [START + i * step for i in range(len(values))]
    return pl.DataFrame({"t": times, "value": values}, schema={"t": pl.Datetime("us", "UTC"), "value": pl.Float64})


def seasonal_hours(*, anomalies: bool = True) -> np.ndarray:
    """Six weeks of hourly counts: a daily wave, quieter weekends, a little noise; then a
    spike and a drop in week 5 and a lasting level shift in week 6."""
    hours = np.arange(6 * WEEK_H)
    weekend = (hours // 24) % 7 >= 5
    values = (
        200 + 80 * np.sin(2 * np.pi * hours / 24) - 60 * weekend + np.random.default_rng(7).normal(0, 4, hours.size)
    )
    if anomalies:
        values[SPIKE] += 150
        values[DROP] -= 120
        values[SHIFT:] += 100
    return values


def flagged(out: pl.DataFrame) -> list[int]:
    return np.flatnonzero(out["anomaly"].to_numpy()).tolist()


def test_output_columns_and_types() -> None:
    out = detect_anomalies(frame(np.full(200, 10.0)))
    assert out.columns == ["t", "value", *ADDED]
    assert out.schema["anomaly"] == pl.Boolean
    assert out.schema["detector"] == pl.String
    assert all(out.schema[name] == pl.Float64 for name in ("expected", "lower", "upper", "score"))
    assert out.height == 200


def test_seasonal_baseline_flags_the_spike_the_drop_and_the_shift_start_only() -> None:
    out = detect_anomalies(
        frame(seasonal_hours(), timedelta(hours=1)), AnomalyConfig(seasonal=True, window=48), interval_s=3600
    )
    hits = flagged(out)
    assert [i for i in hits if i < SHIFT] == [SPIKE, DROP]
    after = [i for i in hits if i >= SHIFT]
    # The shift is caught where it starts and keeps being flagged until the band adapts.
    assert after[0] == SHIFT
    assert after == list(range(SHIFT, SHIFT + len(after)))
    assert out["detector"][SPIKE] == "seasonal_mad"
    assert out["detector"][0] == "rolling_mad"  # no earlier weeks yet
    assert out["lower"][SPIKE] < out["expected"][SPIKE] < out["upper"][SPIKE] < out["value"][SPIKE]
    assert out["score"][DROP] < -3


def test_clean_seasonal_series_is_never_flagged() -> None:
    out = detect_anomalies(
        frame(seasonal_hours(anomalies=False), timedelta(hours=1)),
        AnomalyConfig(seasonal=True, window=48),
        interval_s=3600,
    )
    assert flagged(out) == []
    assert out["score"].drop_nulls().len() > 800


def test_differencing_flags_a_level_shift_once() -> None:
    values = seasonal_hours()
    out = detect_anomalies(
        frame(values, timedelta(hours=1)), AnomalyConfig(seasonal=True, window=48, difference=True), interval_s=3600
    )
    hits = flagged(out)
    assert SHIFT in hits
    assert [i for i in hits if i > SHIFT] == []
    assert SPIKE in hits
    assert DROP in hits
    assert out["detector"][SHIFT] == "seasonal_mad+diff"
    # The band is mapped back onto the values: the previous value plus the expected change.
    assert out["expected"][SHIFT] == pytest.approx(values[SHIFT - 1], abs=30)


def test_rolling_baseline_leaves_out_the_current_point() -> None:
    values = 50 + np.random.default_rng(1).normal(0, 2, 300)
    values[250] = 90
    out = detect_anomalies(frame(values))
    assert flagged(out) == [250]
    assert out["expected"][250] == pytest.approx(float(np.median(values[190:250])))
    assert out["detector"][250] == "rolling_mad"


def test_flat_series_gets_a_floor_not_an_infinite_score() -> None:
    values = np.full(200, 100.0)
    values[150] = 130.0
    out = detect_anomalies(frame(values))
    assert flagged(out) == [150]
    assert out["upper"][149] == pytest.approx(103.0)  # 3 x max(1% of 100, 1)
    zeros = detect_anomalies(frame(np.zeros(200)))
    assert flagged(zeros) == []
    assert zeros["score"].drop_nulls().is_finite().all()
    assert set(zeros["score"].drop_nulls().to_list()) == {0.0}


def test_short_and_empty_series_have_no_band_and_no_flags() -> None:
    short = detect_anomalies(frame([1.0, 2.0, 50.0, 3.0]))
    assert short.height == 4
    assert short["anomaly"].to_list() == [False] * 4
    assert short["score"].null_count() == 4
    empty = detect_anomalies(frame([]))
    assert empty.height == 0
    assert empty.columns == ["t", "value", *ADDED]


def test_nulls_and_nans_are_skipped_not_flagged() -> None:
    values: list[float | None] = list(50 + np.random.default_rng(2).normal(0, 2, 300))
    for i in range(160, 175):
        values[i] = None
    values[200] = float("nan")
    values[260] = 120.0
    out = detect_anomalies(frame(values))
    assert flagged(out) == [260]
    assert out["anomaly"][160] is False
    assert out["score"][200] is None
    assert out["expected"][176] is not None  # a gap shorter than half the window keeps the baseline


def test_missing_rows_do_not_misalign_the_seasonal_weeks() -> None:
    values = seasonal_hours()
    full = frame(values, timedelta(hours=1))
    holey = full.filter(~pl.int_range(pl.len()).is_in([200, 201, 400, 555]))
    cfg = AnomalyConfig(seasonal=True, window=48)
    out = detect_anomalies(holey, cfg, interval_s=3600)
    assert out.filter(pl.col("anomaly"))["t"].to_list()[:2] == [full["t"][SPIKE], full["t"][DROP]]


def test_volume_floor() -> None:
    values = np.tile([2.0, 3.0], 100)
    values[150] = 9.0
    assert flagged(detect_anomalies(frame(values))) == [150]
    assert flagged(detect_anomalies(frame(values), AnomalyConfig(min_volume=10))) == []


def test_percent_change_floor() -> None:
    values = 1000 + np.random.default_rng(3).normal(0, 1, 200)
    values[150] = 1080.0  # far outside the noise, but only 8%
    assert flagged(detect_anomalies(frame(values))) == []
    assert flagged(detect_anomalies(frame(values), AnomalyConfig(min_pct_change=0.05))) == [150]


def test_sensitivity_is_the_one_knob() -> None:
    values = 50 + np.random.default_rng(4).normal(0, 2, 300)
    values[250] = 65
    assert flagged(detect_anomalies(frame(values), AnomalyConfig(sensitivity=3))) == [250]
    assert flagged(detect_anomalies(frame(values), AnomalyConfig(sensitivity=10))) == []


@pytest.mark.parametrize("config", [AnomalyConfig(), AnomalyConfig(difference=True), AnomalyConfig(window=30)])
def test_many_series_in_one_frame_match_one_at_a_time(config: AnomalyConfig) -> None:
    """Big enough to be split across threads; the series are interleaved on purpose."""
    rng = np.random.default_rng(5)
    series = []
    for key in ("a", "b", "c"):
        values = 100 + rng.normal(0, 5, 40_000)
        values[rng.integers(200, 40_000, 20)] += 80
        series.append(frame(values).with_columns(pl.lit(key).alias("app")))
    interleaved = pl.concat(series).sort("t", maintain_order=True)
    many = detect_anomalies_many(interleaved, config, by="app")
    for key, one in zip(("a", "b", "c"), series, strict=True):
        alone = detect_anomalies(one.drop("app"), config)
        together = many.filter(pl.col("app") == key).drop("app")
        assert together.equals(alone)
        assert len(flagged(alone)) >= 15


def test_one_long_series_is_not_split() -> None:
    values = 100 + np.random.default_rng(6).normal(0, 2, 150_000)
    values[123_456] = 400
    assert flagged(detect_anomalies(frame(values))) == [123_456]


def test_bad_config_is_refused() -> None:
    with pytest.raises(ValueError, match="window"):
        detect_anomalies(frame([1.0]), AnomalyConfig(window=1))
    with pytest.raises(ValueError, match="interval_s"):
        detect_anomalies(frame([1.0]), interval_s=0)


def test_explain_and_history() -> None:
    info = explain(AnomalyConfig(seasonal=True), 3600)
    assert info["detector"] == "seasonal_mad"
    assert info["baseline_window"] == 60
    assert info["sensitivity"] == 3.0
    assert explain(AnomalyConfig(difference=True), 60)["detector"] == "rolling_mad+diff"
    assert baseline_seconds(AnomalyConfig(), 60) == 2 * 60 * 60
    assert baseline_seconds(AnomalyConfig(seasonal=True), 3600) >= 3 * 7 * 86_400
