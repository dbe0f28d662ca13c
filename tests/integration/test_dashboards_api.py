"""Dashboards and panels through the API: CRUD, order, roles, audit, data and CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

from tests.integration.analytics_data import day_start, event, insert_events, iso
from tests.integration.test_bad_input import assert_error

PANEL = {"title": "Sign-ups", "chart_type": "line", "query": {"events": ["signup"], "interval": "hour", "range": "24h"}}


async def _app(client: httpx.AsyncClient, owner: Any, name: str = "Shop") -> str:
    response = await client.post("/v1/applications", json={"name": name, "type": "web"}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _dashboard(client: httpx.AsyncClient, owner: Any, app_id: str | None, name: str = "Growth") -> dict[str, Any]:
    body: dict[str, Any] = {"name": name}
    if app_id:
        body["app_id"] = app_id
    response = await client.post("/v1/dashboards", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _panel(client: httpx.AsyncClient, owner: Any, dashboard_id: str, **changes: Any) -> dict[str, Any]:
    response = await client.post(
        f"/v1/dashboards/{dashboard_id}/panels", json={**PANEL, **changes}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _audit(started_app: Litestar, org_id: str) -> list[str]:
    async with started_app.state.engines.postgres.pool.connection() as conn:
        cursor = await conn.execute("SELECT action FROM audit_log WHERE org_id = %s ORDER BY created_at, id", (org_id,))
        return [row["action"] for row in await cursor.fetchall()]


async def test_dashboard_crud(client: httpx.AsyncClient, make_org: Any, started_app: Litestar) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    created = await client.post(
        "/v1/dashboards", json={"name": "Growth", "app_id": app_id, "description": "Weekly"}, headers=owner.headers
    )
    assert created.status_code == 201
    dashboard = created.json()
    assert dashboard["name"] == "Growth"
    assert dashboard["panels"] == []
    assert dashboard["app_id"] == app_id
    assert dashboard["description"] == "Weekly"
    assert dashboard["created_by"] == owner.user_id
    org_wide = await _dashboard(client, owner, None, "Everything")
    assert org_wide["app_id"] is None

    listed = (await client.get("/v1/dashboards", headers=owner.headers)).json()
    assert listed["next_cursor"] is None
    assert [(d["name"], d["panel_count"]) for d in listed["items"]] == [("Everything", 0), ("Growth", 0)]
    first_page = (await client.get("/v1/dashboards?limit=1", headers=owner.headers)).json()
    assert len(first_page["items"]) == 1
    second = (
        await client.get(f"/v1/dashboards?limit=1&cursor={first_page['next_cursor']}", headers=owner.headers)
    ).json()
    assert second["items"][0]["name"] == "Growth"

    changed = await client.patch(
        f"/v1/dashboards/{dashboard['id']}", json={"name": "Growth 2", "description": None}, headers=owner.headers
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == "Growth 2"
    assert changed.json()["description"] is None
    assert changed.json()["app_id"] == app_id
    fetched = await client.get(f"/v1/dashboards/{dashboard['id']}", headers=owner.headers)
    assert fetched.json()["name"] == "Growth 2"

    assert (await client.delete(f"/v1/dashboards/{dashboard['id']}", headers=owner.headers)).status_code == 204
    assert_error(await client.get(f"/v1/dashboards/{dashboard['id']}", headers=owner.headers), 404, "not_found")
    assert_error(await client.delete(f"/v1/dashboards/{dashboard['id']}", headers=owner.headers), 404, "not_found")
    assert await _audit(started_app, owner.org_id) == [
        "application.created",
        "dashboard.created",
        "dashboard.created",
        "dashboard.updated",
        "dashboard.deleted",
    ]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid_request"),
        ({"name": ""}, "invalid_request"),
        ({"name": "x" * 121}, "invalid_request"),
        ({"name": "x", "app_id": "not-a-uuid"}, "invalid_request"),
        ({"name": "x", "surprise": 1}, "invalid_request"),
        ({"name": "x", "app_id": "00000000-0000-4000-8000-000000000000"}, "unknown_application"),
    ],
)
async def test_bad_dashboards_are_400(
    client: httpx.AsyncClient, make_org: Any, body: dict[str, Any], code: str
) -> None:
    owner = await make_org()
    assert_error(await client.post("/v1/dashboards", json=body, headers=owner.headers), 400, code)
    assert (await client.get("/v1/dashboards", headers=owner.headers)).json()["items"] == []


async def test_another_organisations_application_cannot_be_charted(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    other = await make_org("Other")
    their_app = await _app(client, other, "Theirs")
    assert_error(
        await client.post("/v1/dashboards", json={"name": "x", "app_id": their_app}, headers=owner.headers),
        400,
        "unknown_application",
    )
    mine = await _dashboard(client, owner, None)
    response = await client.post(
        f"/v1/dashboards/{mine['id']}/panels",
        json={**PANEL, "query": {**PANEL["query"], "app_id": their_app}},
        headers=owner.headers,
    )
    assert_error(response, 400, "unknown_application")


async def test_panels_add_edit_duplicate_reorder_delete(
    client: httpx.AsyncClient, make_org: Any, started_app: Litestar
) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    dashboard = await _dashboard(client, owner, app_id)
    base = f"/v1/dashboards/{dashboard['id']}/panels"

    a = await _panel(client, owner, dashboard["id"], title="A")
    assert a["title"] == "A"
    assert a["position"] == 0
    assert (a["width"], a["height"], a["chart_type"]) == (6, 4, "line")
    assert a["query"]["events"] == ["signup"]
    assert a["query"]["app_id"] is None
    b = await _panel(client, owner, dashboard["id"], title="B", chart_type="number", width=3)
    await _panel(client, owner, dashboard["id"], title="C", position=0)

    async def order() -> list[str]:
        body = (await client.get(f"/v1/dashboards/{dashboard['id']}", headers=owner.headers)).json()
        assert [p["position"] for p in body["panels"]] == list(range(len(body["panels"])))
        return [p["title"] for p in body["panels"]]

    assert await order() == ["C", "A", "B"]

    copy = await client.post(f"{base}/{a['id']}/duplicate", headers=owner.headers)
    assert copy.status_code == 201
    assert copy.json()["title"] == "A (copy)"
    assert copy.json()["query"] == a["query"]
    assert copy.json()["id"] != a["id"]
    assert await order() == ["C", "A", "A (copy)", "B"]

    changed = await client.patch(
        f"{base}/{b['id']}",
        json={
            "title": "Revenue",
            "chart_type": "bar",
            "query": {"events": ["purchase"], "aggregation": "sum", "property": "revenue"},
        },
        headers=owner.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["query"]["aggregation"] == "sum"
    assert changed.json()["width"] == 3
    assert (await client.get(f"{base}/{b['id']}", headers=owner.headers)).json()["title"] == "Revenue"

    ids = [
        p["id"] for p in (await client.get(f"/v1/dashboards/{dashboard['id']}", headers=owner.headers)).json()["panels"]
    ]
    reordered = await client.post(f"{base}/order", json={"panel_ids": list(reversed(ids))}, headers=owner.headers)
    assert reordered.status_code == 200
    assert [p["title"] for p in reordered.json()] == ["Revenue", "A (copy)", "A", "C"]
    assert await order() == ["Revenue", "A (copy)", "A", "C"]
    for bad in (ids[:-1], [*ids, ids[0]], [*ids[:-1], a["id"]], []):
        assert_error(
            await client.post(f"{base}/order", json={"panel_ids": bad}, headers=owner.headers), 400, "invalid_order"
        )

    assert (await client.delete(f"{base}/{a['id']}", headers=owner.headers)).status_code == 204
    assert await order() == ["Revenue", "A (copy)", "C"]
    assert_error(await client.get(f"{base}/{a['id']}", headers=owner.headers), 404, "not_found")
    assert_error(await client.patch(f"{base}/{a['id']}", json={"title": "x"}, headers=owner.headers), 404, "not_found")
    listed = (await client.get("/v1/dashboards", headers=owner.headers)).json()["items"]
    assert listed[0]["panel_count"] == 3

    actions = await _audit(started_app, owner.org_id)
    assert actions[2:] == [
        "panel.created",
        "panel.created",
        "panel.created",
        "panel.duplicated",
        "panel.updated",
        "dashboard.panels_reordered",
        "panel.deleted",
    ]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": {"events": ["x"]}, "chart_type": "pie"}, "invalid_request"),
        ({"query": {"events": ["x"]}, "width": 13}, "invalid_request"),
        ({"query": {"events": ["x"]}, "width": 0}, "invalid_request"),
        ({"query": {"events": []}}, "invalid_request"),
        ({"query": {"events": ["*", "signup"]}}, "invalid_request"),
        ({"query": {"aggregation": "p95"}}, "invalid_request"),
        ({"query": {"aggregation": "median", "property": "ms"}}, "invalid_request"),
        ({"query": {"filters": [{"property": "ms", "operator": "gt", "value": "fast"}]}}, "invalid_request"),
        ({"query": {"filters": [{"property": "ms", "operator": "like", "value": "1"}]}}, "invalid_request"),
        ({"query": {"breakdown": "path", "breakdown_limit": 26}}, "invalid_request"),
        ({"query": {"interval": "minute", "range": "30d"}}, "invalid_range"),
        ({"query": {"date_from": "2025-01-02T00:00:00Z", "date_to": "2025-01-01T00:00:00Z"}}, "invalid_request"),
        ({"query": {"app_id": "00000000-0000-4000-8000-000000000000"}}, "app_mismatch"),
        ({"query": {}, "surprise": True}, "invalid_request"),
        ({}, "invalid_request"),
    ],
)
async def test_bad_panels_are_400(client: httpx.AsyncClient, make_org: Any, body: dict[str, Any], code: str) -> None:
    owner = await make_org()
    dashboard = await _dashboard(client, owner, await _app(client, owner))
    response = await client.post(f"/v1/dashboards/{dashboard['id']}/panels", json=body, headers=owner.headers)
    assert_error(response, 400, code)
    assert (await client.get(f"/v1/dashboards/{dashboard['id']}", headers=owner.headers)).json()["panels"] == []


async def test_organisation_wide_dashboards_need_an_application_per_panel(
    client: httpx.AsyncClient, make_org: Any
) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    dashboard = await _dashboard(client, owner, None)
    missing = await client.post(f"/v1/dashboards/{dashboard['id']}/panels", json=PANEL, headers=owner.headers)
    assert_error(missing, 400, "app_required")
    panel = await _panel(client, owner, dashboard["id"], query={**PANEL["query"], "app_id": app_id})
    assert panel["query"]["app_id"] == app_id
    data = await client.get(f"/v1/dashboards/{dashboard['id']}/panels/{panel['id']}/data", headers=owner.headers)
    assert data.status_code == 200
    assert data.json()["app_id"] == app_id
    # The application goes; the panel stays and says why it has nothing to show.
    await client.delete(f"/v1/applications/{app_id}", headers=owner.headers)
    gone = await client.get(f"/v1/dashboards/{dashboard['id']}/panels/{panel['id']}/data", headers=owner.headers)
    assert_error(gone, 409, "no_application")


@pytest.mark.parametrize(
    ("role", "can_write"), [("viewer", False), ("support", False), ("member", True), ("admin", True)]
)
async def test_roles(client: httpx.AsyncClient, make_org: Any, add_member: Any, role: str, can_write: bool) -> None:
    owner = await make_org()
    actor = await add_member(owner, role)
    dashboard = await _dashboard(client, owner, await _app(client, owner))
    panel = await _panel(client, owner, dashboard["id"])
    base = f"/v1/dashboards/{dashboard['id']}"
    for path in (
        "/v1/dashboards",
        base,
        f"{base}/panels/{panel['id']}",
        f"{base}/panels/{panel['id']}/data",
        f"{base}/panels/{panel['id']}/data.csv",
    ):
        assert (await client.get(path, headers=actor.headers)).status_code == 200, path
    writes = [
        ("POST", "/v1/dashboards", {"name": "Mine"}, 201),
        ("PATCH", base, {"name": "Renamed"}, 200),
        ("POST", f"{base}/panels", PANEL, 201),
        ("PATCH", f"{base}/panels/{panel['id']}", {"title": "x"}, 200),
        ("POST", f"{base}/panels/{panel['id']}/duplicate", None, 201),
        ("POST", f"{base}/panels/order", None, None),
        ("DELETE", f"{base}/panels/{panel['id']}", None, 204),
        ("DELETE", base, None, 204),
    ]
    for method, path, body, ok in writes:
        if path.endswith("/order"):
            ids = [p["id"] for p in (await client.get(base, headers=owner.headers)).json()["panels"]]
            body, ok = {"panel_ids": ids}, 200
        response = await client.request(method, path, json=body, headers=actor.headers)
        if can_write:
            assert response.status_code == ok, (method, path, response.text)
        else:
            assert_error(response, 403, "forbidden")
    if not can_write:
        assert (await client.get(base, headers=owner.headers)).json()["name"] == "Growth"


async def test_panel_data_matches_the_timeseries_api(
    client: httpx.AsyncClient, make_org: Any, started_app: Litestar
) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    dashboard = await _dashboard(client, owner, app_id)
    today = day_start(0)
    await insert_events(
        started_app,
        app_id,
        owner.org_id,
        [event("signup", today - timedelta(days=d, hours=h)) for d in range(5) for h in range(d + 1)]
        + [event("pageview", today - timedelta(days=1))],
    )
    panel = await _panel(client, owner, dashboard["id"], query={"events": ["signup"], "interval": "day", "range": "7d"})
    data = (
        await client.get(f"/v1/dashboards/{dashboard['id']}/panels/{panel['id']}/data", headers=owner.headers)
    ).json()
    assert (data["interval"], data["aggregation"], data["chart_type"]) == ("day", "count", "line")
    assert data["totals"] == []
    [series] = data["series"]
    assert series["label"] == "signup"
    assert len(series["points"]) == 7
    assert sum(p["value"] for p in series["points"]) > 0

    replay = await client.get(
        f"/v1/applications/{app_id}/timeseries",
        params={"event": "signup", "interval": "day", "from": data["from"], "to": data["to"]},
        headers=owner.headers,
    )
    assert replay.json()["points"] == series["points"]

    number = await _panel(
        client,
        owner,
        dashboard["id"],
        chart_type="number",
        query={"events": ["signup"], "interval": "day", "range": "7d"},
    )
    totals = (
        await client.get(f"/v1/dashboards/{dashboard['id']}/panels/{number['id']}/data", headers=owner.headers)
    ).json()
    assert totals["series"] == []
    assert totals["totals"] == [{"label": "signup", "value": sum(p["value"] for p in series["points"])}]


async def test_csv_export(client: httpx.AsyncClient, make_org: Any, started_app: Litestar) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    dashboard = await _dashboard(client, owner, app_id)
    start = day_start(2)
    await insert_events(
        started_app,
        app_id,
        owner.org_id,
        [
            event("pageview", start + timedelta(hours=1), properties={"path": "/pricing"}),
            event("pageview", start + timedelta(hours=1), properties={"path": "/pricing"}),
            event("pageview", start + timedelta(hours=2), properties={"path": "=HYPERLINK(1)"}),
            event("pageview", start + timedelta(hours=2)),
        ],
    )
    query = {
        "events": ["pageview"],
        "interval": "day",
        "breakdown": "path",
        "date_from": iso(start),
        "date_to": iso(start + timedelta(days=2)),
    }
    panel = await _panel(client, owner, dashboard["id"], title="Pages / day", query=query)
    response = await client.get(
        f"/v1/dashboards/{dashboard['id']}/panels/{panel['id']}/data.csv", headers=owner.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="pages-day.csv"'
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows == [
        # Largest first; ties by name.
        ["time", "/pricing", "(none)", "'=HYPERLINK(1)"],
        [iso(start), "2", "1", "1"],
        [iso(start + timedelta(days=1)), "0", "0", "0"],
    ]
    table = await _panel(client, owner, dashboard["id"], title="Top pages", chart_type="table", query=query)
    totals = await client.get(f"/v1/dashboards/{dashboard['id']}/panels/{table['id']}/data.csv", headers=owner.headers)
    assert list(csv.reader(io.StringIO(totals.text))) == [
        ["path", "value"],
        ["/pricing", "2"],
        ["(none)", "1"],
        ["'=HYPERLINK(1)", "1"],
    ]
