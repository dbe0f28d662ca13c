"""The rolling detector of app/domain/analytics/anomaly.py written the usual pandas way
(groupby → rolling median → shift), as the benchmark's point of comparison. It must flag
exactly the same points: bench/anomaly.py checks that before reporting any timing.

Only the rolling baseline (with or without differencing): the benchmark's configuration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.domain.analytics.anomaly import (
    MAD_TO_SD,
    SCALE_FLOOR_ABS,
    SCALE_FLOOR_FRACTION,
    AnomalyConfig,
    min_samples,
)


def detect_anomalies_pandas(frame: pd.DataFrame, config: AnomalyConfig, by: str = "series") -> pd.DataFrame:
    """`frame`: columns `by`, `t`, `value`, sorted by t within each series. Returns it with
    `expected`, `lower`, `upper`, `score` and `anomaly`, like detect_anomalies_many."""
    if config.seasonal:
        raise ValueError("only the rolling baseline is written in pandas")
    window, needed = config.window, min_samples(config)
    lead = 1 if config.difference else 0
    out = frame.copy()
    value = out["value"].astype("float64")
    groups = out.groupby(by, sort=False)
    position = groups.cumcount().to_numpy()
    previous = groups["value"].shift(1).astype("float64") if config.difference else pd.Series(0.0, index=out.index)
    out["_x"] = value - previous if config.difference else value

    def trailing_median(column: str) -> pd.Series:
        """Median of the previous `window` values within the series, the current one left out."""
        rolled = out.groupby(by, sort=False)[column].rolling(window, min_periods=needed).median()
        rolled = rolled.reset_index(level=0, drop=True).sort_index()
        return rolled.groupby(out[by], sort=False).shift(1)

    # A baseline needs `window` earlier points of its own series; the band `window` more.
    warm = position >= window + lead
    rolling = trailing_median("_x")
    center = rolling.where(warm)
    out["_residual"] = (out["_x"] - rolling.fillna(out["_x"])).abs()
    mad = (MAD_TO_SD * trailing_median("_residual")).where(position >= 2 * window + lead)

    expected = previous + center
    floor = np.maximum(SCALE_FLOOR_FRACTION * expected.abs(), SCALE_FLOOR_ABS)
    scale = np.maximum(mad, floor)
    change = value - expected
    score = change / scale
    big_enough = change.abs() / np.maximum(expected, 1.0) > config.min_pct_change
    loud_enough = (value >= config.min_volume) | (expected >= config.min_volume)
    out["expected"] = expected
    out["lower"] = expected - config.sensitivity * scale
    out["upper"] = expected + config.sensitivity * scale
    out["score"] = score
    out["anomaly"] = ((score.abs() >= config.sensitivity) & big_enough & loud_enough).fillna(False).astype(bool)
    return out.drop(columns=["_x", "_residual"])
