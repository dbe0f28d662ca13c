"""Filters and breakdowns on `path` read the materialized column: same answers as the JSON.
Numeric properties are read from the map of numbers extracted at insert."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar

from app.domain.analytics import queries, service
from app.domain.analytics.schemas import PropertyFilter, TrendQuery
from tests.integration.analytics_data import day_start, event, insert_events


def _one_day_total(app_id: str, org_id: str, start: datetime) -> dict[str, Any]:
    """TrendQuery fields for one value over the day from `start`."""
    return {
        "app_id": app_id,
        "org_id": org_id,
        "date_from": start,
        "date_to": start + timedelta(days=1),
        "interval": "day",
        "mode": "total",
    }


async def test_path_column_and_json_agree(started_app: Litestar, client: Any) -> None:
    app_id, org_id = str(uuid.uuid4()), str(uuid.uuid4())
    start = day_start(1)
    paths = ["/checkout"] * 3 + ["/pricing"] * 2 + ["/Checkout/step-2"] + [""]
    await insert_events(
        started_app,
        app_id,
        org_id,
        [
            event("pageview", start + timedelta(minutes=i), properties={"path": p} if p else {})
            for i, p in enumerate(paths)
        ],
    )
    store = started_app.state.engines.clickhouse
    base = _one_day_total(app_id, org_id, start)
    cases = {
        "eq": (TrendQuery(**base, filters=(PropertyFilter(property="path", operator="eq", value="/checkout"),)), 3),
        "neq": (TrendQuery(**base, filters=(PropertyFilter(property="path", operator="neq", value="/pricing"),)), 5),
        "contains": (
            TrendQuery(**base, filters=(PropertyFilter(property="path", operator="contains", value="checkout"),)),
            4,
        ),
    }
    for name, (query, expected) in cases.items():
        assert "path" in queries.build(query).sql.split("WHERE")[1], name
        assert "filter_0_property" not in queries.build(query).params, name
        result = await service.run(store, query, newer_than=time.time())
        assert result.frame["value"].sum() == expected, name

    by_path = await service.run(store, TrendQuery(**base, breakdown="path", breakdown_limit=3), newer_than=time.time())
    totals = dict(zip(by_path.frame["series"].to_list(), by_path.frame["value"].to_list(), strict=True))
    assert totals["/checkout"] == 3
    assert totals["/pricing"] == 2


async def test_numbers_are_aggregated_and_everything_else_left_out(started_app: Litestar) -> None:
    app_id, org_id = str(uuid.uuid4()), str(uuid.uuid4())
    start = day_start(1)
    prices: list[Any] = [10, "20", 30.5, "n/a", None, {"amount": 5}]
    await insert_events(
        started_app,
        app_id,
        org_id,
        [event("add_to_cart", start + timedelta(minutes=i), properties={"price": p}) for i, p in enumerate(prices)]
        + [event("add_to_cart", start + timedelta(minutes=10))],
    )
    store = started_app.state.engines.clickhouse
    base = _one_day_total(app_id, org_id, start) | {"property": "price"}

    async def total(**spec: Any) -> float:
        result = await service.run(store, TrendQuery(**base, **spec), newer_than=time.time())
        return float(result.frame["value"].sum())

    assert await total(aggregation="sum") == 60.5
    assert await total(aggregation="avg") == pytest.approx(60.5 / 3)
    over_15 = (PropertyFilter(property="price", operator="gt", value=15),)
    assert await total(aggregation="sum", filters=over_15) == 50.5
    # The filter applies to a count too: events whose price is a number above 15.
    assert await total(aggregation="count", filters=over_15) == 2


# A property's JSON value, and the number it counts as (None: left out of the map).
NUMBER_CASES: list[tuple[Any, float | None]] = [
    (12, 12.0),
    (-7.25, -7.25),
    ("12.5", 12.5),
    ("1e3", 1000.0),
    ("+5", 5.0),
    (".5", 0.5),
    ("00012", 12.0),
    (True, 1.0),
    (False, 0.0),
    ("true", 1.0),  # booleans written as text count like booleans (migration 0011)
    ("false", 0.0),
    ("n/a", None),
    ("", None),
    (" 3", None),
    ("0x10", None),
    ("12abc", None),
    ("True", None),
    (None, None),
    ([1], None),
    ({"amount": 5}, None),
]


async def test_what_counts_as_a_number(started_app: Litestar) -> None:
    app_id, org_id = str(uuid.uuid4()), str(uuid.uuid4())
    start = day_start(1)
    await insert_events(
        started_app,
        app_id,
        org_id,
        [
            event("measure", start + timedelta(minutes=i), properties={"value": value, "label": "text"})
            for i, (value, _) in enumerate(NUMBER_CASES)
        ],
    )
    store = started_app.state.engines.clickhouse
    stored = await store.query_arrow(
        "SELECT mapContains(number_properties, 'value') AS has, number_properties['value'] AS number, "
        "mapContains(number_properties, 'label') AS has_label FROM events "
        "WHERE app_id = {app_id:UUID} ORDER BY timestamp",
        {"app_id": app_id},
    )
    rows = stored.to_pylist()
    found = [row["number"] if row["has"] else None for row in rows]
    assert found == [expected for _, expected in NUMBER_CASES]
    assert not any(row["has_label"] for row in rows)
