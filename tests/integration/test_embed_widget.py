"""`GET /embed/<token>`: the granted panel, locked params, frame-ancestors, refusals."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest


@pytest.fixture
async def embed(client: httpx.AsyncClient, make_org: Any) -> dict[str, Any]:
    owner = await make_org()
    app = (await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=owner.headers)).json()
    events = [{"event": "purchase", "distinct_id": "u", "properties": {"country": c}} for c in ["FR"] * 3 + ["DE"] * 5]
    await client.post("/v1/events/batch", json={"events": events}, headers={"X-API-Key": app["ingest_key"]})
    dashboard = (
        await client.post("/v1/dashboards", json={"name": "Sales", "app_id": app["id"]}, headers=owner.headers)
    ).json()
    panel = (
        await client.post(
            f"/v1/dashboards/{dashboard['id']}/panels",
            json={"title": "Purchases", "chart_type": "number", "query": {"events": ["purchase"], "range": "24h"}},
            headers=owner.headers,
        )
    ).json()
    await client.put("/v1/embedding", json={"allowed_origins": ["https://shop.example"]}, headers=owner.headers)
    secret = (await client.get("/v1/embedding", headers=owner.headers)).json()["secret"]
    return {"owner": owner, "app": app, "panel": panel, "secret": secret, "dashboard": dashboard}


def _token(secret: str, resource: dict[str, str], params: dict[str, Any] | None = None, **extra: Any) -> str:
    claims = {"resource": resource, "params": params or {}, "exp": int(time.time()) + 600, **extra}
    return jwt.encode(claims, secret, algorithm="HS256")


def _number(html: str) -> str:
    figure = html.split('class="chart__figure">')[1].split("</script>")[0]
    return figure.split('"value":')[1].split(",")[0].split("}")[0].strip()


async def test_panel_renders_chrome_less_with_frame_ancestors(client: httpx.AsyncClient, embed: dict[str, Any]) -> None:
    token = _token(embed["secret"], {"panel": embed["panel"]["id"]})
    page = await client.get(f"/embed/{token}")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == "frame-ancestors https://shop.example"
    assert "x-frame-options" not in page.headers
    assert 'class="sidebar"' not in page.text  # no application chrome
    assert f'data-refresh-app="{embed["app"]["id"]}"' in page.text
    assert _number(page.text) == "8"


async def test_locked_params_filter_every_panel(client: httpx.AsyncClient, embed: dict[str, Any]) -> None:
    token = _token(embed["secret"], {"dashboard": embed["dashboard"]["id"]}, params={"country": "FR"})
    page = await client.get(f"/embed/{token}")
    assert page.status_code == 200
    assert _number(page.text) == "3"
    fragment = await client.get(f"/embed/{token}/panels/{embed['panel']['id']}")
    assert fragment.status_code == 200
    assert _number(fragment.text) == "3"


async def test_refused_tokens(client: httpx.AsyncClient, embed: dict[str, Any], make_org: Any) -> None:
    resource = {"panel": embed["panel"]["id"]}
    other = await make_org("Other")
    other_secret = (await client.get("/v1/embedding", headers=other.headers)).json()["secret"]
    cases = {
        "expired": (_token(embed["secret"], resource, exp=int(time.time()) - 1), 401),
        "tampered": (_token(embed["secret"], resource)[:-4] + "AAAA", 401),
        "foreign": (
            jwt.encode(
                {"resource": resource, "exp": int(time.time()) + 60},
                other_secret,
                algorithm="HS256",
                headers={"kid": other.org_id},
            ),
            403,
        ),
        "garbage": ("not.a.token", 401),
    }
    for name, (token, status) in cases.items():
        response = await client.get(f"/embed/{token}", headers={"accept": "text/html"})
        assert response.status_code == status, name
        assert "location" not in response.headers, name  # never a sign-in redirect
