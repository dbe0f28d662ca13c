"""API.md "Authentication": tokens, API keys, throttling, no enumeration."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.conftest import PASSWORD


async def test_token_for_right_credentials(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    response = await client.post("/v1/auth/token", json={"email": owner.email, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    me = await client.get("/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == owner.email


async def test_unknown_email_and_wrong_password_answer_alike(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    wrong_password = await client.post("/v1/auth/token", json={"email": owner.email, "password": "nope-nope-nope"})
    unknown_email = await client.post("/v1/auth/token", json={"email": "ghost@nowhere.test", "password": "x" * 12})
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["error"]["code"] == "invalid_credentials"


async def test_repeated_failures_are_throttled(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    for _ in range(5):
        response = await client.post("/v1/auth/token", json={"email": owner.email, "password": "wrong-password"})
        assert response.status_code == 401
    throttled = await client.post("/v1/auth/token", json={"email": owner.email, "password": PASSWORD})
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert throttled.json()["error"]["code"] == "too_many_attempts"


async def test_bad_bearer_tokens_are_refused(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    tampered = owner.token[:-2] + ("AA" if not owner.token.endswith("AA") else "BB")
    for value in ["Bearer nonsense", f"Bearer {tampered}", "Bearer np_deadbeef_nothing", "Basic abc", ""]:
        response = await client.get("/v1/applications", headers={"Authorization": value})
        assert response.status_code == 401, value
        assert response.json()["error"]["code"] == "unauthorized"


async def test_api_key_is_shown_once_and_works_until_revoked(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    created = await client.post("/v1/api-keys", json={"name": "ci", "scopes": ["read"]}, headers=owner.headers)
    assert created.status_code == 201
    body = created.json()
    assert set(body) >= {"id", "name", "prefix", "scopes", "key"}
    assert body["key"].startswith(f"np_{body['prefix']}_")
    key_headers = {"Authorization": f"Bearer {body['key']}"}

    assert (await client.get("/v1/applications", headers=key_headers)).status_code == 200
    listed = (await client.get("/v1/api-keys", headers=owner.headers)).json()
    assert listed["items"][0]["id"] == body["id"]
    assert "key" not in listed["items"][0]
    assert listed["items"][0]["last_used_at"] is not None

    revoked = await client.delete(f"/v1/api-keys/{body['id']}", headers=owner.headers)
    assert revoked.status_code == 204
    assert (await client.get("/v1/applications", headers=key_headers)).status_code == 401


async def test_api_key_scopes_narrow_the_role(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    created = await client.post("/v1/api-keys", json={"name": "read only", "scopes": ["read"]}, headers=owner.headers)
    key_headers = {"Authorization": f"Bearer {created.json()['key']}"}
    refused = await client.post("/v1/applications", json={"name": "x", "type": "web"}, headers=key_headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"


async def test_a_key_cannot_exceed_its_owners_role(client: httpx.AsyncClient, make_org: Any, add_member: Any) -> None:
    viewer = await add_member(await make_org(), "viewer")
    response = await client.post("/v1/api-keys", json={"name": "sneaky", "scopes": ["admin"]}, headers=viewer.headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "scope_not_allowed"


async def test_removed_user_tokens_stop_working(client: httpx.AsyncClient, make_org: Any, add_member: Any) -> None:
    owner = await make_org()
    member = await add_member(owner, "member")
    assert (await client.get("/v1/applications", headers=member.headers)).status_code == 200
    assert (await client.delete(f"/v1/users/{member.user_id}", headers=owner.headers)).status_code == 204
    assert (await client.get("/v1/applications", headers=member.headers)).status_code == 401


async def test_lists_page_with_cursors(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    for i in range(5):
        await client.post("/v1/applications", json={"name": f"App {i}", "type": "web"}, headers=owner.headers)
    seen: list[str] = []
    cursor = None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = (await client.get(f"/v1/applications{query}", headers=owner.headers)).json()
        seen += [item["name"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"App {i}" for i in reversed(range(5))]
