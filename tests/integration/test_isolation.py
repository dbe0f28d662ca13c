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


async def _victim_resources(
    client: httpx.AsyncClient, make_org: Any, add_member: Any, started_app: Litestar
) -> dict[str, Any]:
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
    # gRPC: the discovery that creating it starts fails at once ("not supported yet") instead
    # of probing. Nothing listens on port 9 (discard), so the test delivery fails quickly too;
    # both leave their rows.
    connection = (
        await client.post(
            f"/v1/applications/{app['id']}/connections",
            json={
                "type": "grpc",
                "base_url": "http://127.0.0.1:9",
                "auth_type": "bearer",
                "credentials": {"token": "victim-secret-token"},
            },
            headers=victim.headers,
        )
    ).json()
    webhook = (
        await client.post(
            "/v1/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "events": ["insight.created"]},
            headers=victim.headers,
        )
    ).json()
    delivery = (await client.post(f"/v1/webhooks/{webhook['id']}/test", headers=victim.headers)).json()
    async with started_app.state.engines.postgres.pool.connection() as conn:
        cursor = await conn.execute(
            """INSERT INTO insights (org_id, app_id, type, severity, title, fingerprint)
               VALUES (%s, %s, 'performance', 'high', 'Secret insight', 'test:isolation') RETURNING id::text""",
            (victim.org_id, app["id"]),
        )
        insight_id = (await cursor.fetchone())["id"]
    return {
        "victim": victim,
        "connection": connection,
        "connection_id": connection["id"],
        "job_id": connection["discovery_job_id"],
        "webhook": webhook,
        "webhook_id": webhook["id"],
        "delivery_id": delivery["delivery_id"],
        "insight_id": insight_id,
        "action": "acknowledge",
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
    ("GET", "/v1/applications/{app_id}/report", None),
    ("GET", "/v1/applications/{app_id}/adapters/python", None),
    ("GET", "/v1/applications/{app_id}/adapters/typescript", None),
    ("GET", "/v1/applications/{app_id}/connections", None),
    ("POST", "/v1/applications/{app_id}/connections", {"type": "rest_api", "base_url": "http://127.0.0.1:9"}),
    ("GET", "/v1/applications/{app_id}/endpoints", None),
    ("GET", "/v1/applications/{app_id}/tables", None),
    ("GET", "/v1/connections/{connection_id}", None),
    ("PATCH", "/v1/connections/{connection_id}", {"name": "pwned"}),
    ("DELETE", "/v1/connections/{connection_id}", None),
    ("POST", "/v1/connections/{connection_id}/discover", None),
    ("POST", "/v1/connections/{connection_id}/test", None),
    ("GET", "/v1/jobs/{job_id}", None),
    ("GET", "/v1/insights/{insight_id}", None),
    ("POST", "/v1/insights/{insight_id}/acknowledge", None),
    ("POST", "/v1/insights/{insight_id}/assign", {"assignee_id": None}),
    ("POST", "/v1/insights/{insight_id}/comment", {"body": "pwned"}),
    ("POST", "/v1/insights/{insight_id}/dismiss", None),
    ("POST", "/v1/insights/{insight_id}/reopen", None),
    ("POST", "/v1/insights/{insight_id}/resolve", None),
    ("POST", "/v1/insights/{insight_id}/snooze", {"until_escalates": True}),
    ("GET", "/v1/webhooks/{webhook_id}", None),
    ("PATCH", "/v1/webhooks/{webhook_id}", {"description": "pwned"}),
    ("DELETE", "/v1/webhooks/{webhook_id}", None),
    ("GET", "/v1/webhooks/{webhook_id}/deliveries", None),
    ("POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/replay", None),
    ("POST", "/v1/webhooks/{webhook_id}/rotate-secret", None),
    ("POST", "/v1/webhooks/{webhook_id}/test", None),
]
# (method, path template) for every page route that takes an id; forms post empty bodies.
PAGE_ROUTES = [
    ("GET", "/applications/{app_id}"),
    ("GET", "/applications/{app_id}/setup"),
    ("GET", "/applications/{app_id}/kpis"),
    ("GET", "/applications/{app_id}/events"),
    ("GET", "/applications/{app_id}/events/list"),
    ("GET", "/applications/{app_id}/chart"),
    ("GET", "/applications/{app_id}/requests"),
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
    ("GET", "/applications/{app_id}/adapters/client.py"),
    ("GET", "/applications/{app_id}/adapters/client.ts"),
    ("GET", "/applications/{app_id}/connections"),
    ("POST", "/applications/{app_id}/connections"),
    ("GET", "/applications/{app_id}/connections/fields"),
    ("GET", "/applications/{app_id}/connections/new"),
    ("POST", "/applications/{app_id}/connections/{connection_id}/delete"),
    ("POST", "/applications/{app_id}/connections/{connection_id}/discover"),
    ("GET", "/applications/{app_id}/connections/{connection_id}/discovery"),
    ("GET", "/applications/{app_id}/connections/{connection_id}/edit"),
    ("POST", "/applications/{app_id}/connections/{connection_id}/edit"),
    ("POST", "/applications/{app_id}/connections/{connection_id}/test"),
    ("GET", "/applications/{app_id}/database"),
    ("GET", "/applications/{app_id}/endpoints"),
    ("GET", "/applications/{app_id}/graph"),
    ("POST", "/applications/{app_id}/graph/rebuild"),
    ("GET", "/applications/{app_id}/health"),
    ("POST", "/applications/{app_id}/health/{connection_id}/check"),
    ("GET", "/applications/{app_id}/report"),
    ("GET", "/applications/{app_id}/report.csv"),
    ("GET", "/applications/{app_id}/report.html"),
    ("GET", "/insights/{insight_id}"),
    ("GET", "/insights/{insight_id}/row"),
    ("POST", "/insights/{insight_id}/{action}"),
    ("GET", "/settings/webhooks/{webhook_id}"),
    ("POST", "/settings/webhooks/{webhook_id}/active"),
    ("POST", "/settings/webhooks/{webhook_id}/delete"),
    ("POST", "/settings/webhooks/{webhook_id}/deliveries/{delivery_id}/replay"),
    ("POST", "/settings/webhooks/{webhook_id}/rotate"),
    ("POST", "/settings/webhooks/{webhook_id}/test"),
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
    client: httpx.AsyncClient,
    make_org: Any,
    add_member: Any,
    started_app: Litestar,
    method: str,
    template: str,
    body: Any,
) -> None:
    data = await _victim_resources(client, make_org, add_member, started_app)
    attacker: Member = await make_org("Attacker")
    response = await client.request(method, template.format(**data), json=body, headers=attacker.headers)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"
    await _assert_untouched(client, data)


