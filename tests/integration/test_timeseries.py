"""GET /v1/applications/{id}/timeseries and the names seen: real events in the real engine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.domain.analytics import queries, service
from app.domain.analytics.schemas import TrendQuery
from tests.integration.analytics_data import day_start, event, insert_events, iso
from tests.integration.test_bad_input import assert_error


async def _app(client: httpx.AsyncClient, owner: Any, name: str = "Shop") -> str:
    response = await client.post("/v1/applications", json={"name": name, "type": "web"}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_hourly_points_with_empty_buckets(
    client: httpx.AsyncClient, make_org: Any, started_app: Litestar
) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    start = day_start(2)
    await insert_events(
        started_app,
        app_id,
        owner.org_id,
        [
            event("pageview", start + timedelta(minutes=5)),
            event("pageview", start + timedelta(minutes=59, seconds=59)),
            event("signup", start + timedelta(minutes=30)),
            event("pageview", start + timedelta(hours=2, minutes=1)),
            event("pageview", start + timedelta(hours=4)),  # == to: outside
        ],
    )
    response = await client.get(
        f"/v1/applications/{app_id}/timeseries",
        params={"event": "pageview", "interval": "hour", "from": iso(start), "to": iso(start + timedelta(hours=4))},
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["interval"] == "hour"
    assert body["points"] == [
        {"t": iso(start), "value": 2},
        {"t": iso(start + timedelta(hours=1)), "value": 0},
        {"t": iso(start + timedelta(hours=2)), "value": 1},
        {"t": iso(start + timedelta(hours=3)), "value": 0},
    ]

    everything = await client.get(
        f"/v1/applications/{app_id}/timeseries",
        params={"event": "*", "interval": "hour", "from": iso(start), "to": iso(start + timedelta(hours=2))},
        headers=owner.headers,
    )
    assert [p["value"] for p in everything.json()["points"]] == [3, 0]


async def test_ranges_widen_to_whole_buckets_and_offsets_are_utc(
    client: httpx.AsyncClient, make_org: Any, started_app: Litestar
) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    start = day_start(1)
    await insert_events(
        started_app, app_id, owner.org_id, [event("tap", start + timedelta(minutes=m, seconds=10)) for m in (0, 0, 2)]
    )
    # 00:00:30+00:00 .. 00:02:30 → the minutes 00:00, 00:01, 00:02; "+02:00" arrives as a space when unencoded.
    local = (start + timedelta(hours=2, seconds=30)).strftime("%Y-%m-%dT%H:%M:%S") + "+02:00"
    to = iso(start + timedelta(minutes=2, seconds=30))
    url = f"/v1/applications/{app_id}/timeseries?event=tap&interval=minute&from={local}&to={to}"
    response = await client.get(url, headers=owner.headers)
    assert response.status_code == 200, response.text
    assert response.json()["points"] == [
        {"t": iso(start), "value": 2},
        {"t": iso(start + timedelta(minutes=1)), "value": 0},
        {"t": iso(start + timedelta(minutes=2)), "value": 1},
    ]


async def test_default_range_ends_now(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    response = await client.get(
        f"/v1/applications/{app_id}/timeseries", params={"interval": "minute"}, headers=owner.headers
    )
    assert response.status_code == 200
    points = response.json()["points"]
    assert len(points) in (60, 61)
    assert {p["value"] for p in points} == {0}
    assert all(p["t"].endswith("Z") for p in points)


async def test_rollup_and_raw_events_give_the_same_numbers(
    client: httpx.AsyncClient, make_org: Any, started_app: Litestar
) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    start = day_start(4)
    rows = [
        event(
            ("pageview", "signup", "purchase")[i % 3],
            start + timedelta(minutes=37 * i),
            user=f"user-{i % 11}",
            properties={"revenue": i % 5},
        )
        for i in range(300)
    ]
    await insert_events(started_app, app_id, owner.org_id, rows)
    store = started_app.state.engines.clickhouse
    cases = [
        ("day", "count", ("*",), None),
        ("hour", "count", ("pageview",), None),
        ("day", "unique_users", ("*",), None),
        ("hour", "unique_users", ("signup", "purchase"), None),
        ("day", "count", ("pageview", "purchase"), None),
        ("day", "sum", ("purchase",), "revenue"),
    ]
    for interval, aggregation, events, prop in cases:
        for mode in ("series", "total"):
            query = TrendQuery(
                app_id=app_id,
                org_id=owner.org_id,
                date_from=start,
                date_to=start + timedelta(days=4),
                events=events,
                aggregation=aggregation,  # type: ignore[arg-type]
                property=prop,
                interval=interval,  # type: ignore[arg-type]
                mode=mode,  # type: ignore[arg-type]
            )
            rollup = await service.run(store, query)
            raw = await service.run(store, query, source=queries.EVENTS)
            assert rollup.source in queries.ROLLUPS
            assert raw.source == queries.EVENTS
            assert rollup.frame.equals(raw.frame), (interval, aggregation, events, mode)
            assert raw.frame["value"].sum() > 0

    # Through the API (day buckets over 4 days: the rollup) the counts match the rows inserted.
    response = await client.get(
        f"/v1/applications/{app_id}/timeseries",
        params={"event": "*", "interval": "day", "from": iso(start), "to": iso(start + timedelta(days=4))},
        headers=owner.headers,
    )
    per_day = [
        sum(1 for _, at, _, _ in rows if start + timedelta(days=d) <= at < start + timedelta(days=d + 1))
        for d in range(4)
    ]
    assert [p["value"] for p in response.json()["points"]] == per_day


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"interval": "week"}, "invalid_request"),
        ({"from": "yesterday"}, "invalid_parameter"),
        ({"to": "2025-13-01T00:00:00Z"}, "invalid_parameter"),
        ({"from": "2025-01-02T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, "invalid_range"),
        ({"interval": "minute", "from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z"}, "invalid_range"),
        ({"event": "x" * 201}, "invalid_request"),
        ({"event": ""}, "invalid_request"),
    ],
)
async def test_bad_parameters_are_400(
    client: httpx.AsyncClient, make_org: Any, params: dict[str, str], code: str
) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    response = await client.get(f"/v1/applications/{app_id}/timeseries", params=params, headers=owner.headers)
    assert_error(response, 400, code)


async def test_other_organisations_and_unknown_applications_are_404(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    stranger = await make_org("Other")
    for path in ("timeseries", "event-names", "property-names"):
        response = await client.get(f"/v1/applications/{app_id}/{path}", headers=stranger.headers)
        assert_error(response, 404, "not_found")
    missing = await client.get(
        "/v1/applications/00000000-0000-4000-8000-000000000000/timeseries", headers=owner.headers
    )
    assert_error(missing, 404, "not_found")
    assert (await client.get(f"/v1/applications/{app_id}/timeseries")).status_code == 401


async def test_names_seen_most_frequent_first(client: httpx.AsyncClient, make_org: Any, started_app: Litestar) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    at = day_start(0)
    await insert_events(
        started_app,
        app_id,
        owner.org_id,
        [event("pageview", at, properties={"path": "/", "ms": 3})] * 3
        + [event("signup", at, properties={"plan": "pro"})],
    )
    names = await client.get(f"/v1/applications/{app_id}/event-names", headers=owner.headers)
    assert names.status_code == 200
    assert names.json() == {
        "items": [{"name": "pageview", "events": 3}, {"name": "signup", "events": 1}],
        "next_cursor": None,
    }
    props = (await client.get(f"/v1/applications/{app_id}/property-names", headers=owner.headers)).json()
    assert [item["name"] for item in props["items"]] == ["ms", "path", "plan"]


async def test_sub_second_events_at_the_range_edges(
    client: httpx.AsyncClient, make_org: Any, started_app: Litestar
) -> None:
    """An event half a second before `to` is inside; half a second before `from`, outside.
    (chDB once compared millisecond times with whole-second bounds as if rounded up.)"""
    owner = await make_org()
    app_id = await _app(client, owner)
    start = day_start(2)
    end = start + timedelta(minutes=2)
    # One insert each: a part of its own, whose index range is that one event (where the
    # engine's index analysis went wrong).
    for moment in (start - timedelta(milliseconds=500), end - timedelta(milliseconds=500)):
        await insert_events(started_app, app_id, owner.org_id, [event("pageview", moment)])
    response = await client.get(
        f"/v1/applications/{app_id}/timeseries",
        params={"event": "pageview", "interval": "minute", "from": iso(start), "to": iso(end)},
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["points"] == [
        {"t": iso(start), "value": 0},
        {"t": iso(start + timedelta(minutes=1)), "value": 1},
    ]


async def test_names_seen_are_kept_a_minute_but_none_seen_is_not(
    client: httpx.AsyncClient, make_org: Any, started_app: Litestar
) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    url = f"/v1/applications/{app_id}/event-names"

    async def names() -> list[str]:
        return [item["name"] for item in (await client.get(url, headers=owner.headers)).json()["items"]]

    assert await names() == []
    at = day_start(0)
    await insert_events(started_app, app_id, owner.org_id, [event("pageview", at)])
    assert await names() == ["pageview"]  # an application's first events are offered at once
    await insert_events(started_app, app_id, owner.org_id, [event("signup", at)])
    assert await names() == ["pageview"]  # then the list is kept for NAMES_TTL_S
    service.names_cache.clear()
    assert await names() == ["pageview", "signup"]
