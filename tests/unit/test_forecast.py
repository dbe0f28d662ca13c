"""Forecasts on a synthetic seasonal series: close to the truth, honest intervals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from app.domain.analytics.forecast import MIN_HISTORY, backtest, forecast

START = datetime(2025, 1, 6, tzinfo=UTC)


def hourly(hours: int, *, seed: int = 11, trend: float = 0.05) -> pl.DataFrame:
    """Hourly counts: a slow upward trend, a daily wave, quieter weekends, some noise."""
    h = np.arange(hours)
    weekend = (h // 24) % 7 >= 5
    values = 300 + trend * h + 100 * np.sin(2 * np.pi * h / 24) - 80 * weekend
    values = values + np.random.default_rng(seed).normal(0, 8, hours)
    return pl.DataFrame(
        {"t": [START + timedelta(hours=int(i)) for i in h], "value": values},
        schema={"t": pl.Datetime("us", "UTC"), "value": pl.Float64},
    )


def test_forecast_continues_the_series() -> None:
    series = hourly(4 * 168)
    out = forecast(series, 48, interval_s=3600)
    assert out.columns == ["t", "forecast", "lower", "upper"]
    assert out.height == 48
    assert out["t"][0] == series["t"][-1] + timedelta(hours=1)
    assert out["t"][-1] == series["t"][-1] + timedelta(hours=48)
    assert (out["lower"] <= out["forecast"]).all()
    assert (out["forecast"] <= out["upper"]).all()


def test_backtest_error_is_small_and_the_interval_covers_most_points() -> None:
    result = backtest(hourly(5 * 168), 72, interval_s=3600)
    assert result["points"] == 72
    assert result["mape"] < 0.05
    assert result["mae"] < 15
    assert result["coverage"] >= 0.8


def test_weekly_pattern_is_learned_once_two_weeks_are_seen() -> None:
    """The held-out days include a weekend: without the weekly terms it would be missed by ~80."""
    series = hourly(3 * 168 + 120)  # ends on a Friday; the next 48 hours are the weekend
    result = backtest(series.head(3 * 168 + 120), 48, interval_s=3600)
    assert result["mae"] < 20


def test_counts_are_not_forecast_below_zero() -> None:
    h = np.arange(96)
    values = np.maximum(0, 5 * np.sin(2 * np.pi * h / 24)) + 0.0
    series = pl.DataFrame({"t": [START + timedelta(hours=int(i)) for i in h], "value": values})
    out = forecast(series, 24, interval_s=3600)
    assert out["lower"].min() >= 0


def test_short_history_gives_an_empty_forecast_and_nulls_are_ignored() -> None:
    short = hourly(MIN_HISTORY - 1)
    assert forecast(short, 5, interval_s=3600).is_empty()
    holey = hourly(200).with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0).then(None).otherwise(pl.col("value")).alias("value")
    )
    out = forecast(holey, 5, interval_s=3600)
    assert out.height == 5
    assert out["forecast"].is_finite().all()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="horizon"):
        forecast(hourly(50), 0, interval_s=3600)
    with pytest.raises(ValueError, match="longer"):
        backtest(hourly(10), 10, interval_s=3600)
