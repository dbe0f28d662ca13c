"""Anomaly detection over 1,000 series of a week of minutes each: polars against pandas.

`python -m bench.anomaly` writes bench/results/anomaly.json:
  series           series in the frame (1,000).
  points           points per series (10,080: a week of minutes).
  seconds          median wall time of detect_anomalies_many (app/domain/analytics/anomaly.py) over
                   the whole frame, default AnomalyConfig (rolling median/MAD baseline of 60 points),
                   in one call: every series at once, windows split across polars' threads.
  pandas_seconds   median wall time of the same algorithm written the usual pandas way
                   (bench/anomaly_pandas.py: groupby → rolling median → shift, twice).
  speedup          pandas_seconds / seconds.
  flags_identical  both flag exactly the same points (checked before timing; the run fails otherwise).

Data (seeded): per series, a daily wave of random phase and amplitude on a random level, a
weekend dip, Poisson-like noise, rounded to whole counts (as the timeseries query returns);
then ~20 spikes, drops and level shifts per series at random places. Each side runs once
unmeasured, then RUNS times.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import polars as pl

from app.domain.analytics.anomaly import AnomalyConfig, detect_anomalies_many
from bench.anomaly_pandas import detect_anomalies_pandas
from bench.harness import ROOT, table, write_results

NAME = "anomaly"
SERIES = int(os.environ.get("NEXUS_BENCH_SERIES", "1000"))
POINTS = 7 * 24 * 60
RUNS = 3
SEED = 20_260_304
START = datetime(2025, 1, 6, tzinfo=UTC)


def build(series: int, points: int, seed: int) -> pl.DataFrame:
    """The frame both sides get: `series` (Int32), `t` (minutes, UTC), `value` (Float64)."""
    rng = np.random.default_rng(seed)
    minute = np.arange(points)
    level = rng.uniform(20, 500, (series, 1))
    amplitude = rng.uniform(0.1, 0.6, (series, 1)) * level
    phase = rng.uniform(0, 2 * np.pi, (series, 1))
    weekend = ((minute // 1440) % 7 >= 5) * rng.uniform(0, 0.3, (series, 1)) * level
    mean = level + amplitude * np.sin(2 * np.pi * minute / 1440 + phase) - weekend
    values = mean + rng.normal(0, 1, (series, points)) * np.sqrt(np.maximum(mean, 1))
    for row in range(series):
        for at in rng.integers(200, points, 20):
            kind = rng.integers(3)
            if kind == 0:
                values[row, at] *= rng.uniform(2, 4)  # spike
            elif kind == 1:
                values[row, at] *= rng.uniform(0, 0.3)  # drop
            else:
                values[row, at : at + rng.integers(30, 300)] *= rng.uniform(1.5, 2)  # level shift
    times = pl.datetime_range(START, START + (points - 1) * pl.duration(minutes=1), "1m", eager=True, time_zone="UTC")
    return pl.DataFrame(
        {
            "series": np.repeat(np.arange(series, dtype=np.int32), points),
            "t": pl.concat([times] * series),
            "value": np.maximum(values, 0).round().ravel(),
        }
    )


def timed(run: Callable[[], object]) -> float:
    run()  # unmeasured: allocator and thread pools warm
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    config = AnomalyConfig()
    frame = build(SERIES, POINTS, SEED)
    pandas_frame = frame.to_pandas()
    load_before = os.getloadavg()

    flags = detect_anomalies_many(frame, config, interval_s=60)["anomaly"].to_numpy()
    pandas_flags = detect_anomalies_pandas(pandas_frame, config)["anomaly"].to_numpy()
    identical = bool(np.array_equal(flags, pandas_flags))
    assert identical, f"polars and pandas disagree on {int((flags != pandas_flags).sum())} points"

    seconds = timed(lambda: detect_anomalies_many(frame, config, interval_s=60))
    pandas_seconds = timed(lambda: detect_anomalies_pandas(pandas_frame, config))
    results = {
        "series": SERIES,
        "points": POINTS,
        "seconds": round(seconds, 3),
        "pandas_seconds": round(pandas_seconds, 3),
        "speedup": round(pandas_seconds / seconds, 1),
        "flags_identical": identical,
    }
    path = write_results(NAME, results)
    table([*results.items(), ("anomalies flagged", f"{int(flags.sum()):,} of {flags.size:,} points")])
    load_after = os.getloadavg()
    print(f"  load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}; {os.cpu_count()} CPUs")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
