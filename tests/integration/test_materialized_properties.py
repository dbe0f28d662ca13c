"""Filters and breakdowns on `path` read the materialized column: same answers as the JSON."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar import Litestar

from app.domain.analytics import queries, service
from app.domain.analytics.schemas import PropertyFilter, TrendQuery
from tests.integration.analytics_data import day_start, event, insert_events


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
    base = {
        "app_id": app_id,
        "org_id": org_id,
        "date_from": start,
        "date_to": start + timedelta(days=1),
        "interval": "day",
        "mode": "total",
    }
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
        result = await service.run(store, query, fresh=True)
        assert result.frame["value"].sum() == expected, name

    by_path = await service.run(store, TrendQuery(**base, breakdown="path", breakdown_limit=3), fresh=True)
    totals = dict(zip(by_path.frame["series"].to_list(), by_path.frame["value"].to_list(), strict=True))
    assert totals["/checkout"] == 3
    assert totals["/pricing"] == 2
