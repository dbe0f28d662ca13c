"""View models for dashboard panels: their titles and a plain description of their query."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.domain.analytics.funnels import WINDOW_LABELS
from app.domain.analytics.schemas import ALL_EVENTS, PropertyFilter, QuerySpec
from app.domain.analytics.timerange import RANGE_LABELS
from app.domain.dashboards.panel_runs import panel_app_id

AGGREGATION_LABELS = {
    "count": "Count",
    "unique_users": "Unique users",
    "sum": "Sum",
    "avg": "Average",
    "p50": "Median (p50)",
    "p95": "95th percentile",
}
INTERVAL_LABELS = {"minute": "per minute", "hour": "per hour", "day": "per day"}
OPERATOR_LABELS = {
    "eq": "is",
    "neq": "is not",
    "contains": "contains",
    "gt": "greater than",
    "lt": "less than",
    "is_set": "is set",
}
CHART_LABELS = {
    "line": "Line",
    "area": "Area",
    "bar": "Bars",
    "number": "Big number",
    "table": "Table",
    "funnel": "Funnel",
    "retention": "Retention",
}


def events_text(spec: QuerySpec) -> str:
    if spec.events == [ALL_EVENTS]:
        return "all events"
    return ", ".join(spec.events)


def measure_text(spec: QuerySpec) -> str:
    """ "Count of signup", "Average of duration_ms in checkout"."""
    if spec.funnel is not None:
        return "Funnel: " + " → ".join(spec.funnel.steps)
    if spec.retention is not None:
        start, back = (
            "any event" if name == ALL_EVENTS else name
            for name in (spec.retention.start_event, spec.retention.return_event)
        )
        return f"Retention: {start} → {back}"
    events = events_text(spec)
    if spec.aggregation == "count":
        return f"Count of {events}"
    if spec.aggregation == "unique_users":
        return f"Unique users of {events}"
    return f"{AGGREGATION_LABELS[spec.aggregation]} of {spec.property} in {events}"


def auto_title(spec: QuerySpec) -> str:
    return measure_text(spec)


def panel_title(panel: Any) -> str:
    """What a panel is called where it is shown: its own title, or what it counts."""
    return str(panel.title or auto_title(panel.query))


def describe(spec: QuerySpec, chart_type: str) -> str:
    """One line under a panel's title: range, buckets, breakdown and filters."""
    range_text = "Fixed range" if spec.date_from is not None else RANGE_LABELS[spec.range]
    parts = [range_text]
    if chart_type == "funnel" and spec.funnel is not None:
        parts.append(f"within {WINDOW_LABELS[spec.funnel.window]}")
    elif chart_type == "retention" and spec.retention is not None:
        parts = [f"Last {spec.retention.weeks} weeks, by first-seen week"]
    elif chart_type not in ("number", "table"):
        parts.append(INTERVAL_LABELS[spec.interval])
    if spec.breakdown:
        parts.append(f"by {spec.breakdown} (top {spec.breakdown_limit})")
    parts.extend(f"where {filter_text(item)}" for item in spec.filters)
    return " · ".join(parts)


def filter_text(item: PropertyFilter) -> str:
    """ "plan is pro", "price greater than 20", "coupon is set"."""
    value = "" if item.operator == "is_set" else f" {item.text_value()}"
    return f"{item.property} {OPERATOR_LABELS[item.operator]}{value}"


# How soon after new events a live panel is fetched again, by its range: a chart of the last
# minutes moves with every burst; one of weeks would redraw the same picture. Retention
# ignores the range and reads weeks of history: the slowest.
LIVE_GAP_S = {"15m": 3, "1h": 3, "24h": 10, "7d": 30, "30d": 60, "90d": 60}
RETENTION_GAP_S = 60


def live_gap_s(spec: QuerySpec, chart_type: str, now: datetime) -> int | None:
    """Seconds between live refreshes at most; None for a panel whose range ended before now
    (new events never change it)."""
    if spec.date_to is not None and spec.date_to <= now:
        return None
    if chart_type == "retention":
        return RETENTION_GAP_S
    return LIVE_GAP_S["1h" if spec.date_to is not None else spec.range]


def live_events(spec: QuerySpec, chart_type: str) -> str:
    """The event names whose arrival changes the panel, space separated; "*" for any."""
    if chart_type == "funnel" and spec.funnel is not None:
        names = list(spec.funnel.steps)
    elif chart_type == "retention" and spec.retention is not None:
        names = [spec.retention.start_event, spec.retention.return_event]
    else:
        names = list(spec.events)
    return ALL_EVENTS if ALL_EVENTS in names else " ".join(names)


def live_settings(spec: QuerySpec, chart_type: str, now: datetime) -> dict[str, Any]:
    """What static/js/live-panels.js needs of a panel besides its application (see
    components/panel.html and the embed widget)."""
    return {"live_gap": live_gap_s(spec, chart_type, now), "live_events": live_events(spec, chart_type)}


def panel_view(panel: Any, dashboard: dict[str, Any], now: datetime | None = None, over: str = "") -> dict[str, Any]:
    """What the panel card shows around its (lazily loaded) chart, and what keeps it live:
    the application whose events refresh it, which events, and how often at most. With
    `over` (how the dashboard is looked at, as a URL's end: viewing.Viewing.suffix; `panel` is
    already asked that way), its chart, CSV and tools keep it."""
    base = f"/dashboards/{dashboard['id']}/panels/{panel.id}"
    live = live_settings(panel.query, panel.chart_type, now or datetime.now(UTC))
    return {
        "id": panel.id,
        "title": panel_title(panel),
        "subtitle": (measure_text(panel.query) + " · " if panel.title else "")
        + describe(panel.query, panel.chart_type),
        "chart_type": panel.chart_type,
        "width": panel.width,
        "height": panel.height,
        "url": base,
        "over": over,
        "body_url": base + over,
        "csv_url": f"/v1/dashboards/{dashboard['id']}/panels/{panel.id}/data.csv" + over,
        "live_app": panel_app_id(dashboard, panel.query) if live["live_gap"] is not None else None,
        **live,
    }
