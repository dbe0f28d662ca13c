"""Forecasts of a time series: trend + daily and weekly seasonality, fitted with scikit-learn.

Pure functions over polars frames, no I/O. The model is a ridge regression on a linear
trend and Fourier terms of the time of day and of the week (the seasonalities the history
is long enough to show); the prediction interval comes from the quantiles of the in-sample
residuals, so it is as wide as the model's own misses have been.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
from sklearn.linear_model import Ridge

DAY_S = 86_400
WEEK_S = 7 * DAY_S
# Harmonics per season: enough for a morning and an evening peak in a day, and for the step
# between weekdays and the weekend in a week; few enough not to chase noise.
HARMONICS = {DAY_S: 4, WEEK_S: 10}
# The central 95% of past residuals becomes the interval.
INTERVAL_QUANTILES = (0.025, 0.975)
# Fewer points than this (non-null) and there is nothing to fit: the forecast is empty.
MIN_HISTORY = 24
RIDGE_ALPHA = 1.0

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "t": pl.Datetime("us", "UTC"),
    "forecast": pl.Float64(),
    "lower": pl.Float64(),
    "upper": pl.Float64(),
}


def _seasons(span_s: float, interval_s: int) -> list[int]:
    """The periods worth modelling: one the buckets can resolve and the history covers."""
    periods = []
    if interval_s < DAY_S and span_s >= DAY_S:
        periods.append(DAY_S)
    if interval_s < WEEK_S and span_s >= 2 * WEEK_S:
        periods.append(WEEK_S)
    return periods


def _features(seconds: np.ndarray, origin: float, span_s: float, periods: list[int]) -> np.ndarray:
    """Columns: trend (0 at the first point, 1 at the last), then sin/cos of each harmonic of each period."""
    columns = [(seconds - origin) / max(span_s, 1.0)]
    for period in periods:
        phase = 2 * np.pi * seconds / period
        for k in range(1, HARMONICS[period] + 1):
            columns += [np.sin(k * phase), np.cos(k * phase)]
    return np.column_stack(columns)


def forecast(series: pl.DataFrame, horizon: int, *, interval_s: int) -> pl.DataFrame:
    """The next `horizon` buckets after the last `t` of `series` (columns `t`, `value`;
    nulls are ignored). Returns `t`, `forecast`, `lower`, `upper` (Float64); empty when
    the history has fewer than MIN_HISTORY values. A series that never went below zero
    (a count) is not forecast below zero either."""
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    if interval_s <= 0:
        raise ValueError("interval_s must be positive")
    history = series.select("t", pl.col("value").cast(pl.Float64).fill_nan(None)).drop_nulls()
    if history.height < MIN_HISTORY:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    seconds = history["t"].dt.epoch("s").to_numpy().astype(np.float64)
    values = history["value"].to_numpy()
    origin, span_s = seconds[0], seconds[-1] - seconds[0]
    periods = _seasons(span_s, interval_s)

    model = Ridge(alpha=RIDGE_ALPHA).fit(_features(seconds, origin, span_s, periods), values)
    residuals = values - model.predict(_features(seconds, origin, span_s, periods))
    low, high = np.quantile(residuals, INTERVAL_QUANTILES)

    last = series["t"].max()
    assert isinstance(last, datetime)  # history is not empty
    ahead = [last + timedelta(seconds=interval_s * step) for step in range(1, horizon + 1)]
    future = last.timestamp() + interval_s * np.arange(1, horizon + 1, dtype=np.float64)
    predicted = model.predict(_features(future, origin, span_s, periods))
    frame = pl.DataFrame(
        {"t": ahead, "forecast": predicted, "lower": predicted + low, "upper": predicted + high}, schema=OUTPUT_SCHEMA
    )
    if values.min() >= 0:
        frame = frame.with_columns(pl.col("forecast", "lower", "upper").clip(lower_bound=0.0))
    return frame


def backtest(series: pl.DataFrame, horizon: int, *, interval_s: int) -> dict[str, Any]:
    """Hold out the last `horizon` points, forecast them from the rest, and say how far off
    it was: MAE, MAPE (over the held-out points that are not zero; None if all are) and the
    share of held-out points inside the interval."""
    if series.height <= horizon:
        raise ValueError("the series must be longer than the horizon")
    train, held_out = series.head(series.height - horizon), series.tail(horizon)
    predicted = forecast(train, horizon, interval_s=interval_s)
    if predicted.is_empty():
        return {"horizon": horizon, "points": 0, "mae": None, "mape": None, "coverage": None}
    joined = held_out.select("t", pl.col("value").cast(pl.Float64)).join(predicted, on="t").drop_nulls("value")
    actual, expected = joined["value"].to_numpy(), joined["forecast"].to_numpy()
    error = np.abs(actual - expected)
    nonzero = actual != 0
    inside = (actual >= joined["lower"].to_numpy()) & (actual <= joined["upper"].to_numpy())
    return {
        "horizon": horizon,
        "points": int(actual.size),
        "mae": float(error.mean()) if actual.size else None,
        "mape": float((error[nonzero] / np.abs(actual[nonzero])).mean()) if nonzero.any() else None,
        "coverage": float(inside.mean()) if actual.size else None,
    }
