"""Anomaly detection over time series: robust z-scores against a rolling or seasonal baseline.

Pure functions over polars frames, no I/O. One set of expressions (`_detect`) serves a
single series (`detect_anomalies`) and many series in one frame (`detect_anomalies_many`:
windows along the whole column, blanked where they would reach into the previous series),
so the API route, the chart and the insight scheduler all flag exactly the same points.

The method, per point:
- baseline (`expected`): the median of the previous `window` points (the current point is
  left out, so a spike cannot hide itself), or with `seasonal`, the median of the same
  time-of-week slot over the previous `season_weeks` weeks (rows with none of those weeks
  yet fall back to the rolling baseline; `detector` says which one each row used);
- scale: 1.4826 * the median absolute residual (value - expected) over the previous `window`
  points — the MAD, scaled to a standard deviation for normal noise — floored so a flat
  series does not turn every wobble into an infinite score;
- `score` = residual / scale; a point is an anomaly when |score| ≥ sensitivity, the change
  is also at least `min_pct_change` of the baseline, and the point is not below the volume
  floor. With `difference`, all of this runs on first differences (a level shift becomes one
  jump at its start) and the band is mapped back onto the values.
Points without a baseline yet (the warm-up, or a window mostly null) get null bands and are
never flagged.
"""

from __future__ import annotations

import bisect
import itertools
from typing import Any

import msgspec
import polars as pl

MAD_TO_SD = 1.4826
# The scale floor: this share of the baseline, and never below one unit (event counts are
# whole numbers: a flat 0 or 100 must not make a change of 1 look infinitely unusual).
SCALE_FLOOR_FRACTION = 0.01
SCALE_FLOOR_ABS = 1.0
WEEK_S = 7 * 86_400

_KEY = "__series"
# Below this many rows one thread does it faster than splitting the frame.
MIN_ROWS_TO_SPLIT = 100_000


class AnomalyConfig(msgspec.Struct, frozen=True):
    sensitivity: float = 3.0  # robust z threshold; one knob
    window: int = 60  # rolling baseline length in points
    seasonal: bool = False  # same hour-of-week over previous weeks as the baseline
    season_weeks: int = 3  # how many previous weeks
    difference: bool = False  # detect on first differences
    min_volume: float = 0.0  # points whose value and expected are both below this are never flagged
    min_pct_change: float = 0.2  # |value-expected|/max(expected,1) must exceed this too


