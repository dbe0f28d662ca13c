"""A dashboard viewed over one range: what each panel then asks, and what the picker accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.core.errors import ApiError
from app.domain.analytics.schemas import QuerySpec, RetentionSpec
from app.domain.dashboards.ranges import chosen, viewed_over
from app.domain.dashboards.schemas import Panel

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def _panel(chart_type: str = "line", **query: Any) -> Panel:
    return Panel(
        id="p",
        dashboard_id="d",
        title="",
        chart_type=chart_type,
        query=QuerySpec(**query),
        width=6,
        height=4,
        position=0,
        created_at=NOW,
        updated_at=NOW,
    )


def test_no_choice_is_the_panel_as_saved() -> None:
    panel = _panel(range="24h")
    assert viewed_over(panel, None) is panel


@pytest.mark.parametrize(
    ("interval", "range_name", "expected"),
    [
        ("hour", "7d", "hour"),  # 168 points: kept
        ("day", "30d", "day"),
        ("minute", "24h", "minute"),  # 1,440 points still fit a chart
        ("minute", "7d", "hour"),  # 10,080 do not: the range's usual interval
        ("day", "1h", "minute"),  # one point is not a chart
        ("day", "24h", "hour"),
    ],
)
def test_the_interval_is_kept_where_it_fits_the_range(interval: str, range_name: str, expected: str) -> None:
    viewed = viewed_over(_panel(interval=interval, range="24h", events=["signup"]), range_name)  # type: ignore[arg-type]
    assert viewed.query.range == range_name
    assert viewed.query.interval == expected
    assert viewed.query.events == ["signup"]  # the question is otherwise the same


def test_a_pinned_range_gives_way() -> None:
    pinned = _panel(interval="day", date_from=NOW - timedelta(days=60), date_to=NOW - timedelta(days=30))
    viewed = viewed_over(pinned, "7d")
    assert (viewed.query.date_from, viewed.query.date_to, viewed.query.range) == (None, None, "7d")


def test_retention_keeps_its_weeks() -> None:
    panel = _panel("retention", retention=RetentionSpec(start_event="signup", return_event="*", weeks=6))
    assert viewed_over(panel, "7d") is panel


def test_the_picker_accepts_the_ranges_or_nothing() -> None:
    assert chosen(None) is None
    assert chosen("") is None
    assert chosen("30d") == "30d"
    with pytest.raises(ApiError) as refused:
        chosen("2w")
    assert refused.value.status_code == 400
