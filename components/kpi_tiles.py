"""View model of the application overview's KPI tiles (drawn by components/kpi.html): each
figure, its window, and how it compares with the same window yesterday, so a product manager
sees at a glance whether now is a usual moment."""

from __future__ import annotations

from typing import Any

from app.domain.analytics.kpis import Kpis


def tiles(kpis: Kpis) -> list[dict[str, Any]]:
    now, then = kpis.now, kpis.yesterday
    return [
        _count_tile(
            "kpi-events-per-min", "Events per minute", "last 60 seconds", now.events_per_min, then.events_per_min
        ),
        _count_tile("kpi-active-users", "Active users", "last 5 minutes", now.active_users_5m, then.active_users_5m),
        _count_tile("kpi-events-today", "Events today", "since 00:00 UTC", now.events_today, then.events_today),
        _tile(
            "kpi-error-rate",
            "Error rate",
            "5xx share, last hour",
            _rate(now.error_rate),
            None if then.error_rate is None else _rate(then.error_rate),
            _points(now.error_rate, then.error_rate),
            good="down",
        ),
        _tile(
            "kpi-p95",
            "p95 response time",
            "last hour",
            _ms(now.p95_ms),
            None if then.p95_ms is None else _ms(then.p95_ms),
            _percent(now.p95_ms, then.p95_ms),
            good="down",
        ),
    ]


def _count_tile(tile_id: str, label: str, window: str, now: int, then: int) -> dict[str, Any]:
    """A count: its change in percent from yesterday's (none from nothing)."""
    return _tile(tile_id, label, window, f"{now:,}", f"{then:,}" if then else None, _percent(now, then))


def _tile(
    tile_id: str,
    label: str,
    window: str,
    value: str,
    yesterday: str | None,
    delta: float | str | None,
    good: str = "up",
) -> dict[str, Any]:
    """One tile as components/kpi.html's kpi() takes it; `yesterday` is the figure then, as
    shown (None: nothing to compare with), `delta` the change from it."""
    return {
        "id": tile_id,
        "label": label,
        "value": value,
        "delta": delta,
        "hint": window if yesterday is None else f"{window} · yesterday {yesterday}",
        "good": good,
    }


def _percent(now: float | None, then: float | None) -> float | None:
    """Change in percent, to a tenth (so a change too small to show reads as none)."""
    if now is None or not then:
        return None
    return round((now - then) / then * 100, 1)


def _points(now: float | None, then: float | None) -> str | None:
    """Change of a share in percentage points: "+1.2 pt", "0.0 pt" (no arrow)."""
    if now is None or then is None:
        return None
    change = round((now - then) * 100, 1)
    return f"{change:+.1f} pt" if change else "0.0 pt"


def _rate(share: float | None) -> str:
    return "—" if share is None else f"{share:.1%}"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"
