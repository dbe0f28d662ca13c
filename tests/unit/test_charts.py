"""components.charts and components.panel: figures and words from hand-made frames."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from app.domain.analytics.schemas import PropertyFilter, QuerySpec
from components import charts
from components.panel import auto_title, describe, measure_text

T0 = datetime(2025, 3, 1, tzinfo=UTC)
TIME = pl.Datetime("ms", "UTC")


def _series(values: dict[str, list[float]], dtype: pl.DataType = pl.Int64()) -> pl.DataFrame:
    rows = [
        {"t": T0 + timedelta(hours=i), "series": label, "value": v}
        for label, vs in values.items()
        for i, v in enumerate(vs)
    ]
    return pl.DataFrame(rows, schema={"t": TIME, "series": pl.Utf8, "value": dtype})


def _totals(values: dict[str, float]) -> pl.DataFrame:
    return pl.DataFrame({"series": list(values), "value": list(values.values())})


@pytest.mark.parametrize("chart_type", ["line", "area", "bar"])
def test_series_figures_one_trace_per_series(chart_type: str) -> None:
    frame = _series({"a": [1, 2, 3], "b": [0, 0, 5]})
    figure = charts.figure(frame, chart_type, interval="hour", integral=True)
    json.dumps(figure)  # plain JSON all the way down
    assert [t["name"] for t in figure["data"]] == ["a", "b"]
    assert figure["data"][0]["x"] == ["2025-03-01 00:00:00", "2025-03-01 01:00:00", "2025-03-01 02:00:00"]
    assert figure["data"][1]["y"] == [0, 0, 5]
    assert figure["layout"]["showlegend"] is True
    assert figure["layout"]["xaxis"]["type"] == "date"
    expected_type = "bar" if chart_type == "bar" else "scatter"
    assert {t["type"] for t in figure["data"]} == {expected_type}
    if chart_type == "area":
        assert all(t.get("stackgroup") == "one" for t in figure["data"])
    if chart_type == "bar":
        assert figure["layout"]["barmode"] == "stack"


def test_averages_are_not_stacked_and_a_single_series_has_no_legend() -> None:
    frame = _series({"a": [1.5, 2.25]}, pl.Float64())
    figure = charts.figure(frame, "area", interval="day", integral=False)
    assert figure["data"][0]["fill"] == "tozeroy"
    assert "stackgroup" not in figure["data"][0]
    assert figure["layout"]["showlegend"] is False
    two = charts.figure(_series({"a": [1.5], "b": [2.0]}, pl.Float64()), "bar", interval="day", integral=False)
    assert two["layout"]["barmode"] == "group"
    sums = charts.figure(
        _series({"a": [1.5], "b": [2.0]}, pl.Float64()), "bar", interval="day", integral=False, stack=True
    )
    assert sums["layout"]["barmode"] == "stack"


def test_all_zero_charts_sit_on_the_axis() -> None:
    figure = charts.figure(_series({"a": [0, 0]}), "line", interval="minute", integral=True)
    assert figure["layout"]["yaxis"]["range"] == [0, 1]


def test_small_counts_tick_at_whole_numbers() -> None:
    small = charts.figure(_series({"a": [0, 1, 3]}), "line", interval="minute", integral=True)
    assert small["layout"]["yaxis"]["dtick"] == 1  # not 0.2 steps: "200m" events
    assert "range" not in small["layout"]["yaxis"]
    larger = charts.figure(_series({"a": [0, 1, 5]}), "line", interval="minute", integral=True)
    assert "dtick" not in larger["layout"]["yaxis"]
    averages = charts.figure(_series({"a": [0.2, 0.4]}, pl.Float64()), "line", interval="minute", integral=False)
    assert "dtick" not in averages["layout"]["yaxis"]


def test_big_numbers_and_tables() -> None:
    number = charts.figure(_totals({"signup": 1234}), "number", interval="day", integral=True)
    [indicator] = number["data"]
    assert (indicator["type"], indicator["value"], indicator["number"]["valueformat"]) == ("indicator", 1234, ",d")
    several = charts.figure(_totals({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}), "number", interval="day", integral=True)
    assert [t["title"]["text"] for t in several["data"]] == ["a", "b", "c", "d"]
    table = charts.figure(
        _totals({"/a": 10.5, "<b>": 2}), "table", interval="day", integral=False, label_heading="path"
    )
    [trace] = table["data"]
    assert trace["header"]["values"] == ["path", "Value"]
    assert trace["cells"]["values"] == [["/a", "&lt;b&gt;"], ["10.5", "2"]]
    with pytest.raises(ValueError, match="pie"):
        charts.figure(_totals({}), "pie", interval="day", integral=True)


def test_big_numbers_and_tables_beside_the_previous_period() -> None:
    before = _totals({"signup": 1000, "login": 0})
    number = charts.figure(
        _totals({"signup": 1250, "login": 7}), "number", interval="day", integral=True, previous=before
    )
    signup, login = number["data"]
    assert signup["mode"] == "number+delta"
    assert (signup["delta"]["reference"], signup["delta"]["relative"]) == (1000, True)
    assert signup["delta"]["suffix"] == " vs 1,000"  # the number it changed from, shown
    assert login["mode"] == "number"  # up from nothing: no percentage to show
    table = charts.figure(
        _totals({"/a": 12, "/b": 5, "/new": 1}),
        "table",
        interval="day",
        integral=True,
        label_heading="path",
        previous=_totals({"/a": 10, "/b": 5, "/gone": 3}),
    )
    [trace] = table["data"]
    assert trace["header"]["values"] == ["path", "Value", "Previous", "Change"]
    assert trace["cells"]["values"][2:] == [["10", "5", "0"], ["+20.0%", "no change", "new"]]
    assert charts.change_text(3, 4) == "-25.0%"


def test_a_line_beside_the_previous_period() -> None:
    now, before = _series({"signup": [3, 4, 5]}), _series({"signup": [1, 2, 2]})
    figure = charts.figure(now, "line", interval="hour", integral=True, previous=before)
    line, previous = figure["data"]
    assert previous["name"] == "Previous period"
    assert (previous["x"], previous["y"]) == (line["x"], [1, 2, 2])
    assert (previous["line"]["dash"], previous["meta"]) == ("dot", {"series": 0, "role": "previous"})
    assert figure["layout"]["showlegend"] is True
    # Beside several series (or stacked ones) it would only add noise: not drawn.
    several = _series({"a": [1, 2], "b": [3, 4]})
    drawn = charts.figure(several, "area", interval="hour", integral=True, previous=several)
    assert [t["name"] for t in drawn["data"]] == ["a", "b"]


def test_the_bucket_under_way_is_shaded_and_hovers_as_so_far() -> None:
    banded = charts.with_expected_band(
        charts.figure(_series({"signup": [3, 4, 1]}), "line", interval="hour", integral=True),
        _series({"signup": [3, 4, 1]}).with_columns(lower=pl.lit(1), upper=pl.lit(5)),
        integral=True,
    )
    end, now = T0 + timedelta(hours=3), T0 + timedelta(hours=2, minutes=10)
    figure = charts.with_bucket_under_way(banded, T0, end, "hour", now)
    json.dumps(figure)
    band_upper, _, line = figure["data"]
    assert line["hovertemplate"] == ["%{y:,d}<extra>signup</extra>"] * 2 + ["%{y:,d} so far<extra>signup</extra>"]
    assert band_upper["hovertemplate"] == banded["data"][0]["hovertemplate"]  # overlays keep theirs
    [shade] = figure["layout"]["shapes"]
    assert (shade["x0"], shade["x1"]) == ("2025-03-01 01:30:00", "2025-03-01 02:30:00")
    assert (shade["name"], shade["yref"]) == (charts.UNDER_WAY, "paper")
    assert [note["text"] for note in figure["layout"]["annotations"]] == ["so far"]
    # Stacked bars: each series' last bar says so.
    bars = charts.figure(_series({"a": [1, 2], "b": [3, 4]}), "bar", interval="hour", integral=True)
    marked = charts.with_bucket_under_way(bars, T0, T0 + timedelta(hours=2), "hour", T0 + timedelta(minutes=65))
    assert [t["hovertemplate"][-1] for t in marked["data"]] == [
        "%{y:,d} so far<extra>a</extra>",
        "%{y:,d} so far<extra>b</extra>",
    ]
    # A range over, or not begun: nothing under way.
    assert charts.with_bucket_under_way(bars, T0, T0 + timedelta(hours=2), "hour", T0 + timedelta(hours=2)) is bars
    assert charts.with_bucket_under_way(bars, T0, T0 + timedelta(hours=2), "hour", T0 - timedelta(hours=1)) is bars


def test_labels_from_event_data_are_escaped_for_plotly() -> None:
    figure = charts.figure(_series({"<img src=x onerror=alert(1)>": [1]}), "line", interval="hour", integral=True)
    assert "<img" not in figure["data"][0]["hovertemplate"]


def test_value_formats_and_summaries() -> None:
    assert charts.format_value(1234567, True) == "1,234,567"
    assert charts.format_value(12.5, False) == "12.5"
    assert charts.format_value(3.0, False) == "3"
    assert charts.summary(_series({"a": [1, 7, 2]}), "line", True) == "a: 3 points, total 10, highest 7, latest 2."
    assert charts.summary(_totals({"x": 3, "y": 1}), "table", True) == "x: 3; y: 1."
    assert charts.summary(_totals({}).clear(), "number", True) == "No data."


def test_panel_words() -> None:
    spec = QuerySpec(
        events=["checkout"],
        aggregation="p95",
        property="duration_ms",
        breakdown="region",
        breakdown_limit=3,
        filters=[PropertyFilter("status", "gt", 499), PropertyFilter("beta", "is_set")],
        interval="hour",
        range="7d",
    )
    assert measure_text(spec) == "95th percentile of duration_ms in checkout"
    assert auto_title(QuerySpec()) == "Count of all events"
    assert auto_title(QuerySpec(aggregation="unique_users", events=["a", "b"])) == "Unique users of a, b"
    assert describe(spec, "line") == (
        "Last 7 days · per hour · by region (top 3) · where status greater than 499 · where beta is set"
    )
    assert describe(spec, "number").startswith("Last 7 days · by region")
