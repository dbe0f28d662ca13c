"""A panel with nothing to show says so in words, and what to try next, instead of a chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from app.domain.analytics.funnels import FunnelQuery, FunnelResult
from app.domain.analytics.schemas import PropertyFilter, TrendQuery
from app.domain.analytics.service import TrendResult
from app.domain.dashboards.views import panel_body
from components import charts

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SPAN = timedelta(hours=4)


def _hourly(values: list[int], series: str = "pageview") -> pl.DataFrame:
    times = [T0 + timedelta(hours=h) for h in range(len(values))]
    return pl.DataFrame({"t": times, "series": [series] * len(values), "value": values}).with_columns(
        pl.col("t").cast(pl.Datetime("ms", "UTC"))
    )


def _query(**fields: object) -> TrendQuery:
    defaults: dict[str, object] = {"events": ("pageview",), "interval": "hour", "date_from": T0, "date_to": T0 + SPAN}
    return TrendQuery(app_id="a", org_id="o", **(defaults | fields))  # type: ignore[arg-type]


def test_a_chart_of_nothing_but_zeros_says_nothing_was_found() -> None:
    body = panel_body(TrendResult(_query(), "events", _hourly([0, 0, 0, 0])), "line")
    assert body["empty"] == {
        "text": "No pageview events in this range.",
        "hint": "They show here within seconds of being sent.",
        "filtered": False,
    }
    assert body["note"] is None
    assert panel_body(TrendResult(_query(), "events", _hourly([0, 2, 0, 0])), "line")["empty"] is None


def test_with_filters_it_names_them_and_suggests_another() -> None:
    filters = (PropertyFilter(property="plan", value="pro"), PropertyFilter(property="price", operator="gt", value=20))
    query = _query(events=("signup", "purchase"), filters=filters)
    body = panel_body(TrendResult(query, "events", _hourly([], "signup")), "bar")
    assert body["empty"] == {
        "text": "No signup or purchase events where plan is pro and price greater than 20 in this range.",
        "hint": "Try a longer range or another filter.",
        "filtered": True,
    }


def test_a_property_aggregation_speaks_of_its_values() -> None:
    query = _query(events=("purchase",), aggregation="sum", property="revenue")
    frame = _hourly([0, 0, 0, 0], "purchase").with_columns(pl.col("value").cast(pl.Float64))
    body = panel_body(TrendResult(query, "events", frame), "table")
    assert body["empty"]["text"] == "No revenue values in purchase events in this range."


def test_a_big_number_of_zero_is_an_answer_and_a_previous_period_is_something_to_show() -> None:
    totals = pl.DataFrame({"series": ["pageview"], "value": [0]})
    assert panel_body(TrendResult(_query(mode="total"), "events", totals), "number")["empty"] is None
    earlier = _query(date_from=T0 - SPAN, date_to=T0)
    before = TrendResult(earlier, "events", _hourly([3, 0, 1, 0]).with_columns(pl.col("t") - SPAN))
    body = panel_body(TrendResult(_query(), "events", _hourly([0, 0, 0, 0])), "line", None, before)
    assert body["empty"] is None


def test_a_funnel_nobody_entered() -> None:
    query = FunnelQuery(app_id="a", org_id="o", date_from=T0, date_to=T0 + SPAN, steps=("pageview", "signup"))
    frame = pl.DataFrame(
        {
            "step": [1, 2],
            "event": ["pageview", "signup"],
            "users": [0, 0],
            "conversion": [0.0, 0.0],
            "step_conversion": [0.0, 0.0],
            "dropped": [0, 0],
        }
    )
    body = panel_body(FunnelResult(query, frame), "funnel")
    assert body["empty"] == {
        "text": "Nobody did pageview in this range.",
        "hint": "Try a longer range or other steps.",
        "filtered": False,
    }
    entered = frame.with_columns(pl.Series("users", [5, 2]))
    assert panel_body(FunnelResult(query, entered), "funnel")["empty"] is None


def test_a_chart_whose_range_is_still_running_marks_its_bucket_under_way() -> None:
    now = datetime.now(UTC)
    start = now.replace(minute=0, second=0, microsecond=0)
    running = _query(date_from=start - timedelta(hours=3), date_to=start + timedelta(hours=1))
    frame = _hourly([5, 6, 7, 2]).with_columns(pl.col("t") + (start - timedelta(hours=3) - T0))
    body = panel_body(TrendResult(running, "events", frame), "line")
    [shade] = body["figure"]["layout"]["shapes"]
    assert shade["x0"] == (start - timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M:%S")
    assert body["summary"].endswith("The last hour is still under way.")
    # A range over, or a big number, has nothing under way.
    over = panel_body(TrendResult(_query(), "events", _hourly([5, 6, 7, 2])), "line")
    assert "shapes" not in over["figure"]["layout"]
    totals = pl.DataFrame({"series": ["pageview"], "value": [20]})
    assert "shapes" not in panel_body(TrendResult(running, "events", totals), "number")["figure"]["layout"]


def test_the_bucket_marked_under_way_is_the_one_filling_when_the_rows_were_read() -> None:
    """A result drawn later (from the cache) still marks the bucket it was read in."""
    frame = _hourly([4, 3, 5, 1])
    read_mid_range = TrendResult(_query(), "events", frame, read_at=T0 + timedelta(hours=3, minutes=10))
    body = panel_body(read_mid_range, "line")
    assert [shape["name"] for shape in body["figure"]["layout"].get("shapes", [])] == [charts.UNDER_WAY]
    assert body["summary"].endswith("The last hour is still under way.")
    # The same range read after it ended: nothing under way, whenever it is drawn.
    read_after = TrendResult(_query(), "events", frame, read_at=T0 + SPAN + timedelta(minutes=1))
    assert "shapes" not in panel_body(read_after, "line")["figure"]["layout"]
