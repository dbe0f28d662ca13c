"""components.kpi_tiles: each tile against the same window yesterday."""

from __future__ import annotations

from app.domain.analytics.kpis import Figures, Kpis
from components.kpi_tiles import tiles


def _kpis(now: Figures, yesterday: Figures) -> dict[str, dict[str, object]]:
    drawn = tiles(Kpis(now=now, yesterday=yesterday, last_received_at=None, delay_p95_s=None))
    return {tile["id"]: tile for tile in drawn}


def test_changes_from_yesterday() -> None:
    drawn = _kpis(Figures(1_500, 30, 12_000, 0.021, 250.0), Figures(1_000, 40, 12_000, 0.009, 200.0))
    assert (drawn["kpi-events-per-min"]["value"], drawn["kpi-events-per-min"]["delta"]) == ("1,500", 50.0)
    assert drawn["kpi-events-per-min"]["hint"] == "last 60 seconds · yesterday 1,000"
    assert drawn["kpi-active-users"]["delta"] == -25.0
    assert drawn["kpi-events-today"]["delta"] == 0.0  # the macro shows no arrow
    assert (drawn["kpi-error-rate"]["value"], drawn["kpi-error-rate"]["delta"]) == ("2.1%", "+1.2 pt")
    assert drawn["kpi-error-rate"]["hint"] == "5xx share, last hour · yesterday 0.9%"
    assert (drawn["kpi-p95"]["delta"], drawn["kpi-p95"]["good"]) == (25.0, "down")


def test_nothing_to_compare_with_says_nothing() -> None:
    drawn = _kpis(Figures(5, 2, 7, None, None), Figures(0, 0, 0, None, None))
    assert {tile["delta"] for tile in drawn.values()} == {None}
    assert drawn["kpi-events-today"]["hint"] == "since 00:00 UTC"
    assert (drawn["kpi-error-rate"]["value"], drawn["kpi-p95"]["value"]) == ("—", "—")
    # A share unchanged to a tenth of a point: no sign, so no arrow.
    same = _kpis(Figures(1, 1, 1, 0.05, 10.0), Figures(1, 1, 1, 0.0502, 10.0))
    assert same["kpi-error-rate"]["delta"] == "0.0 pt"
