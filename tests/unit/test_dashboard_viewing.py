"""How a dashboard is looked at: what each panel then asks, and what the page accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import pytest

from app.core.errors import ApiError
from app.domain.analytics.schemas import PropertyFilter, QuerySpec, RetentionSpec
from app.domain.dashboards.schemas import Panel
from app.domain.dashboards.viewing import Fixed, Relative, Viewing, chosen, viewed_over, viewing

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
    viewed = viewed_over(_panel(interval=interval, range="24h", events=["signup"]), Relative(range_name))  # type: ignore[arg-type]
    assert viewed.query.range == range_name
    assert viewed.query.interval == expected
    assert viewed.query.events == ["signup"]  # the question is otherwise the same


def test_a_pinned_range_gives_way() -> None:
    pinned = _panel(interval="day", date_from=NOW - timedelta(days=60), date_to=NOW - timedelta(days=30))
    viewed = viewed_over(pinned, Relative("7d"))
    assert (viewed.query.date_from, viewed.query.date_to, viewed.query.range) == (None, None, "7d")


def test_retention_keeps_its_weeks() -> None:
    panel = _panel("retention", retention=RetentionSpec(start_event="signup", return_event="*", weeks=6))
    assert viewed_over(panel, Relative("7d")) is panel
    assert viewed_over(panel, Fixed(NOW - timedelta(days=3), NOW)) is panel


def test_the_picker_accepts_the_ranges_or_nothing() -> None:
    assert chosen(None) is None
    assert chosen("") is None
    assert chosen("30d") == Relative("30d")
    assert chosen("30d").query == "range=30d"  # type: ignore[union-attr]
    with pytest.raises(ApiError) as refused:
        chosen("2w")
    assert refused.value.status_code == 400


@pytest.mark.parametrize(
    ("days", "interval", "expected"),
    [
        (7, "hour", "hour"),  # 168 points: kept
        (3, "minute", "hour"),  # 4,320 minutes do not fit: three days read like a week, per hour
        (0.5, "day", "hour"),  # half a day per day is one point: like the last 24 hours, per hour
        (0.02, "hour", "minute"),  # half an hour reads like the last hour: per minute
        (60, "hour", "hour"),  # 1,440 points still fit a chart
        (200, "hour", "day"),  # 4,800 do not; longer than every named range: per day
    ],
)
def test_fixed_times_pin_every_panel(days: float, interval: str, expected: str) -> None:
    start, end = NOW - timedelta(days=days), NOW
    viewed = viewed_over(_panel(interval=interval, range="24h"), Fixed(start, end))
    assert (viewed.query.date_from, viewed.query.date_to) == (start, end)
    assert viewed.query.interval == expected


def test_the_picker_reads_fixed_times_as_utc() -> None:
    # A datetime-local field sends no offset: UTC, as the picker says; RFC 3339 too.
    view = chosen("custom", "2026-11-20T08:00", "2026-11-27T08:00:00Z")
    assert view == Fixed(datetime(2026, 11, 20, 8, tzinfo=UTC), datetime(2026, 11, 27, 8, tzinfo=UTC))
    assert view.query == "from=2026-11-20T08%3A00%3A00Z&to=2026-11-27T08%3A00%3A00Z"  # type: ignore[union-attr]
    assert chosen(None, "2026-11-20T08:00:00+02:00", "2026-11-21T00:00:00Z") == Fixed(
        datetime(2026, 11, 20, 6, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("range_value", "date_from", "date_to"),
    [
        ("custom", None, None),  # custom, but no times
        ("custom", "2026-11-20T08:00", None),
        ("7d", "2026-11-20T08:00", "2026-11-21T08:00"),  # both kinds at once
        ("custom", "2026-11-21T08:00", "2026-11-20T08:00"),  # reversed
        ("custom", "last tuesday", "2026-11-20T08:00"),
    ],
)
def test_the_picker_refuses_unclear_times(range_value: str, date_from: str | None, date_to: str | None) -> None:
    with pytest.raises(ApiError) as refused:
        chosen(range_value, date_from, date_to)
    assert refused.value.status_code == 400


def test_the_page_reads_how_the_dashboard_is_looked_at() -> None:
    assert viewing({}) == Viewing()
    assert viewing({}).query == ""
    looking = viewing({"range": "7d", "compare": "1", "where": " plan ", "is": "pro"})
    assert (looking.view, looking.compare) == (Relative("7d"), True)
    assert (looking.where.property, looking.where.operator, looking.where.value) == ("plan", "eq", "pro")  # type: ignore[union-attr]
    assert looking.query == "range=7d&compare=1&where=plan&is=pro"
    assert viewing({"range": "", "where": "", "is": ""}) == Viewing()  # the form's empty fields


@pytest.mark.parametrize(
    ("params", "expected", "query"),
    [
        ({"where": "plan", "op": "neq", "is": "free"}, ("neq", "free"), "where=plan&op=neq&is=free"),
        ({"where": "path", "op": "contains", "is": "check"}, ("contains", "check"), "where=path&op=contains&is=check"),
        ({"where": "price", "op": "gt", "is": "20"}, ("gt", "20"), "where=price&op=gt&is=20"),
        ({"where": "coupon", "op": "is_set", "is": "left in the field"}, ("is_set", None), "where=coupon&op=is_set"),
        ({"where": "plan", "op": "", "is": "pro"}, ("eq", "pro"), "where=plan&is=pro"),  # "is", the form's default
    ],
)
def test_a_filter_compares_as_asked(params: dict[str, str], expected: tuple[str, str | None], query: str) -> None:
    looking = viewing(params)
    assert looking.where is not None
    assert (looking.where.operator, looking.where.value) == expected
    assert looking.query == query
    assert viewing(dict(parse_qsl(query))) == looking  # the URL it makes reads back the same


def test_a_comparison_chosen_alone_filters_nothing() -> None:
    assert viewing({"where": "", "op": "neq", "is": ""}) == Viewing()
    assert viewing({"where": "", "op": "is_set"}) == Viewing()


def test_a_filter_joins_every_panels_own() -> None:
    own = [PropertyFilter(property="path", operator="eq", value="/")]
    panel = _panel(range="24h", filters=own)
    looked = viewing({"where": "plan", "is": "pro"}).applied(panel)
    assert [(f.property, f.value) for f in looked.query.filters] == [("path", "/"), ("plan", "pro")]
    assert viewing({}).applied(panel) is panel


@pytest.mark.parametrize(
    "params",
    [
        {"where": "plan"},  # no value
        {"is": "pro"},  # no property
        {"where": "p" * 201, "is": "x"},  # longer than any property name
        {"compare": "perhaps"},
        {"where": "plan", "op": "like", "is": "pro"},  # no such comparison
        {"where": "price", "op": "gt", "is": "cheap"},  # gt and lt compare numbers
        {"where": "plan", "op": "neq"},  # no value
        {"range": "2w"},
    ],
)
def test_the_page_refuses_unclear_looks(params: dict[str, str]) -> None:
    with pytest.raises(ApiError) as refused:
        viewing(params)
    assert refused.value.status_code == 400
