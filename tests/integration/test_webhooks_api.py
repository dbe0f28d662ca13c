"""API.md "Webhooks": CRUD, validation, roles, tenant isolation and the SSRF guard at create."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

RECEIVER = "http://127.0.0.1:9/hook"  # allow-listed in tests; nothing needs to listen for CRUD


async def _create(client: httpx.AsyncClient, who: Any, **fields: Any) -> httpx.Response:
    body = {"url": RECEIVER, "events": ["insight.created"], **fields}
    return await client.post("/v1/webhooks", json=body, headers=who.headers)


async def test_crud_with_secret_shown_once(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    created = await _create(client, owner, events=["insight.created", "anomaly.detected"], description="Ops")
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["secret"].startswith("whsec_")
    assert len(hook["secret"]) > 40
    assert hook["events"] == ["insight.created", "anomaly.detected"]
    assert hook["is_active"] is True
    assert hook["description"] == "Ops"

    shown = (await client.get(f"/v1/webhooks/{hook['id']}", headers=owner.headers)).json()
    assert shown["secret"] != hook["secret"]
    assert shown["secret"].endswith("…")
    assert hook["secret"].startswith(shown["secret"].rstrip("…"))

    patched = await client.patch(
        f"/v1/webhooks/{hook['id']}", json={"is_active": False, "events": ["insight.resolved"]}, headers=owner.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["is_active"] is False
    assert patched.json()["events"] == ["insight.resolved"]

    rotated = (await client.post(f"/v1/webhooks/{hook['id']}/rotate-secret", headers=owner.headers)).json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != hook["secret"]

    assert (await client.delete(f"/v1/webhooks/{hook['id']}", headers=owner.headers)).status_code == 204
    assert (await client.get(f"/v1/webhooks/{hook['id']}", headers=owner.headers)).status_code == 404


async def test_list_pages_with_keyset_cursor(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    for n in range(3):
        assert (await _create(client, owner, description=f"hook {n}")).status_code == 201
    first = (await client.get("/v1/webhooks?limit=2", headers=owner.headers)).json()
    assert [h["description"] for h in first["items"]] == ["hook 2", "hook 1"]
    assert all(h["secret"].endswith("…") for h in first["items"])
    rest = (await client.get(f"/v1/webhooks?limit=2&cursor={first['next_cursor']}", headers=owner.headers)).json()
    assert [h["description"] for h in rest["items"]] == ["hook 0"]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com/hook", "events": ["insight.created"]},
        {"url": "not a url", "events": ["insight.created"]},
        {"url": "https://example.com/hook", "events": []},
        {"url": "https://example.com/hook", "events": ["insight.exploded"]},
        {"url": "https://example.com/hook", "events": ["webhook.test"]},
        {"url": "https://example.com/hook"},
        {"url": "https://example.com/hook", "events": ["insight.created"], "secret": "mine"},
    ],
)
async def test_bad_input_is_400(client: httpx.AsyncClient, make_org: Any, body: dict[str, Any]) -> None:
    owner = await make_org()
    response = await client.post("/v1/webhooks", json=body, headers=owner.headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("url", ["http://10.0.0.5/hook", "http://169.254.169.254/latest/meta-data", "http://[::1]/x"])
async def test_private_targets_are_refused_at_create_and_update(
    client: httpx.AsyncClient, make_org: Any, url: str
) -> None:
    owner = await make_org()
    response = await _create(client, owner, url=url)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "url_not_allowed"
    assert "private, loopback or link-local" in error["message"]
    hook = (await _create(client, owner)).json()
    patched = await client.patch(f"/v1/webhooks/{hook['id']}", json={"url": url}, headers=owner.headers)
    assert patched.status_code == 400
    assert patched.json()["error"]["code"] == "url_not_allowed"


@pytest.mark.parametrize("role", ["member", "viewer", "support"])
async def test_non_admins_get_403(client: httpx.AsyncClient, make_org: Any, add_member: Any, role: str) -> None:
    owner = await make_org()
    hook = (await _create(client, owner)).json()
    user = await add_member(owner, role)
    for method, path in [
        ("POST", "/v1/webhooks"),
        ("GET", "/v1/webhooks"),
        ("GET", f"/v1/webhooks/{hook['id']}"),
        ("DELETE", f"/v1/webhooks/{hook['id']}"),
        ("POST", f"/v1/webhooks/{hook['id']}/test"),
        ("GET", f"/v1/webhooks/{hook['id']}/deliveries"),
    ]:
        body = {"url": RECEIVER, "events": ["insight.created"]} if method == "POST" else None
        response = await client.request(method, path, json=body, headers=user.headers)
        assert response.status_code == 403, (method, path)
    assert (await client.get("/v1/webhooks", headers=(await add_member(owner, "admin")).headers)).status_code == 200


async def test_other_organisations_see_nothing(client: httpx.AsyncClient, make_org: Any) -> None:
    acme, globex = await make_org("Acme"), await make_org("Globex")
    hook = (await _create(client, acme)).json()
    assert (await client.get("/v1/webhooks", headers=globex.headers)).json()["items"] == []
    base = f"/v1/webhooks/{hook['id']}"
    for method, path, body in [
        ("GET", base, None),
        ("PATCH", base, {"description": "mine now"}),
        ("DELETE", base, None),
        ("POST", f"{base}/rotate-secret", None),
        ("POST", f"{base}/test", None),
        ("GET", f"{base}/deliveries", None),
        ("POST", f"{base}/deliveries/{hook['id']}/replay", None),
    ]:
        response = await client.request(method, path, json=body, headers=globex.headers)
        assert response.status_code == 404, (method, path, response.text)
    assert (await client.get(base, headers=acme.headers)).json()["description"] is None


async def test_unauthenticated_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/webhooks")).status_code == 401


# --- The settings pages -------------------------------------------------------------------


def _csrf(page: httpx.Response) -> str:
    return page.text.split('name="_csrf_token" value="')[1].split('"')[0]


async def test_settings_pages_create_show_secret_once_test_and_delete(make_org: Any, login: Any) -> None:
    owner = await make_org()
    browser = await login(owner)
    empty = await browser.get("/settings/webhooks")
    assert empty.status_code == 200
    assert "No webhooks yet" in empty.text
    assert 'href="/settings/webhooks"' in (await browser.get("/settings")).text

    bad = await browser.post(
        "/settings/webhooks",
        data={"_csrf_token": _csrf(empty), "url": "http://10.0.0.5/x", "events": "insight.created"},
    )
    assert bad.status_code == 400
    assert "private, loopback or link-local" in bad.text
    no_events = await browser.post("/settings/webhooks", data={"_csrf_token": _csrf(empty), "url": RECEIVER})
    assert no_events.status_code == 400
    assert "Choose at least one event." in no_events.text

    created = await browser.post(
        "/settings/webhooks",
        data={
            "_csrf_token": _csrf(empty),
            "url": RECEIVER,
            "events": ["insight.created", "anomaly.detected"],
            "description": "Pager",
        },
    )
    assert created.status_code == 201, created.text
    assert 'id="webhook-secret"' in created.text
    secret = created.text.split('id="webhook-secret"')[1].split('value="')[1].split('"')[0]
    assert secret.startswith("whsec_")
    [hook] = (await browser.get("/v1/webhooks", headers={"accept": "application/json"})).json()["items"]
    assert hook["events"] == ["insight.created", "anomaly.detected"]

    listed = await browser.get("/settings/webhooks")
    assert RECEIVER in listed.text
    assert "Nothing sent yet" in listed.text
    detail = await browser.get(f"/settings/webhooks/{hook['id']}")
    assert detail.status_code == 200
    assert secret not in detail.text  # shown once, masked afterwards
    assert "Send test" in detail.text

    # Nothing listens on the receiver's port: the failure is reported inline, and logged.
    tested = await browser.post(
        f"/settings/webhooks/{hook['id']}/test", data={"_csrf_token": _csrf(detail)}, headers={"hx-request": "true"}
    )
    assert tested.status_code == 200
    assert "Test event failed" in tested.text
    log = await browser.get(f"/settings/webhooks/{hook['id']}")
    assert "webhook.test" in log.text
    assert "Could not connect" in log.text

    deleted = await browser.post(f"/settings/webhooks/{hook['id']}/delete", data={"_csrf_token": _csrf(log)})
    assert deleted.status_code == 303
    assert (await browser.get(f"/settings/webhooks/{hook['id']}")).status_code == 404


async def test_settings_pages_are_admin_only_and_need_csrf(make_org: Any, add_member: Any, login: Any) -> None:
    owner = await make_org()
    member = await login(await add_member(owner, "member"))
    assert (await member.get("/settings/webhooks")).status_code == 403
    admin = await login(owner)
    refused = await admin.post("/settings/webhooks", data={"url": RECEIVER, "events": "insight.created"})
    assert refused.status_code == 403
