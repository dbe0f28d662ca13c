"""Funnels: the SQL (snapshot, bound values), the spec's rules, and the conversion shaping
and figure on hand-made frames."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import polars as pl
import pytest

from app.domain.analytics import funnels
from app.domain.analytics.schemas import PropertyFilter, QuerySpec
from components import funnel as funnel_view
from tests.unit.test_analytics_sql import APP, ORG, T0, _render

SNAPSHOTS = Path(__file__).parent / "snapshots" / "analytics"
STEPS = ("pageview", "signup", "purchase")


def _query(**fields: object) -> funnels.FunnelQuery:
    base: dict[str, object] = {
        "app_id": APP,
        "org_id": ORG,
        "date_from": T0,
        "date_to": T0 + timedelta(days=7),
        "steps": STEPS,
        "window": "1d",
    }
    return funnels.FunnelQuery(**{**base, **fields})  # type: ignore[arg-type]


CASES = {
    "funnel_three_steps_1d": _query(),
    "funnel_two_steps_1h_with_filters": _query(
        steps=("signup", "purchase"),
        window="1h",
        filters=(PropertyFilter("plan", "eq", "pro"), PropertyFilter("path", "contains", "/pricing")),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_funnel_sql_snapshot(name: str) -> None:
    rendered = _render(funnels.build(CASES[name]))
    path = SNAPSHOTS / f"{name}.sql"
    if os.environ.get("NEXUS_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.write_text(rendered)
    assert rendered == path.read_text(), f"SQL for {name} changed; see {path}"


def test_steps_window_and_filters_are_bound_never_spliced() -> None:
    hostile = "x') OR 1=1; DROP TABLE events; --"
    compiled = funnels.build(_query(steps=(hostile, "b"), filters=(PropertyFilter(hostile, "eq", hostile),)))
    assert "DROP" not in compiled.sql
    assert hostile in compiled.params.values()
    assert compiled.params["window_ms"] == 86_400_000
    for name in compiled.params:
        assert "{" + name + ":" in compiled.sql
    # Each step's condition is its own bound name, in order.
    assert "event = {event_0:String}, event = {event_1:String})" in compiled.sql


@pytest.mark.parametrize(
    ("funnel", "message"),
    [
        ({"steps": ["pageview"]}, "length >= 2"),
        ({"steps": [f"e{i}" for i in range(9)]}, "length <= 8"),
        ({"steps": ["a", "a"]}, "different event"),
        ({"steps": ["a", " "]}, "blank"),
        ({"steps": ["*", "a"]}, "cannot be a step"),
        ({"steps": ["a", "b"], "window": "3d"}, "Invalid enum value"),
        ({"steps": ["a", "b"], "extra": 1}, "unknown field"),
    ],
)
def test_bad_funnels_are_refused(funnel: dict[str, object], message: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=message):
        msgspec.convert({"funnel": funnel}, QuerySpec)


def test_resolve_keeps_the_panel_range_and_filters() -> None:
    now = datetime(2025, 3, 10, 12, 30, tzinfo=UTC)
    spec = msgspec.convert(
        {
            "range": "7d",
            "interval": "day",
            "filters": [{"property": "plan", "value": "pro"}],
            "funnel": {"steps": [" pageview ", "signup"], "window": "7d"},
        },
        QuerySpec,
    )
    query = funnels.resolve(spec, APP, ORG, now)
    assert query.steps == ("pageview", "signup")
    assert query.window == "7d"
    # The last 7 days to the hour, whatever interval the spec carries (a funnel has no buckets).
    assert (query.date_from, query.date_to) == (
        datetime(2025, 3, 3, 13, tzinfo=UTC),
        datetime(2025, 3, 10, 13, tzinfo=UTC),
    )
    assert query.filters == (PropertyFilter("plan", "eq", "pro"),)
    assert query.cache_key() != funnels.resolve(spec, APP, ORG, now + timedelta(hours=1)).cache_key()
    # "Last 24 hours" is that, not today so far; the last hour is aligned to the minute.
    day = funnels.resolve(msgspec.structs.replace(spec, range="24h"), APP, ORG, now)
    assert (day.date_from, day.date_to) == (datetime(2025, 3, 9, 13, tzinfo=UTC), datetime(2025, 3, 10, 13, tzinfo=UTC))
    hour = funnels.resolve(msgspec.structs.replace(spec, range="1h"), APP, ORG, now)
    assert (hour.date_from, hour.date_to) == (
        datetime(2025, 3, 10, 11, 31, tzinfo=UTC),
        datetime(2025, 3, 10, 12, 31, tzinfo=UTC),
    )


def test_conversion_counts_people_who_reached_each_step() -> None:
    # Deepest step per person: 3 stopped at step 1, 2 at step 2, 5 finished.
    levels = pl.DataFrame({"level": [1, 2, 3], "users": [3, 2, 5]}, schema={"level": pl.UInt8, "users": pl.UInt64})
    frame = funnels.conversion(levels, STEPS)
    assert frame.to_dicts() == [
        {"step": 1, "event": "pageview", "users": 10, "conversion": 100.0, "step_conversion": 100.0, "dropped": 0},
        {"step": 2, "event": "signup", "users": 7, "conversion": 70.0, "step_conversion": 70.0, "dropped": 3},
        {"step": 3, "event": "purchase", "users": 5, "conversion": 50.0, "step_conversion": 71.43, "dropped": 2},
    ]
    assert funnels.overall_conversion(frame) == 50.0


def test_conversion_fills_steps_nobody_reached_and_empty_funnels() -> None:
    frame = funnels.conversion(pl.DataFrame({"level": [1], "users": [4]}), STEPS)
    assert frame["users"].to_list() == [4, 0, 0]
    assert frame["step_conversion"].to_list() == [100.0, 0.0, 0.0]
    empty = funnels.conversion(
        pl.DataFrame({"level": [], "users": []}, schema={"level": pl.UInt8, "users": pl.UInt64}), STEPS
    )
    assert empty["users"].to_list() == [0, 0, 0]
    assert empty["conversion"].to_list() == [0.0, 0.0, 0.0]
    assert funnel_view.summary(empty, "1 day") == "Funnel: nobody did the first step in this range."


def test_funnel_figure_and_words() -> None:
    frame = funnels.conversion(pl.DataFrame({"level": [1, 2, 3], "users": [3, 2, 5]}), ("pageview", "<b>x</b>", "buy"))
    figure = funnel_view.figure(frame)
    [trace] = figure["data"]
    assert trace["type"] == "funnel"
    assert trace["x"] == [10, 7, 5]
    assert trace["y"] == ["1. pageview", "2. &lt;b&gt;x&lt;/b&gt;", "3. buy"]
    assert trace["text"][2] == "5 · 50%<br>71.43% of previous"
    msgspec.json.encode(figure)  # JSON-serialisable for the template
    summary = funnel_view.summary(frame, "1 day")
    assert summary.startswith("Funnel within 1 day: pageview: 10 people (100%)")
    assert summary.endswith("Overall conversion 50%.")
    assert funnel_view.view(frame, "1 day") == {"overall": "50%", "window": "1 day", "entered": "10", "completed": "5"}
