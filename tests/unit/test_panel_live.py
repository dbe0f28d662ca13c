"""How a dashboard panel stays live: which events refresh it, how often, and the time a live
refresh asks its results to be newer than."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.analytics.schemas import FunnelSpec, QuerySpec, RetentionSpec
from app.domain.dashboards.panel_runs import REFRESH_HEADER, refreshed_after
from components.panel import RETENTION_GAP_S, live_events, live_gap_s

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(("range_name", "gap"), [("15m", 3), ("1h", 3), ("24h", 10), ("7d", 30), ("30d", 60)])
def test_the_longer_the_range_the_rarer_the_refresh(range_name: str, gap: int) -> None:
    assert live_gap_s(QuerySpec(range=range_name), "line", NOW) == gap


def test_a_range_that_ended_is_not_live_and_one_that_ends_later_is() -> None:
    ended = QuerySpec(date_from=NOW - timedelta(days=2), date_to=NOW - timedelta(days=1))
    assert live_gap_s(ended, "number", NOW) is None
    running = QuerySpec(date_from=NOW - timedelta(hours=1), date_to=NOW + timedelta(hours=1))
    assert live_gap_s(running, "number", NOW) == 3


def test_retention_reads_weeks_whatever_its_range() -> None:
    spec = QuerySpec(range="15m", retention=RetentionSpec(start_event="signup", return_event="*"))
    assert live_gap_s(spec, "retention", NOW) == RETENTION_GAP_S
    assert live_events(spec, "retention") == "*"


def test_the_events_that_change_a_panel() -> None:
    assert live_events(QuerySpec(events=["signup", "purchase"]), "line") == "signup purchase"
    assert live_events(QuerySpec(), "number") == "*"
    funnel = QuerySpec(funnel=FunnelSpec(steps=["pageview", "signup"]))
    assert live_events(funnel, "funnel") == "pageview signup"


def test_the_refresh_header_is_a_time_no_later_than_now() -> None:
    past = datetime.now(UTC) - timedelta(seconds=30)
    assert refreshed_after({REFRESH_HEADER: past.isoformat().replace("+00:00", "Z")}) == pytest.approx(past.timestamp())
    future = refreshed_after({REFRESH_HEADER: (datetime.now(UTC) + timedelta(days=1)).isoformat()})
    assert future is not None
    assert future <= datetime.now(UTC).timestamp()
    for header in (None, "", "soon", "2026-11-27T09:30:00"):  # no offset: not a moment
        assert refreshed_after({REFRESH_HEADER: header} if header is not None else {}) is None
