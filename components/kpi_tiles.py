"""View model of the application overview's KPI tiles (drawn by components/kpi.html): each
figure, its window, and how it compares with the same window yesterday, so a product manager
sees at a glance whether now is a usual moment."""

from __future__ import annotations

from typing import Any

from app.domain.analytics.kpis import Kpis


def tiles(kpis: Kpis) -> list[dict[str, Any]]:
    now, then = kpis.now, kpis.yesterday
    return [
        _tile("kpi-events-per-min", "Events per minute", now.events_per_min, then.events_per_min, "last 60 seconds"),
        _tile("kpi-active-users", "Active users", now.active_users_5m, then.active_users_5m, "last 5 minutes"),
        _tile("kpi-events-today", "Events today", now.events_today, then.events_today, "since 00:00 UTC"),
        {
            "id": "kpi-error-rate",
            "label": "Error rate",
            "value": _rate(now.error_rate),
            "delta": _points(now.error_rate, then.error_rate),
            "hint": _hint("5xx share, last hour", None if then.error_rate is None else _rate(then.error_rate)),
            "good": "down",
        },
        {
            "id": "kpi-p95",
            "label": "p95 response time",
            "value": _ms(now.p95_ms),
            "delta": _percent(now.p95_ms, then.p95_ms),
            "hint": _hint("last hour", None if then.p95_ms is None else _ms(then.p95_ms)),
            "good": "down",
        },
    ]


def _tile(tile_id: str, label: str, now: int, then: int, window: str) -> dict[str, Any]:
    """A count: its change in percent from yesterday's (none from nothing)."""
    return {
        "id": tile_id,
        "label": label,
        "value": f"{now:,}",
        "delta": _percent(now, then),
        "hint": _hint(window, f"{then:,}" if then else None),
        "good": "up",
    }


def _hint(window: str, yesterday: str | None) -> str:
    return window if yesterday is None else f"{window} · yesterday {yesterday}"


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
