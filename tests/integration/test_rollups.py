"""The hourly rollups (migrations 0008 and 0010) answer the panels they are chosen for with
the same numbers as the events they summarise."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar

from app.domain.analytics import queries
from app.domain.analytics.schemas import PropertyFilter, TrendQuery
from tests.integration.analytics_data import day_start, event, insert_events

PATHS = ("/checkout", "/pricing", "/")
COUNTRIES = ("DE", "FR", "US", "BR")


async def _rows(store: Any, query: TrendQuery, source: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    compiled = queries.build(query, source)
    table = await store.query_arrow(compiled.sql, compiled.params)
    return compiled.source, sorted(table.to_pylist(), key=lambda row: (row.get("t"), str(row.get("series"))))


@pytest.fixture
async def app_events(started_app: Litestar) -> tuple[str, str]:
    """Two days of pageviews, carts and signups by a handful of users, and a neighbour
    application. Prices are multiples of 1/4, so sums are exact in any order."""
    app_id, org_id = str(uuid.uuid4()), str(uuid.uuid4())
    start = day_start(2)
    rows = [
        event(
            ("signup", "add_to_cart", "pageview", "pageview")[i % 4],
            start + timedelta(minutes=7 * i),
            user=f"u{i % 13}",
            properties={
                "path": PATHS[i % 3],
                "country": COUNTRIES[i % 4] if i % 5 else "",
                "browser": "Firefox" if i % 2 else "Safari",
                **({"price": (i % 37) * 2.25, "quantity": i % 3} if i % 4 == 1 else {}),
                **({"price": "n/a"} if i % 4 == 0 else {}),  # not a number: left out of price aggregates
            },
        )
        for i in range(2 * 24 * 60 // 7)
    ]
    await insert_events(started_app, app_id, org_id, rows)
    neighbour = [
        event("pageview", start + timedelta(minutes=i), properties={"path": "/checkout", "price": 1}) for i in range(50)
    ]
    await insert_events(started_app, str(uuid.uuid4()), org_id, neighbour)
    return app_id, org_id


def _query(app_id: str, org_id: str, **spec: Any) -> TrendQuery:
    start = day_start(2)
    return TrendQuery(app_id=app_id, org_id=org_id, date_from=start, date_to=start + timedelta(days=2), **spec)


CART = ("add_to_cart",)


@pytest.mark.parametrize(
    ("spec", "source"),
    [
        ({"interval": "hour"}, queries.TOTALS),
        ({"interval": "day", "aggregation": "unique_users"}, queries.TOTALS),
        ({"interval": "hour", "aggregation": "unique_users", "mode": "total"}, queries.TOTALS),
        ({"interval": "hour", "events": ("pageview", "signup")}, queries.ROLLUP),
        ({"interval": "day", "events": ("signup",), "aggregation": "unique_users"}, queries.ROLLUP),
        (
            {
                "events": ("pageview",),
                "interval": "hour",
                "filters": (PropertyFilter(property="path", operator="eq", value="/checkout"),),
            },
            queries.DIMS,
        ),
        ({"events": ("pageview",), "interval": "hour", "breakdown": "country", "breakdown_limit": 3}, queries.DIMS),
        (
            {
                "interval": "day",
                "aggregation": "unique_users",
                "breakdown": "browser",
                "filters": (
                    PropertyFilter(property="path", operator="contains", value="CHECK"),
                    PropertyFilter(property="country", operator="neq", value="FR"),
                ),
                "mode": "total",
            },
            queries.DIMS,
        ),
        ({"events": CART, "interval": "hour", "aggregation": "sum", "property": "price"}, queries.NUMBERS),
        ({"events": CART, "interval": "day", "aggregation": "avg", "property": "price"}, queries.NUMBERS),
        ({"events": CART, "interval": "hour", "aggregation": "p50", "property": "price"}, queries.NUMBERS),
        ({"events": CART, "interval": "day", "aggregation": "p95", "property": "price"}, queries.NUMBERS),
        ({"interval": "day", "aggregation": "sum", "property": "quantity"}, queries.NUMBERS),
        ({"events": ("add_to_cart", "pageview"), "aggregation": "p95", "property": "price"}, queries.NUMBERS),
    ],
    ids=[
        "all events per hour",
        "unique users per day",
        "unique users total",
        "two events",
        "one event's users",
        "path filter",
        "country breakdown",
        "browser breakdown with filters",
        "price sum",
        "price average",
        "price median",
        "price p95 per day",
        "quantity of all events",
        "p95 of two events",
    ],
)
async def test_each_rollup_answers_as_the_events_do(
    started_app: Litestar, app_events: tuple[str, str], spec: dict[str, Any], source: str
) -> None:
    store = started_app.state.engines.clickhouse
    query = _query(*app_events, **spec)
    chosen, answered = await _rows(store, query)
    assert chosen == source
    assert answered, "the panel has data"
    assert answered == (await _rows(store, query, queries.EVENTS))[1]


async def test_ranges_off_the_hour_read_the_rows(started_app: Litestar, app_events: tuple[str, str]) -> None:
    """Minutes cannot be answered from hourly rows: the same panel by minute, from half past
    an hour, reads the events."""
    store = started_app.state.engines.clickhouse
    start = day_start(2) + timedelta(minutes=30)
    query = TrendQuery(
        app_id=app_events[0],
        org_id=app_events[1],
        date_from=start,
        date_to=start + timedelta(hours=3),
        events=("pageview",),
        interval="minute",
        breakdown="path",
        breakdown_limit=3,
    )
    source, answered = await _rows(store, query)
    assert source == queries.EVENTS
    assert answered
