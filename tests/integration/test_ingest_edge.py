"""edge.py answers the ingest routes in front of Litestar: same answers, same headers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.types import Receive, Scope, Send

from app.domain.ingest.edge import IngestEdge


@pytest.fixture
async def app_key(client: httpx.AsyncClient, make_org: Any) -> str:
    owner = await make_org()
    app = (await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=owner.headers)).json()
    return str(app["ingest_key"])


@pytest.fixture
async def litestar_only(started_app: Litestar, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests skip the edge and go through Litestar's own handlers."""
    edge = started_app.asgi_handler
    assert isinstance(edge, IngestEdge)

    async def through_litestar(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = scope["litestar_app"] = started_app  # type: ignore[typeddict-unknown-key]
        scope.setdefault("state", {})
        await edge.downstream(scope, receive, send)

    transport = httpx.ASGITransport(app=through_litestar)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def _requests(key: str) -> list[tuple[str, dict[str, str], bytes]]:
    headers = {"X-API-Key": key, "content-type": "application/json"}

    def batch(*events: str) -> bytes:
        return ('{"events": [' + ",".join(events) + "]}").encode()

    good = '{"event": "pageview", "distinct_id": "u1", "uuid": "%s"}'
    return [
        ("/v1/events/batch", headers, batch(good % uuid.uuid4(), '{"event": "", "distinct_id": "u1"}')),
        ("/v1/events", headers, b'{"event": "signup", "distinct_id": "u2", "timestamp": "yesterday"}'),
        ("/v1/events/batch", {"content-type": "text/plain"}, b'{"api_key": "%s", "events": []}' % key.encode()),
        (
            "/v1/performance/batch",
            headers,
            b'{"metrics": [{"endpoint": "/a", "method": "GET", "status_code": 700, "duration_ms": 1}]}',
        ),
        ("/v1/events/batch", headers, b'{"events": ['),
        ("/v1/events/batch", headers, b'{"events": [{"event": 1, "distinct_id": "u"}]}'),
        ("/v1/events/batch", headers, batch(*['{"event": "x", "distinct_id": "u"}'] * 10_001)),
        ("/v1/events/batch", {"content-type": "application/json"}, batch()),
        ("/v1/events/batch", {"X-API-Key": "nk_nope_nope"}, batch()),
    ]


async def test_the_edge_answers_exactly_as_litestar_would(
    client: httpx.AsyncClient, litestar_only: httpx.AsyncClient, app_key: str
) -> None:
    for path, headers, body in _requests(app_key):
        edge = await client.post(path, content=body, headers=headers)
        litestar = await litestar_only.post(path, content=body, headers=headers)
        assert (edge.status_code, edge.json()) == (litestar.status_code, litestar.json()), (path, body[:80])
        assert edge.headers.get("retry-after") == litestar.headers.get("retry-after")
    statuses = [(await client.post(p, content=b, headers=h)).status_code for p, h, b in _requests(app_key)]
    assert statuses == [200, 200, 200, 200, 400, 400, 413, 401, 401]


async def test_edge_answers_carry_the_request_id_security_and_cors_headers(
    client: httpx.AsyncClient, app_key: str
) -> None:
    response = await client.post(
        "/v1/events",
        json={"event": "pageview", "distinct_id": "u1"},
        headers={"X-API-Key": app_key, "X-Request-ID": "trace-42", "Origin": "https://shop.example"},
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "trace-42"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["access-control-allow-origin"] == "*"
    assert "retry-after" in response.headers["access-control-expose-headers"]
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)  # not chunked
    # The browser's preflight is Litestar's to answer.
    preflight = await client.options(
        "/v1/events",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-api-key",
        },
    )
    assert preflight.status_code in (200, 204)
    assert "POST" in preflight.headers["access-control-allow-methods"]


async def test_other_methods_and_routes_pass_through(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/events")).status_code == 405
    assert (await client.get("/health")).status_code == 200


async def test_requests_are_counted(client: httpx.AsyncClient, app_key: str) -> None:
    await client.post("/v1/events", json={"event": "x", "distinct_id": "u"}, headers={"X-API-Key": app_key})
    await client.post("/v1/events", json={"event": "x", "distinct_id": "u"}, headers={"X-API-Key": "nk_bad_bad"})
    metrics = (await client.get("/metrics")).text
    assert 'nexus_ingest_requests_total{route="/v1/events",status="200"}' in metrics
    assert 'nexus_ingest_requests_total{route="/v1/events",status="401"}' in metrics