def min_samples(config: AnomalyConfig) -> int:
    """Non-null points a rolling window needs before it gives a baseline: half of it (so a
    few nulls do not blank the band), at least 3."""
    return max(3, config.window // 2)


def since_first_value(frame: pl.DataFrame, by: str | None = None) -> pl.DataFrame:
    """`frame` (t, value; sorted by t within each `by` group) with the buckets before each
    series' first non-zero value missing (null).

    Before then there is nothing to learn from: an application, or an event, that began
    recently has zeros behind it that are no quiet spell. Against them its first traffic
    would be a spike and every point after an anomaly, and a forecast would aim at zero. As
    missing they are the detector's warm-up."""
    begun = (pl.col("value").fill_null(0) != 0).cast(pl.Int8).cum_max()
    if by is not None:
        begun = begun.over(by)
    return frame.with_columns(pl.when(begun.cast(pl.Boolean)).then(pl.col("value")).alias("value"))


def detect_anomalies(
    series: pl.DataFrame, config: AnomalyConfig = AnomalyConfig(), *, interval_s: int = 60
) -> pl.DataFrame:
    """Flag the unusual points of one series.

    `series`: columns `t` (Datetime, UTC) and `value` (numeric; nulls allowed), sorted by t,
    one row per bucket of `interval_s` seconds. Returns the same rows with `expected`,
    `lower`, `upper`, `score` (Float64), `anomaly` (Boolean) and `detector` (Utf8)."""
    keyed = series.with_columns(pl.lit(0, dtype=pl.Int8).alias(_KEY))
    return detect_anomalies_many(keyed, config, interval_s=interval_s, by=_KEY).drop(_KEY)


def detect_anomalies_many(
    frame: pl.DataFrame, config: AnomalyConfig = AnomalyConfig(), *, interval_s: int = 60, by: str = "series"
) -> pl.DataFrame:
    """`detect_anomalies` for many series at once: `frame` has a `by` column naming the
    series and is sorted by t within each series. Rows come back grouped by series (in
    their order of first appearance), each series' rows in their original order."""
    _check(config, interval_s)
    frame = _contiguous(frame, by)
    parts = [_detect(part.lazy(), config, interval_s, by) for part in _split(frame, by, pl.thread_pool_size())]
    # One plan per part, collected together: the rolling windows of different series run
    # on different cores (a rolling median over one column is single-threaded).
    return pl.concat(pl.collect_all(parts), rechunk=False)


def _check(config: AnomalyConfig, interval_s: int) -> None:
    if interval_s <= 0:
        raise ValueError("interval_s must be positive")
    if config.window < 2:
        raise ValueError("window must be at least 2 points")
    if config.sensitivity <= 0:
        raise ValueError("sensitivity must be positive")
    if config.season_weeks < 1:
        raise ValueError("season_weeks must be at least 1")


def _contiguous(frame: pl.DataFrame, by: str) -> pl.DataFrame:
    """Each series' rows together (a stable sort only when they are interleaved), because
    the windows below run along the whole column."""
    runs, series = frame.select(
        (pl.col(by).rle_id().max().fill_null(-1) + 1).alias("runs"), pl.col(by).n_unique().alias("series")
    ).row(0)
    return frame if runs == series else frame.sort(by, maintain_order=True)


def _split(frame: pl.DataFrame, by: str, parts: int) -> list[pl.DataFrame]:
    """About `parts` slices of similar size, cut only where a series starts."""
    if parts <= 1 or frame.height < MIN_ROWS_TO_SPLIT:
        return [frame]
    # Where a series starts (the first row aside): the only places a cut may go.
    starts = frame.select(pl.arg_where(pl.col(by) != pl.col(by).shift(1))).to_series().to_list()
    if not starts:
        return [frame]
    last = len(starts) - 1
    cuts = {starts[min(bisect.bisect_left(starts, frame.height * k // parts), last)] for k in range(1, parts)}
    bounds = sorted({0, frame.height, *cuts})
    return [frame.slice(a, b - a) for a, b in itertools.pairwise(bounds)]


def _same_series(by: str, rows_back: int) -> pl.Expr:
    """Whether the row `rows_back` rows earlier belongs to the same series (rows of a series
    are contiguous, so then every row in between does too)."""
    return (pl.col(by).shift(rows_back) == pl.col(by)).fill_null(False)


def _trailing_median(column: pl.Expr, config: AnomalyConfig) -> pl.Expr:
    """The median of the previous `window` values, the current one left out (the median
    ending one row earlier: shifting the result, not the input, keeps polars on its fast
    null-free path). Along the whole column: the caller masks the rows whose window starts
    before their series does."""
    return column.rolling_median(config.window, min_samples=min_samples(config)).shift(1)


def _seasonal_columns(frame: pl.LazyFrame, config: AnomalyConfig, interval_s: int, by: str) -> pl.LazyFrame:
    """Adds `_season_median` and `_season_n`: the median and count of `_x` in the same
    slot (t truncated to the bucket) 1..season_weeks weeks earlier, found by time, so a
    missing row cannot misalign the weeks."""
    frame = frame.with_columns(pl.col("t").dt.truncate(f"{interval_s}s").alias("_slot"))
    names = [f"_season_{week}" for week in range(1, config.season_weeks + 1)]
    for week, name in enumerate(names, start=1):
        earlier = frame.select(
            pl.col(by), (pl.col("_slot") + pl.duration(seconds=week * WEEK_S)).alias("_slot"), pl.col("_x").alias(name)
        ).unique([by, "_slot"], keep="first", maintain_order=True)
        frame = frame.join(earlier, on=[by, "_slot"], how="left", maintain_order="left")
    return frame.with_columns(
        pl.concat_list(names).list.median().alias("_season_median"),
        pl.sum_horizontal(pl.col(name).is_not_null() for name in names).alias("_season_n"),
    ).drop([*names, "_slot"])


def _detect(frame: pl.LazyFrame, config: AnomalyConfig, interval_s: int, by: str) -> pl.LazyFrame:
    """The detector over contiguous series. Windows run along the whole column (much faster
    than per-group windows); `_same_series` then blanks every row whose window reached back into
    the previous series: the baseline needs `window` earlier points of its own series (one
    more when differencing), the band `window` more."""
    lead = 1 if config.difference else 0
    value = pl.col("value").cast(pl.Float64).fill_nan(None)
    frame = frame.with_columns(value.alias("value"))
    # _x: what is detected on; _prev: what maps the baseline back onto values when differenced.
    if config.difference:
        previous = pl.col("value").shift(1)
        # A series' first row has no previous value of its own (shift crossed a boundary).
        difference = pl.when(_same_series(by, 1)).then(pl.col("value") - previous)
        frame = frame.with_columns(previous.alias("_prev"), difference.alias("_x"))
    else:
        frame = frame.with_columns(pl.lit(0.0).alias("_prev"), pl.col("value").alias("_x"))

    rolling_name = "rolling_mad" + ("+diff" if config.difference else "")
    frame = frame.with_columns(_trailing_median(pl.col("_x"), config).alias("_rolling"))
    warm = _same_series(by, config.window + lead)
    if config.seasonal:
        frame = _seasonal_columns(frame, config, interval_s, by)
        # Any earlier week will do: falling back to the rolling baseline for one row in
        # the middle of a seasonal series would judge it on the wrong scale.
        use_season = pl.col("_season_n") >= 1
        # The residual behind the scale may use a cold rolling baseline (see below).
        frame = frame.with_columns(
            pl.when(use_season).then(pl.col("_season_median")).otherwise(pl.col("_rolling")).alias("_raw_center"),
            pl.when(use_season).then(pl.col("_season_median")).when(warm).then(pl.col("_rolling")).alias("_center"),
            pl.when(use_season)
            .then(pl.lit("seasonal_mad" + ("+diff" if config.difference else "")))
            .otherwise(pl.lit(rolling_name))
            .alias("detector"),
        )
    else:
        frame = frame.with_columns(
            pl.col("_rolling").alias("_raw_center"),
            pl.when(warm).then(pl.col("_rolling")).alias("_center"),
            pl.lit(rolling_name).alias("detector"),
        )

    # Only residuals of warm rows ever reach a band that is not blanked, so the cold ones
    # need no mask; a missing baseline gives a residual of 0 rather than a null.
    residual = (pl.col("_x") - pl.col("_raw_center").fill_null(pl.col("_x"))).abs()
    band_warm = _same_series(by, 2 * config.window + lead)
    frame = frame.with_columns(
        (pl.col("_prev") + pl.col("_center")).alias("expected"),
        pl.when(band_warm).then(MAD_TO_SD * _trailing_median(residual, config)).alias("_mad"),
    )
    # clip, not max_horizontal: it keeps a null (cold) MAD null, and is many times faster.
    floor = (SCALE_FLOOR_FRACTION * pl.col("expected").abs()).clip(lower_bound=SCALE_FLOOR_ABS)
    frame = frame.with_columns(
        pl.col("_mad").clip(lower_bound=floor).alias("_scale"),
        (pl.col("value") - pl.col("expected")).alias("_change"),
    )
    frame = frame.with_columns((pl.col("_change") / pl.col("_scale")).alias("score"))
    big_enough = pl.col("_change").abs() / pl.col("expected").clip(lower_bound=1.0) > config.min_pct_change
    loud_enough = (pl.col("value") >= config.min_volume) | (pl.col("expected") >= config.min_volume)
    frame = frame.with_columns(
        (pl.col("expected") - config.sensitivity * pl.col("_scale")).alias("lower"),
        (pl.col("expected") + config.sensitivity * pl.col("_scale")).alias("upper"),
        ((pl.col("score").abs() >= config.sensitivity) & big_enough & loud_enough).fill_null(False).alias("anomaly"),
    )
    scratch = ["_prev", "_x", "_rolling", "_raw_center", "_center", "_mad", "_scale", "_change"]
    if config.seasonal:
        scratch += ["_season_median", "_season_n"]
    return frame.drop(scratch)


def baseline_seconds(config: AnomalyConfig, interval_s: int) -> int:
    """How much history before the first point the baseline wants, so the band is warm from
    the start: the rolling window and its scale window, or the seasonal weeks as well."""
    history = 2 * config.window * interval_s + (interval_s if config.difference else 0)
    if config.seasonal:
        history = max(history, config.season_weeks * WEEK_S + config.window * interval_s)
    return history


def explain(config: AnomalyConfig, interval_s: int) -> dict[str, Any]:
    """What the detector did, in words and numbers, for the API and the insight text."""
    detector = ("seasonal_mad" if config.seasonal else "rolling_mad") + ("+diff" if config.difference else "")
    window_s = config.window * interval_s
    text = f"median of the previous {config.window} points"
    if config.seasonal:
        text = (
            f"median of the same time of week over the previous {config.season_weeks} weeks "
            f"(the rolling {text} until a week of history exists)"
        )
    return {
        "detector": detector,
        "baseline": text,
        "baseline_window": config.window,
        "baseline_window_s": window_s,
        "interval_s": interval_s,
        "sensitivity": config.sensitivity,
        "seasonal": config.seasonal,
        "season_weeks": config.season_weeks if config.seasonal else None,
        "difference": config.difference,
        "min_volume": config.min_volume,
        "min_pct_change": config.min_pct_change,
        "band": f"expected +/- {config.sensitivity:g} * 1.4826 * MAD of the previous {config.window} residuals",
        "warmup_points": 2 * config.window + (1 if config.difference else 0),
    }
