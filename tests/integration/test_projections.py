"""The hourly projections (migration 0005) answer the panels they were made for, with the
same numbers as the rows they summarise."""

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


async def _plan(store: Any, compiled: queries.CompiledQuery) -> str:
    table = await store.query_arrow("EXPLAIN projections = 1 " + compiled.sql, compiled.params)
    return "\n".join(table.column(0).to_pylist())


async def _rows(store: Any, compiled: queries.CompiledQuery, *, projections: bool) -> list[dict[str, Any]]:
    sql = compiled.sql + ("" if projections else "\nSETTINGS optimize_use_projections = 0")
    table = await store.query_arrow(sql, compiled.params)
    return sorted(table.to_pylist(), key=lambda row: (row["t"], str(row.get("series"))))


@pytest.fixture
async def app_events(started_app: Litestar) -> tuple[str, str]:
    """Two days of pageviews and signups by a handful of users, and a neighbour application."""
    app_id, org_id = str(uuid.uuid4()), str(uuid.uuid4())
    start = day_start(2)
    rows = [
        event(
            "pageview" if i % 4 else "signup",
            start + timedelta(minutes=7 * i),
            user=f"u{i % 13}",
            properties={"path": PATHS[i % 3], "country": COUNTRIES[i % 4], "browser": "Firefox"},
        )
        for i in range(2 * 24 * 60 // 7)
    ]
    await insert_events(started_app, app_id, org_id, rows)
    neighbour = [event("pageview", start + timedelta(minutes=i), properties={"path": "/checkout"}) for i in range(50)]
    await insert_events(started_app, str(uuid.uuid4()), org_id, neighbour)
    return app_id, org_id


def _query(app_id: str, org_id: str, **spec: Any) -> TrendQuery:
    start = day_start(2)
    return TrendQuery(app_id=app_id, org_id=org_id, date_from=start, date_to=start + timedelta(days=2), **spec)


@pytest.mark.parametrize(
    ("spec", "projection"),
    [
        (
            {
                "events": ("pageview",),
                "interval": "hour",
                "filters": (PropertyFilter(property="path", operator="eq", value="/checkout"),),
            },
            "hourly_dims",
        ),
        ({"events": ("pageview",), "interval": "hour", "breakdown": "country", "breakdown_limit": 3}, "hourly_dims"),
        ({"interval": "hour", "aggregation": "unique_users"}, "all_events"),
        ({"interval": "day"}, "all_events"),
    ],
    ids=["path filter", "country breakdown", "unique users", "count per day"],
)
async def test_projection_answers_as_the_rows_do(
    started_app: Litestar, app_events: tuple[str, str], spec: dict[str, Any], projection: str
) -> None:
    store = started_app.state.engines.clickhouse
    compiled = queries.build(_query(*app_events, **spec))
    assert f"ReadFromMergeTree ({projection})" in await _plan(store, compiled)
    answered = await _rows(store, compiled, projections=True)
    assert answered, "the panel has data"
    assert answered == await _rows(store, compiled, projections=False)


async def test_ranges_off_the_hour_read_the_rows(started_app: Litestar, app_events: tuple[str, str]) -> None:
    """Minutes cannot be answered from hourly counts: the same panel by minute, from half
    past an hour, reads the rows."""
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
    compiled = queries.build(query)
    assert "hourly_dims" not in await _plan(store, compiled)
    answered = await _rows(store, compiled, projections=True)
    assert answered
    assert answered == await _rows(store, compiled, projections=False)
