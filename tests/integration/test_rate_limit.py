"""Per-organisation sliding-window rate limits with API.md's headers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar

from app.settings import RateLimitSettings


@pytest.fixture
def tight_limit(started_app: Litestar) -> Iterator[int]:
    settings = started_app.state.settings
    started_app.state.settings = msgspec.structs.replace(
        settings, rate_limit=RateLimitSettings(requests=5, window_s=60)
    )
    yield 5
    started_app.state.settings = settings


async def test_limit_headers_then_429(client: httpx.AsyncClient, make_org: Any, tight_limit: int) -> None:
    owner = await make_org()
    remaining = []
    for _ in range(tight_limit):
        response = await client.get("/v1/applications", headers=owner.headers)
        assert response.status_code == 200
        assert response.headers["ratelimit-limit"] == str(tight_limit)
        remaining.append(int(response.headers["ratelimit-remaining"]))
        assert 0 < int(response.headers["ratelimit-reset"]) <= 60
    assert remaining == [4, 3, 2, 1, 0]
    over = await client.get("/v1/applications", headers=owner.headers)
    assert over.status_code == 429
    assert over.json()["error"]["code"] == "rate_limited"
    assert 0 < int(over.headers["retry-after"]) <= 60


async def test_limits_are_per_organisation(
    client: httpx.AsyncClient, make_org: Any, add_member: Any, tight_limit: int
) -> None:
    busy = await make_org("Busy")
    colleague = await add_member(busy, "member")
    quiet = await make_org("Quiet")
    for _ in range(tight_limit):
        await client.get("/v1/applications", headers=busy.headers)
    # Colleagues share their organisation's budget; other organisations are unaffected.
    assert (await client.get("/v1/applications", headers=colleague.headers)).status_code == 429
    assert (await client.get("/v1/applications", headers=quiet.headers)).status_code == 200


async def test_service_routes_are_not_limited(client: httpx.AsyncClient, tight_limit: int) -> None:
    for _ in range(tight_limit + 3):
        response = await client.get("/health")
        assert response.status_code == 200
        assert "ratelimit-limit" not in response.headers
