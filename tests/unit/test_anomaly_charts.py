"""components.charts overlays: the expected band, flagged points and a forecast on a line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from app.domain.analytics.anomaly import AnomalyConfig, detect_anomalies
from app.domain.analytics.forecast import forecast
from components import charts

T0 = datetime(2025, 3, 3, tzinfo=UTC)


def _hourly(values: list[float]) -> pl.DataFrame:
    return pl.DataFrame(
        {"t": [T0 + timedelta(hours=i) for i in range(len(values))], "series": "pageview", "value": values},
        schema={"t": pl.Datetime("ms", "UTC"), "series": pl.Utf8, "value": pl.Float64},
    )


def _line(frame: pl.DataFrame) -> charts.Figure:
    return charts.figure(frame, "line", interval="hour", integral=True)


def _detected(frame: pl.DataFrame) -> pl.DataFrame:
    return detect_anomalies(frame.select("t", "value"), AnomalyConfig(window=12), interval_s=3600)


def _values() -> list[float]:
    values = list(100 + np.random.default_rng(9).normal(0, 3, 72).round())
    values[60] = 200.0
    return values


def test_band_goes_under_the_series_in_its_colour() -> None:
    frame = _hourly(_values())
    detected = _detected(frame)
    figure = charts.with_expected_band(_line(frame), detected, integral=True)
    upper, lower, series = figure["data"]
    assert [upper["meta"], lower["meta"]] == [{"series": 0, "role": "band"}] * 2
    assert lower["fill"] == "tonexty"
    assert "fill" not in upper
    assert series["name"] == "pageview"
    assert series["meta"] == {"series": 0}  # keeps the first colour though no longer the first trace
    warm = detected.filter(pl.col("upper").is_not_null())
    assert upper["y"] == warm["upper"].to_list()
    assert lower["x"][0] == warm["t"][0].strftime("%Y-%m-%d %H:%M:%S")
    assert figure["layout"]["showlegend"] is True
    json.dumps(figure, allow_nan=False)  # what the page embeds must be strict JSON


def test_flagged_points_get_markers_and_a_clean_series_gets_none() -> None:
    frame = _hourly(_values())
    detected = _detected(frame)
    figure = charts.with_anomalies(_line(frame), detected, integral=True)
    markers = figure["data"][-1]
    assert markers["mode"] == "markers"
    assert markers["meta"] == {"role": "anomaly"}
    assert markers["x"] == [(T0 + timedelta(hours=60)).strftime("%Y-%m-%d %H:%M:%S")]
    assert markers["y"] == [200.0]
    json.dumps(figure, allow_nan=False)

    calm = _hourly([100.0] * 72)
    plain = _line(calm)
    assert charts.with_anomalies(plain, _detected(calm), integral=True) == plain


def test_forecast_continues_the_line_dashed_with_its_range() -> None:
    h = np.arange(24 * 10)
    frame = _hourly(list(100 + 30 * np.sin(2 * np.pi * h / 24)))
    predicted = forecast(frame.select("t", "value"), 24, interval_s=3600)
    figure = charts.with_forecast(_line(frame), predicted, integral=True)
    names = [trace["name"] for trace in figure["data"]]
    assert names == ["Forecast range (upper)", "Forecast range", "pageview", "Forecast"]
    line = figure["data"][-1]
    assert line["line"]["dash"] == "dash"
    assert line["x"][0] == (T0 + timedelta(hours=240)).strftime("%Y-%m-%d %H:%M:%S")
    assert len(line["y"]) == 24
    assert figure["data"][1]["fill"] == "tonexty"
    json.dumps(figure, allow_nan=False)
    assert charts.with_forecast(_line(frame), predicted.head(0), integral=True) == _line(frame)


def test_overlays_combine() -> None:
    frame = _hourly(_values())
    detected = _detected(frame)
    figure = charts.with_anomalies(
        charts.with_expected_band(_line(frame), detected, integral=True), detected, integral=True
    )
    assert [trace["name"] for trace in figure["data"]] == [
        "Expected range (upper)",
        "Expected range",
        "pageview",
        "Anomaly",
    ]


def test_a_panel_says_when_a_forecast_has_too_little_to_go_on() -> None:
    from app.domain.analytics.anomaly_service import Overlays
    from app.domain.analytics.schemas import TrendQuery
    from app.domain.analytics.service import TrendResult
    from app.domain.dashboards.views import panel_body

    frame = _hourly(_values())
    query = TrendQuery(app_id="a", org_id="o", date_from=T0, date_to=T0 + timedelta(hours=72), interval="hour")
    result = TrendResult(query=query, source="events", frame=frame)
    predicted = forecast(frame.select("t", "value"), 6, interval_s=3600)
    assert panel_body(result, "line", Overlays(predicted=predicted))["note"] is None
    body = panel_body(result, "line", Overlays(predicted=predicted.head(0)))
    assert body["note"] == "No forecast yet: fewer than 24 hours have a value to learn from."
    assert [trace["name"] for trace in body["figure"]["data"]] == ["pageview"]
    assert panel_body(result, "line")["note"] is None  # not asked for
    # A band asked for where the detector has no baseline yet: nothing drawn, and the panel says why.
    cold = _detected(frame).with_columns(
        pl.lit(None, pl.Float64).alias("lower"), pl.lit(None, pl.Float64).alias("upper")
    )
    body = panel_body(result, "line", Overlays(detected=cold.with_columns(pl.lit(False).alias("anomaly"))))
    assert body["note"] == "No expected range yet: the series is too new to know what is usual."
    assert [trace["name"] for trace in body["figure"]["data"]] == ["pageview"]


def test_a_panel_beside_the_previous_period() -> None:
    from app.domain.analytics.anomaly_service import Overlays
    from app.domain.analytics.schemas import TrendQuery
    from app.domain.analytics.service import TrendResult
    from app.domain.dashboards.views import panel_body

    span = timedelta(hours=72)
    query = TrendQuery(app_id="a", org_id="o", date_from=T0, date_to=T0 + span, interval="hour")
    earlier = TrendQuery(app_id="a", org_id="o", date_from=T0 - span, date_to=T0, interval="hour")
    now = TrendResult(query=query, source="events", frame=_hourly(_values()))
    before = _hourly([v / 2 for v in _values()]).with_columns(pl.col("t") - span)
    body = panel_body(now, "line", Overlays(detected=_detected(now.frame)), TrendResult(earlier, "events", before))
    names = [trace["name"] for trace in body["figure"]["data"]]
    assert names[:4] == ["Expected range (upper)", "Expected range", "pageview", "Previous period"]
    previous = next(t for t in body["figure"]["data"] if t["name"] == "Previous period")
    assert previous["x"][0] == "2025-03-03 00:00:00"  # moved onto this period's times
    assert previous["y"][0] == _values()[0] / 2
    assert body["note"] is None
    assert "Previous period: pageview: 72 points" in body["summary"]
    # Several series: left as they are, and the panel says why.
    two = pl.concat([now.frame, now.frame.with_columns(pl.lit("signup").alias("series"))])
    body = panel_body(TrendResult(query, "events", two), "line", None, TrendResult(earlier, "events", before))
    assert body["note"] == "No comparison on a chart of several series: it would hide them."
    assert [trace["name"] for trace in body["figure"]["data"]] == ["pageview", "signup"]


def test_a_series_begins_at_its_first_value() -> None:
    from app.domain.analytics.anomaly import since_first_value

    frame = _hourly([0, 0, 0, 4, 0, 5]).select("t", "value")
    assert since_first_value(frame)["value"].to_list() == [None, None, None, 4, 0, 5]
    assert since_first_value(frame.head(3))["value"].to_list() == [None, None, None]
