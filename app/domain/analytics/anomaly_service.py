"""The anomalies API's I/O side: run the timeseries query with enough history before the
range for a warm baseline, then hand the frame to the pure detector (anomaly.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
import polars as pl

from app.domain.analytics import service, timerange
from app.domain.analytics.anomaly import AnomalyConfig, baseline_seconds, detect_anomalies, explain, since_first_value
from app.domain.analytics.forecast import forecast
from app.domain.analytics.schemas import TrendQuery
from app.engines.clickhouse import AnalyticsStore

INTERVAL_S = {"minute": 60, "hour": 3_600, "day": 86_400}
# Per interval, what a person would call normal: the last hour of minutes; the same hour of
# the week over the last three weeks (traffic has a weekly rhythm at that grain); the last
# four weeks of days.
CONFIGS = {
    "minute": AnomalyConfig(window=60),
    "hour": AnomalyConfig(window=48, seasonal=True, season_weeks=3),
    "day": AnomalyConfig(window=28),
}


class AnomalyPoint(msgspec.Struct):
    t: datetime
    value: float | int
    # None while the baseline is still warming up (not enough history before this point).
    expected: float | None
    lower: float | None
    upper: float | None
    score: float | None
    anomaly: bool


class Anomalies(msgspec.Struct):
    """`GET /v1/applications/{id}/anomalies` (API.md "Queries"), plus how it was decided."""

    interval: str
    points: list[AnomalyPoint]
    explanation: dict[str, Any]


def config_for(interval: str) -> AnomalyConfig:
    return CONFIGS[interval]


def with_history(query: TrendQuery, config: AnomalyConfig) -> TrendQuery:
    """The same question starting early enough that the first asked-for point has a baseline."""
    history = timedelta(seconds=baseline_seconds(config, INTERVAL_S[query.interval]))
    return msgspec.structs.replace(query, date_from=query.date_from - history)


async def detect(store: AnalyticsStore, query: TrendQuery, config: AnomalyConfig | None = None) -> pl.DataFrame:
    """The query's one series (t, value) with the detector's columns, over the query's range."""
    config = config or config_for(query.interval)
    result = await service.run(store, with_history(query, config))
    series = result.frame.filter(pl.col("series") == result.frame["series"].first()).select("t", "value")
    begun = since_first_value(series)
    detected = detect_anomalies(begun, config, interval_s=INTERVAL_S[query.interval]).with_columns(series["value"])
    # Counts stay whole numbers in the answer, as the timeseries route gives them.
    return detected.filter(pl.col("t") >= query.date_from).with_columns(
        pl.col("value").cast(series.schema["value"]),
        pl.col("expected", "lower", "upper", "score").round(6),
    )


async def anomalies(store: AnalyticsStore, query: TrendQuery, now: datetime) -> Anomalies:
    """The API's answer. The bucket still filling up at `now` keeps its band but is never
    flagged: a partial count would always look like a drop."""
    config = config_for(query.interval)
    still_filling = pl.col("t") + pl.duration(seconds=INTERVAL_S[query.interval]) > now
    frame = (await detect(store, query, config)).with_columns(pl.col("anomaly") & ~still_filling)
    fields = [field.name for field in msgspec.structs.fields(AnomalyPoint)]
    points = [AnomalyPoint(**row) for row in frame.select(fields).iter_rows(named=True)]
    return Anomalies(interval=query.interval, points=points, explanation=explain(config, INTERVAL_S[query.interval]))


# A panel's forecast reaches this share of its range past the end, within these bounds.
FORECAST_SHARE = 0.25
FORECAST_POINTS = (1, 168)


@dataclass(frozen=True)
class Overlays:
    """What a line or area panel draws over its series: anomaly.detect_anomalies' frame
    and forecast.forecast's, each None when not asked for (or nothing to draw)."""

    detected: pl.DataFrame | None = None
    predicted: pl.DataFrame | None = None


async def overlays(
    store: AnalyticsStore, result: service.TrendResult, *, anomalies: bool, forecast_ahead: bool, now: datetime
) -> Overlays:
    """The band and flags, and the forecast, for a panel's one series. Only whole buckets
    are judged: the bucket still filling up would always look like a drop. Several series
    (a breakdown, several events) get none: one band per line would hide the lines."""
    query = result.query
    if query.mode != "series" or result.frame["series"].n_unique() != 1:
        return Overlays()
    complete = msgspec.structs.replace(query, date_to=min(query.date_to, timerange.floor(now, query.interval)))
    if complete.date_to <= complete.date_from:
        return Overlays()
    detected = await detect(store, complete) if anomalies else None
    predicted = None
    if forecast_ahead:
        # Fit on the history the band is judged against, not the range alone: a 24-hour panel
        # has 23 whole hours, too few to forecast from and blind to the weekly rhythm. (With
        # the band on, this is the query detect() just ran: service.run's cache answers it.)
        history = await service.run(store, with_history(complete, config_for(query.interval)))
        series = since_first_value(history.frame.filter(pl.col("t") < complete.date_to).select("t", "value"))
        shown = result.frame.filter(pl.col("t") < complete.date_to).height
        low, high = FORECAST_POINTS
        horizon = min(max(int(shown * FORECAST_SHARE), low), high)  # a share of what the panel shows
        predicted = forecast(series, horizon, interval_s=INTERVAL_S[query.interval])
    return Overlays(detected=detected, predicted=predicted)
