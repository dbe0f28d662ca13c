"""The demo traffic generator: schema, determinism, seasonality, funnel, anomalies."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from app.domain.demo.profiles import PROFILES, SAAS, SHOP, Profile
from app.domain.demo.shape import OPENING_FACTOR, OPENING_MINUTES, session_rate, to_ms
from app.domain.demo.traffic import TrafficGenerator, anomalies, generate_events, generate_metrics
from app.domain.ingest.prepare import EVENT_SCHEMA, METRIC_SCHEMA

APP_ID = "00000000-0000-4000-8000-00000000000a"
ORG_ID = "00000000-0000-4000-8000-00000000000b"
# A Monday, 00:00 UTC.
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


def _events(profile: Profile, start: datetime, end: datetime) -> pl.DataFrame:
    frame = pl.from_arrow(generate_events(profile, APP_ID, ORG_ID, start, end))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _metrics(profile: Profile, start: datetime, end: datetime) -> pl.DataFrame:
    frame = pl.from_arrow(generate_metrics(profile, APP_ID, ORG_ID, start, end))
    assert isinstance(frame, pl.DataFrame)
    return frame


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.key)
def test_tables_match_the_ingest_schemas_and_the_range(profile: Profile) -> None:
    start, end = MONDAY + timedelta(hours=12), MONDAY + timedelta(hours=13)
    events = generate_events(profile, APP_ID, ORG_ID, start, end)
    metrics = generate_metrics(profile, APP_ID, ORG_ID, start, end)
    assert events.schema == EVENT_SCHEMA
    assert metrics.schema == METRIC_SCHEMA
    assert events.num_rows > 0
    assert metrics.num_rows > 0
    for table in (events, metrics):
        times = table.column("timestamp").to_pylist()
        assert min(times) >= start
        assert max(times) < end
        assert set(table.column("app_id").to_pylist()) == {APP_ID}
        assert len(set(table.column("uuid").to_pylist())) == table.num_rows
    properties = [json.loads(text) for text in events.column("properties").to_pylist()]
    assert all({"path", "browser", "country", "plan"} <= set(p) for p in properties)
    assert set(metrics.column("method").to_pylist()) <= {"GET", "POST"}


def test_same_seed_same_rows_however_the_range_is_split() -> None:
    start = MONDAY + timedelta(hours=9, minutes=30)
    end = start + timedelta(hours=2)
    whole = _events(SHOP, start, end)
    generator = TrafficGenerator(SHOP, APP_ID, ORG_ID)
    # The live loop's way: one slice a second (here a minute), from a kept generator.
    slices = [generator.events(start + timedelta(minutes=m), start + timedelta(minutes=m + 1)) for m in range(0, 120)]
    pieces = pl.concat([pl.from_arrow(s) for s in slices])  # type: ignore[misc]
    assert whole.sort("uuid").equals(pieces.sort("uuid"))
    assert (
        _metrics(SHOP, start, end)
        .sort("uuid")
        .equals(
            pl.concat(
                [
                    _metrics(SHOP, start, start + timedelta(minutes=47)),
                    _metrics(SHOP, start + timedelta(minutes=47), end),
                ]
            ).sort("uuid")
        )
    )
    other_seed = TrafficGenerator(SHOP, APP_ID, ORG_ID, seed=7).events(start, end)
    assert set(other_seed.column("uuid").to_pylist()).isdisjoint(whole["uuid"].to_list())


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.key)
def test_nights_are_quieter_than_days(profile: Profile) -> None:
    week = _events(profile, MONDAY, MONDAY + timedelta(days=7))
    by_hour = week.group_by(pl.col("timestamp").dt.hour().alias("hour")).len().sort("hour")["len"].to_numpy()
    night = by_hour[2:5].mean()  # 02:00-05:00 UTC
    busiest = by_hour.max()
    assert night * 3 < busiest


def test_weekly_seasonality_differs_per_profile() -> None:
    def weekend_share(profile: Profile) -> float:
        week = _events(profile, MONDAY, MONDAY + timedelta(days=7))
        return week.filter(pl.col("timestamp").dt.weekday() >= 6).height / week.height

    assert weekend_share(SAAS) < 2 / 7 < weekend_share(SHOP)  # B2B quiet at weekends, shopping busier


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.key)
def test_funnel_narrows_and_purchases_carry_revenue(profile: Profile) -> None:
    day = _events(profile, MONDAY, MONDAY + timedelta(days=1))
    counts = dict(day.group_by("event").len().iter_rows())
    assert counts["pageview"] > counts["signup"] > counts["purchase"] > 0
    visitors = day.filter(pl.col("event") == "pageview")["session_id"].n_unique()
    assert 0.01 < counts["signup"] / visitors < 0.1  # a few per cent of visitors sign up
    assert {"login", "search", "add_to_cart", "error"} <= set(counts)
    purchases = day.filter(pl.col("event") == "purchase")
    revenue = [json.loads(p)["revenue"] for p in purchases["properties"]]
    assert all(isinstance(r, float) and r > 0 for r in revenue)
    # Everyone who bought signed up first, in the same session (sessions begun before the
    # range, the first hour's purchases, may have signed up before it).
    signups = day.filter(pl.col("event") == "signup").select("session_id", pl.col("timestamp").alias("signed_up"))
    later = purchases.filter(pl.col("timestamp") >= MONDAY + timedelta(hours=1))
    joined = later.join(signups, on="session_id", how="left")
    assert joined["signed_up"].null_count() == 0
    assert (joined["timestamp"] > joined["signed_up"]).all()


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.key)
def test_endpoints_have_lognormal_latency_and_a_few_per_cent_5xx(profile: Profile) -> None:
    day = MONDAY + timedelta(days=1)
    quiet = [a for a in anomalies(profile, day, day + timedelta(days=1)) if a.kind == "latency"]
    metrics = _metrics(profile, day, day + timedelta(days=1))
    per_endpoint = metrics.group_by("method", "endpoint").agg(
        pl.len().alias("requests"),
        pl.col("duration_ms").median().alias("p50"),
        pl.col("duration_ms").quantile(0.95).alias("p95"),
        (pl.col("status_code") >= 500).mean().alias("server_errors"),
    )
    assert per_endpoint.height == len(profile.endpoints)
    assert (per_endpoint["p95"] > per_endpoint["p50"] * 1.5).all()  # a long tail
    if not quiet:
        assert 0.005 < (metrics["status_code"] >= 500).mean() < 0.03  # type: ignore[operator]
    assert (metrics["duration_ms"] > 0).all()


def test_anomalies_are_placed_a_few_per_month_and_every_kind_shows() -> None:
    start = MONDAY
    end = start + timedelta(days=30)
    for profile in PROFILES:
        placed = anomalies(profile, start, end)
        assert 3 <= len(placed) <= 6
        assert {a.kind for a in placed} == {"spike", "drop", "latency"}
        assert all(10 <= a.start.hour < 17 for a in placed)  # in the daytime, where they show
        assert placed == anomalies(profile, start, end)  # deterministic


@pytest.mark.parametrize(("kind", "low", "high"), [("spike", 2.0, 6.0), ("drop", 0.0, 0.4)])
def test_spikes_and_drops_show_in_the_counts(kind: str, low: float, high: float) -> None:
    for profile in PROFILES:
        anomaly = next(a for a in anomalies(profile, MONDAY, MONDAY + timedelta(days=60)) if a.kind == kind)
        during = _events(profile, anomaly.start, anomaly.end).height
        # Expected sessions without the anomaly, from the rate itself, against those with it.
        at = np.arange(anomaly.start_ms, anomaly.end_ms, 60_000)
        ratio = session_rate(profile, 20_260_101, at).sum() / session_rate(profile, 20_260_101, at, False).sum()
        assert ratio == pytest.approx(anomaly.factor, rel=1e-6)
        # Against the same hours a week earlier (another period, another anomaly time).
        week_before = _events(profile, anomaly.start - timedelta(days=7), anomaly.end - timedelta(days=7)).height
        assert low < during / week_before < high, (profile.key, during, week_before)


def test_latency_regressions_slow_one_endpoint() -> None:
    for profile in PROFILES:
        anomaly = next(a for a in anomalies(profile, MONDAY, MONDAY + timedelta(days=60)) if a.kind == "latency")
        method, path = (anomaly.endpoint or "").split(" ", 1)
        window = (anomaly.start, anomaly.end)
        hit = (pl.col("method") == method) & (pl.col("endpoint") == path)
        during = _metrics(profile, *window)
        before = _metrics(profile, anomaly.start - timedelta(days=1), anomaly.end - timedelta(days=1))
        slow = during.filter(hit)["duration_ms"].median() / before.filter(hit)["duration_ms"].median()  # type: ignore[operator]
        assert slow > 2, (profile.key, anomaly)
        others = during.filter(~hit)["duration_ms"].median() / before.filter(~hit)["duration_ms"].median()  # type: ignore[operator]
        assert 0.7 < others < 1.4


def test_an_application_opens_with_a_spike() -> None:
    # A quiet hour (weekly incidents fall in the daytime), on the hour: the hours before it are
    # drawn as without it.
    opening = MONDAY + timedelta(days=1, hours=2)
    window, before = (opening, opening + timedelta(minutes=30)), (opening - timedelta(minutes=30), opening)
    for profile in PROFILES:
        opened = dataclasses.replace(profile, opening_ms=to_ms(opening))
        assert anomalies(opened, *before) == []
        [spike] = anomalies(opened, *window)
        assert (spike.kind, spike.start, spike.factor) == ("spike", opening, OPENING_FACTOR)
        assert spike.end - spike.start == timedelta(minutes=OPENING_MINUTES)
        # (Sessions begun before it still send their events at the usual rate.)
        assert _events(opened, *window).height > 2 * _events(profile, *window).height
        assert _events(opened, *before).equals(_events(profile, *before))