@pytest.mark.parametrize(("method", "template"), PAGE_ROUTES)
async def test_pages_hide_other_organisations_data(
    client: httpx.AsyncClient,
    make_org: Any,
    add_member: Any,
    login: Any,
    started_app: Litestar,
    method: str,
    template: str,
) -> None:
    data = await _victim_resources(client, make_org, add_member, started_app)
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
    connection = (await client.get(f"/v1/connections/{data['connection_id']}", headers=victim.headers)).json()
    assert connection["name"] == data["connection"]["name"]
    webhook = (await client.get(f"/v1/webhooks/{data['webhook_id']}", headers=victim.headers)).json()
    assert webhook["description"] == data["webhook"]["description"]
    assert webhook["is_active"] is True
    insight = (await client.get(f"/v1/insights/{data['insight_id']}", headers=victim.headers)).json()
    assert (insight["status"], insight["snoozed_until"], insight["assignee_id"]) == ("new", None, None)
    assert [event["kind"] for event in insight["history"]] == []


async def test_lists_show_only_your_organisation(
    client: httpx.AsyncClient, make_org: Any, add_member: Any, started_app: Litestar
) -> None:
    data = await _victim_resources(client, make_org, add_member, started_app)
    attacker: Member = await make_org("Attacker")
    apps = (await client.get("/v1/applications", headers=attacker.headers)).json()
    users = (await client.get("/v1/users", headers=attacker.headers)).json()
    keys = (await client.get("/v1/api-keys?all=true", headers=attacker.headers)).json()
    assert apps["items"] == []
    assert [u["email"] for u in users["items"]] == [attacker.email]
    assert keys["items"] == []
    for listing in ("/v1/insights", "/v1/webhooks"):
        assert (await client.get(listing, headers=attacker.headers)).json()["items"] == []
    assert (await client.get("/v1/organization", headers=attacker.headers)).json()["id"] == attacker.org_id
    assert data["victim"].org_id != attacker.org_id
