"""The pure half of a report: query results (polars frames, rows) → the Report's parts.

No I/O here; service.py fetches, these functions shape. Anomalies and the forecast come
from the analytics package, over the hourly event series.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import msgspec
import polars as pl

from app.domain.analytics.anomaly import AnomalyConfig, detect_anomalies
from app.domain.analytics.forecast import forecast
from app.domain.reports.schemas import Anomaly, DailyPoint, ForecastPoint, ReportKpis, TopEvent

HOUR_S = 3600
# A day of hours as the baseline; quiet hours (under 5 events) are never called unusual.
ANOMALY_CONFIG = AnomalyConfig(window=24, min_volume=5.0)
FORECAST_HOURS = 24


def _change(current: int, previous: int) -> float | None:
    return (current - previous) / previous if previous else None


def kpis(events: dict[str, Any], performance: dict[str, Any]) -> ReportKpis:
    """The tiles; a period without traffic gives None (not a fake 0%) for ratios."""
    requests = int(performance["requests"])
    p95 = performance["p95_ms"]
    return ReportKpis(
        events=int(events["events"]),
        users=int(events["users"]),
        sessions=int(events["sessions"]),
        events_per_user=events["events"] / events["users"] if events["users"] else None,
        events_change=_change(int(events["events"]), int(events["previous_events"])),
        users_change=_change(int(events["users"]), int(events["previous_users"])),
        requests=requests,
        error_rate=performance["server_errors"] / requests if requests else None,
        p95_ms=float(p95) if requests and p95 == p95 else None,  # NaN: no requests
    )


def daily(frame: pl.DataFrame, start: datetime, end: datetime) -> list[DailyPoint]:
    """One point per UTC day of the period, zeros where nothing happened."""
    counts = {
        (row["date"] if isinstance(row["date"], date) else date.fromisoformat(str(row["date"]))): row
        for row in frame.iter_rows(named=True)
    }
    points = []
    day = start.date()
    while datetime(day.year, day.month, day.day, tzinfo=start.tzinfo) < end:
        row = counts.get(day)
        points.append(DailyPoint(day.isoformat(), int(row["events"]) if row else 0, int(row["users"]) if row else 0))
        day += timedelta(days=1)
    return points


def top_events(frame: pl.DataFrame, total: int) -> list[TopEvent]:
    return [
        TopEvent(row["event"], int(row["events"]), int(row["users"]), row["events"] / total if total else 0.0)
        for row in frame.iter_rows(named=True)
    ]


def complete_hours(series: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """Drop the hour still in progress (and any after it): half an hour looks like a drop."""
    return series.filter(pl.col("t") + pl.duration(seconds=HOUR_S) <= now)


def anomalies(series: pl.DataFrame, start: datetime) -> list[Anomaly]:
    """Unusual hours inside the period (`series` may start earlier, to give the baseline history)."""
    # Hours before the application's first event are "not yet sending", not quiet: left in,
    # the first day of real traffic would read as a day-long spike against a baseline of 0.
    started = series.filter(pl.col("value").fill_null(0).cum_sum() > 0)
    if started.height == 0:
        return []
    flagged = detect_anomalies(started.select("t", "value"), ANOMALY_CONFIG, interval_s=HOUR_S)
    rows = flagged.filter(pl.col("anomaly") & (pl.col("t") >= start)).iter_rows(named=True)
    return [
        Anomaly(
            t=row["t"],
            value=float(row["value"]),
            expected=float(row["expected"]),
            score=float(row["score"]),
            direction="spike" if row["value"] > row["expected"] else "drop",
        )
        for row in rows
    ]


def forecast_points(series: pl.DataFrame) -> list[ForecastPoint]:
    """The next day, hour by hour; empty when the history is too short to fit."""
    if series.height == 0:
        return []
    frame = forecast(series.select("t", "value"), FORECAST_HOURS, interval_s=HOUR_S)
    return msgspec.convert(frame.to_dicts(), list[ForecastPoint])
