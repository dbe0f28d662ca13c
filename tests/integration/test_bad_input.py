"""Bad input gets a clear 4xx in API.md's error shape, never a 500, and nothing half-written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

ERROR_KEYS = {"code", "message", "details"}


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == ERROR_KEYS
    assert body["error"]["message"].endswith(".")
    if code:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"", "invalid_request"),
        (b"[]", "invalid_request"),
        (b'{"type": "web"}', "invalid_request"),
        (b'{"name": 42, "type": "web"}', "invalid_request"),
        (b'{"name": "x", "type": "spaceship"}', "invalid_request"),
        (b'{"name": "", "type": "web"}', "invalid_request"),
        (b'{"name": "x", "type": "web", "base_url": "javascript:alert(1)"}', "invalid_request"),
        (b'{"name": "x", "type": "web", "surprise": true}', "invalid_request"),
    ],
)
async def test_malformed_application_bodies(client: httpx.AsyncClient, make_org: Any, body: bytes, code: str) -> None:
    owner = await make_org()
    response = await client.post(
        "/v1/applications", content=body, headers={**owner.headers, "content-type": "application/json"}
    )
    assert_error(response, 400, code)
    assert (await client.get("/v1/applications", headers=owner.headers)).json()["items"] == []


async def test_validation_errors_name_the_field(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    response = await client.post("/v1/applications", json={"name": "x", "type": "spaceship"}, headers=owner.headers)
    error = assert_error(response, 400, "invalid_request")
    assert "type" in error["message"]


async def test_oversize_body_is_413(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    huge = b'{"name": "' + b"x" * (6 * 1024 * 1024) + b'", "type": "web"}'
    response = await client.post(
        "/v1/applications", content=huge, headers={**owner.headers, "content-type": "application/json"}
    )
    assert_error(response, 413, "payload_too_large")


async def test_unknown_route_and_method(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    assert_error(await client.get("/v1/nothing-here", headers=owner.headers), 404, "not_found")
    assert_error(await client.put("/v1/applications", headers=owner.headers), 405, "method_not_allowed")


async def test_malformed_ids_and_queries(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    assert_error(await client.get("/v1/applications/not-a-uuid", headers=owner.headers), 404)
    assert_error(await client.get("/v1/applications?limit=0", headers=owner.headers), 400)
    assert_error(await client.get("/v1/applications?limit=banana", headers=owner.headers), 400)
    assert_error(await client.get("/v1/applications?cursor=%%%", headers=owner.headers), 400, "invalid_cursor")


async def test_duplicate_name_is_409_and_keeps_the_first(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    first = await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=owner.headers)
    assert first.status_code == 201
    again = await client.post("/v1/applications", json={"name": "Shop", "type": "saas"}, headers=owner.headers)
    assert_error(again, 409, "name_taken")
    items = (await client.get("/v1/applications", headers=owner.headers)).json()["items"]
    assert [(a["name"], a["type"]) for a in items] == [("Shop", "web")]


async def test_token_route_bad_bodies(client: httpx.AsyncClient) -> None:
    assert_error(
        await client.post("/v1/auth/token", content=b"nope", headers={"content-type": "application/json"}), 400
    )
    assert_error(await client.post("/v1/auth/token", json={"email": "a@b.c"}), 400, "invalid_request")
    assert_error(await client.post("/v1/auth/token", json={"email": 1, "password": 2}), 400, "invalid_request")


async def test_invite_bad_role_and_email(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    assert_error(await client.post("/v1/users", json={"email": "x@y.z", "role": "god"}, headers=owner.headers), 400)
    assert_error(
        await client.post("/v1/users", json={"email": "not-an-email", "role": "viewer"}, headers=owner.headers), 400
    )
    taken = await client.post("/v1/users", json={"email": owner.email, "role": "viewer"}, headers=owner.headers)
    assert_error(taken, 409, "email_taken")
