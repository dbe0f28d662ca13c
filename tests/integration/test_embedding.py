"""API.md "Embedding": settings, secret rotation, and embed-token verification."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from litestar import Litestar

from app.domain.embeds import service
from app.domain.embeds.tokens import EmbedTokenError
from tests.integration.conftest import Member


async def test_settings_are_admin_only(client: httpx.AsyncClient, make_org: Any, add_member: Any) -> None:
    owner = await make_org()
    member = await add_member(owner, "member")
    assert (await client.get("/v1/embedding", headers=member.headers)).status_code == 403
    settings = (await client.get("/v1/embedding", headers=owner.headers)).json()
    assert len(settings["secret"]) >= 32
    assert settings["allowed_origins"] == []


async def test_origins_are_validated_and_secret_rotates(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    first = (await client.get("/v1/embedding", headers=owner.headers)).json()["secret"]
    updated = await client.put(
        "/v1/embedding",
        json={"allowed_origins": ["https://Shop.example/", "http://localhost:3000"]},
        headers=owner.headers,
    )
    assert updated.json()["allowed_origins"] == ["https://shop.example", "http://localhost:3000"]
    for bad in (["javascript:alert(1)"], ["https://a.example/path"], ["*"]):
        response = await client.put("/v1/embedding", json={"allowed_origins": bad}, headers=owner.headers)
        assert response.status_code == 400, bad
    rotated = (await client.post("/v1/embedding/rotate", headers=owner.headers)).json()
    assert rotated["secret"] != first
    assert rotated["allowed_origins"] == ["https://shop.example", "http://localhost:3000"]


async def _panel(started_app: Litestar, owner: Member) -> str:
    async with started_app.state.engines.postgres.pool.connection() as conn:
        dashboard = await (
            await conn.execute(
                "INSERT INTO dashboards (org_id, name) VALUES (%s, 'D') RETURNING id::text", (owner.org_id,)
            )
        ).fetchone()
        panel = await (
            await conn.execute(
                """INSERT INTO panels (org_id, dashboard_id, chart_type, query) VALUES (%s, %s, 'line', '{}')
                   RETURNING id::text""",
                (owner.org_id, dashboard["id"]),
            )
        ).fetchone()
    return str(panel["id"])


async def _grant(started_app: Litestar, token: str) -> Any:
    async with started_app.state.engines.postgres.pool.connection() as conn:
        return await service.grant_for(conn, started_app.state.secret_box, token)


async def test_embed_tokens(client: httpx.AsyncClient, make_org: Any, started_app: Litestar) -> None:
    owner = await make_org("Owner")
    other = await make_org("Other")
    secret = (await client.get("/v1/embedding", headers=owner.headers)).json()["secret"]
    other_secret = (await client.get("/v1/embedding", headers=other.headers)).json()["secret"]
    panel = await _panel(started_app, owner)
    claims = {"resource": {"panel": panel}, "params": {"country": "FR"}, "exp": int(time.time()) + 600}

    grant, origins = await _grant(started_app, jwt.encode(claims, secret, algorithm="HS256"))
    assert (grant.kind, grant.resource_id, grant.org_id, grant.params) == (
        "panel",
        panel,
        owner.org_id,
        {"country": "FR"},
    )
    assert origins == []

    cases = [
        (jwt.encode({**claims, "exp": int(time.time()) - 5}, secret, algorithm="HS256"), 401),  # expired
        (jwt.encode(claims, secret, algorithm="HS256")[:-3] + "abc", 401),  # tampered
        (jwt.encode(claims, other_secret, algorithm="HS256"), 401),  # signed by another organisation
        (jwt.encode(claims, other_secret, algorithm="HS256", headers={"kid": other.org_id}), 403),  # foreign
        (jwt.encode({k: v for k, v in claims.items() if k != "exp"}, secret, algorithm="HS256"), 401),  # no expiry
        ("not-a-jwt", 401),
    ]
    for token, status in cases:
        with pytest.raises(EmbedTokenError) as refused:
            await _grant(started_app, token)
        assert refused.value.status == status
