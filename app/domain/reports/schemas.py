"""Report shapes: `GET /v1/applications/{id}/report` returns `Report` as JSON."""

from __future__ import annotations

from datetime import datetime

import msgspec


class ReportKpis(msgspec.Struct):
    events: int
    users: int
    sessions: int
    events_per_user: float | None
    # Change against the previous period of the same length, as a fraction (0.1 = +10%).
    events_change: float | None
    users_change: float | None
    requests: int
    error_rate: float | None  # share of requests answered 5xx
    p95_ms: float | None


class DailyPoint(msgspec.Struct):
    date: str  # YYYY-MM-DD (UTC)
    events: int
    users: int


class TopEvent(msgspec.Struct):
    event: str
    events: int
    users: int
    share: float  # of all events in the period


class Anomaly(msgspec.Struct):
    t: datetime
    value: float
    expected: float
    score: float
    direction: str  # spike | drop


class ForecastPoint(msgspec.Struct):
    t: datetime
    forecast: float
    lower: float
    upper: float


class ReportInsight(msgspec.Struct):
    id: str
    type: str
    severity: str
    title: str
    status: str
    created_at: datetime
    resolved_at: datetime | None


class Report(msgspec.Struct):
    app_id: str
    app_name: str
    date_from: datetime
    date_to: datetime
    generated_at: datetime
    kpis: ReportKpis
    daily: list[DailyPoint]
    top_events: list[TopEvent]
    anomalies: list[Anomaly]
    forecast: list[ForecastPoint]
    insights: list[ReportInsight]
