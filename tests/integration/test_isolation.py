"""Tenant isolation, route by route: one organisation can neither read nor change another's data.

Every route with an id in its path is listed below; a test fails when a route is added
without being listed, so new routes cannot skip this check.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from litestar import Litestar

from tests.integration.conftest import Member


async def _victim_resources(client: httpx.AsyncClient, make_org: Any, add_member: Any) -> dict[str, Any]:
    victim = await make_org("Victim")
    app = (
        await client.post("/v1/applications", json={"name": "Secret app", "type": "web"}, headers=victim.headers)
    ).json()
    key = (await client.post("/v1/api-keys", json={"name": "k", "scopes": ["read"]}, headers=victim.headers)).json()
    colleague = await add_member(victim, "member")
    dashboard = (
        await client.post("/v1/dashboards", json={"name": "Secret board", "app_id": app["id"]}, headers=victim.headers)
    ).json()
    panel = (
        await client.post(
            f"/v1/dashboards/{dashboard['id']}/panels",
            json={"title": "Secret panel", "query": {}},
            headers=victim.headers,
        )
    ).json()
    return {
        "victim": victim,
        "app_id": app["id"],
        "key_id": key["id"],
        "user_id": colleague.user_id,
        "app": app,
        "dashboard_id": dashboard["id"],
        "panel_id": panel["id"],
    }


# (method, path template, JSON body) for every /v1 route that takes an id.
API_ROUTES = [
    ("GET", "/v1/applications/{app_id}", None),
    ("PATCH", "/v1/applications/{app_id}", {"name": "pwned"}),
    ("DELETE", "/v1/applications/{app_id}", None),
    ("POST", "/v1/applications/{app_id}/ingest-key/rotate", None),
    ("PATCH", "/v1/users/{user_id}", {"role": "viewer"}),
    ("DELETE", "/v1/users/{user_id}", None),
    ("DELETE", "/v1/api-keys/{key_id}", None),
    ("GET", "/v1/applications/{app_id}/timeseries", None),
    ("GET", "/v1/applications/{app_id}/anomalies", None),
    ("GET", "/v1/applications/{app_id}/event-names", None),
    ("GET", "/v1/applications/{app_id}/property-names", None),
    ("GET", "/v1/dashboards/{dashboard_id}", None),
    ("PATCH", "/v1/dashboards/{dashboard_id}", {"name": "pwned"}),
    ("DELETE", "/v1/dashboards/{dashboard_id}", None),
    ("POST", "/v1/dashboards/{dashboard_id}/panels", {"query": {}}),
    ("POST", "/v1/dashboards/{dashboard_id}/panels/order", {"panel_ids": []}),
    ("GET", "/v1/dashboards/{dashboard_id}/panels/{panel_id}", None),
    ("PATCH", "/v1/dashboards/{dashboard_id}/panels/{panel_id}", {"title": "pwned"}),
    ("DELETE", "/v1/dashboards/{dashboard_id}/panels/{panel_id}", None),
    ("POST", "/v1/dashboards/{dashboard_id}/panels/{panel_id}/duplicate", None),
    ("GET", "/v1/dashboards/{dashboard_id}/panels/{panel_id}/data", None),
    ("GET", "/v1/dashboards/{dashboard_id}/panels/{panel_id}/data.csv", None),
]
# (method, path template) for every page route that takes an id; forms post empty bodies.
PAGE_ROUTES = [
    ("GET", "/applications/{app_id}"),
    ("GET", "/applications/{app_id}/setup"),
    ("GET", "/applications/{app_id}/kpis"),
    ("GET", "/applications/{app_id}/chart"),
    ("GET", "/applications/{app_id}/edit"),
    ("POST", "/applications/{app_id}/edit"),
    ("POST", "/applications/{app_id}/rotate-key"),
    ("POST", "/applications/{app_id}/delete"),
    ("POST", "/settings/users/{user_id}/role"),
    ("POST", "/settings/users/{user_id}/remove"),
    ("POST", "/settings/api-keys/{key_id}/revoke"),
    ("GET", "/dashboards/{dashboard_id}"),
    ("GET", "/dashboards/{dashboard_id}/edit"),
    ("POST", "/dashboards/{dashboard_id}"),
    ("POST", "/dashboards/{dashboard_id}/delete"),
    ("GET", "/dashboards/{dashboard_id}/panels/new"),
    ("POST", "/dashboards/{dashboard_id}/panels"),
    ("POST", "/dashboards/{dashboard_id}/panels/preview"),
    ("GET", "/dashboards/{dashboard_id}/panels/{panel_id}"),
    ("GET", "/dashboards/{dashboard_id}/panels/{panel_id}/edit"),
    ("POST", "/dashboards/{dashboard_id}/panels/{panel_id}"),
    ("POST", "/dashboards/{dashboard_id}/panels/{panel_id}/duplicate"),
    ("POST", "/dashboards/{dashboard_id}/panels/{panel_id}/move"),
    ("POST", "/dashboards/{dashboard_id}/panels/{panel_id}/delete"),
]


# /invite and /embed take a token, not a signed-in user: test_pages and test_embed_widget cover them.
def test_every_route_with_an_id_is_listed(started_app: Litestar) -> None:
    listed = {(m, p) for m, p, _ in API_ROUTES} | set(PAGE_ROUTES)
    served = set()
    for route in started_app.routes:
        if "{" not in route.path or route.path.startswith(("/static", "/invite", "/schema", "/embed")):
            continue
        path = route.path.replace(":uuid", "").replace(":str", "")
        for method in getattr(route, "methods", set()) - {"OPTIONS", "HEAD"}:
            served.add((method, path))
    assert served == listed


@pytest.mark.parametrize(("method", "template", "body"), API_ROUTES)
async def test_api_routes_hide_other_organisations_data(
    client: httpx.AsyncClient, make_org: Any, add_member: Any, method: str, template: str, body: Any
) -> None:
    data = await _victim_resources(client, make_org, add_member)
    attacker: Member = await make_org("Attacker")
    response = await client.request(method, template.format(**data), json=body, headers=attacker.headers)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"
    await _assert_untouched(client, data)


@pytest.mark.parametrize(("method", "template"), PAGE_ROUTES)
async def test_pages_hide_other_organisations_data(
    client: httpx.AsyncClient, make_org: Any, add_member: Any, login: Any, method: str, template: str
) -> None:
    data = await _victim_resources(client, make_org, add_member)
    attacker: Member = await make_org("Attacker")
    browser = await login(attacker)
    csrf = browser.cookies.get("nexus_csrf", "")
    form = {"_csrf_token": csrf, "role": "viewer", "name": "pwned", "type": "web"}
    response = await browser.request(method, template.format(**data), data=form if method == "POST" else None)
    # Pages answer 404 directly; actions that only redirect must not have changed anything.
    assert response.status_code in (303, 404), response.text
    await _assert_untouched(client, data)


async def _assert_untouched(client: httpx.AsyncClient, data: dict[str, Any]) -> None:
    victim: Member = data["victim"]
    app = await client.get(f"/v1/applications/{data['app_id']}", headers=victim.headers)
    assert app.status_code == 200
    assert app.json()["name"] == "Secret app"
    assert app.json()["ingest_key"] == data["app"]["ingest_key"]
    users = (await client.get("/v1/users", headers=victim.headers)).json()["items"]
    colleague = next(u for u in users if u["id"] == data["user_id"])
    assert colleague["role"] == "member"
    keys = (await client.get("/v1/api-keys", headers=victim.headers)).json()["items"]
    assert keys[0]["revoked_at"] is None
    dashboard = (await client.get(f"/v1/dashboards/{data['dashboard_id']}", headers=victim.headers)).json()
    assert dashboard["name"] == "Secret board"
    assert [(p["id"], p["title"]) for p in dashboard["panels"]] == [(data["panel_id"], "Secret panel")]


async def test_lists_show_only_your_organisation(client: httpx.AsyncClient, make_org: Any, add_member: Any) -> None:
    data = await _victim_resources(client, make_org, add_member)
    attacker: Member = await make_org("Attacker")
    apps = (await client.get("/v1/applications", headers=attacker.headers)).json()
    users = (await client.get("/v1/users", headers=attacker.headers)).json()
    keys = (await client.get("/v1/api-keys?all=true", headers=attacker.headers)).json()
    assert apps["items"] == []
    assert [u["email"] for u in users["items"]] == [attacker.email]
    assert keys["items"] == []
    assert (await client.get("/v1/organization", headers=attacker.headers)).json()["id"] == attacker.org_id
    assert data["victim"].org_id != attacker.org_id
