"""API.md "Service": /health, /ready, /metrics, /schema/openapi.json."""

from __future__ import annotations

import httpx


async def test_health_is_ok_without_auth(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_every_engine(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok", "clickhouse": "ok"}}


async def test_responses_carry_a_request_id_and_echo_a_sane_one(client: httpx.AsyncClient) -> None:
    generated = await client.get("/health")
    assert len(generated.headers["x-request-id"]) == 32
    echoed = await client.get("/health", headers={"X-Request-ID": "trace-abc.123"})
    assert echoed.headers["x-request-id"] == "trace-abc.123"
    refused = await client.get("/health", headers={"X-Request-ID": "bad id\\nwith newline"})
    assert refused.headers["x-request-id"] != "bad id\\nwith newline"


async def test_errors_outside_the_middleware_stack_carry_the_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/applications")
    assert response.status_code == 401
    assert response.headers["x-request-id"]


async def test_metrics_is_prometheus_text(client: httpx.AsyncClient) -> None:
    await client.get("/health")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "nexus_requests_total" in response.text


async def test_openapi_describes_every_v1_route(client: httpx.AsyncClient, started_app: object) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    served = {
        (route.path, method)
        for route in started_app.routes  # type: ignore[attr-defined]
        if route.path.startswith("/v1/")
        for method in getattr(route, "methods", set()) - {"OPTIONS", "HEAD"}
    }
    normalised = {(path.replace(":uuid", "").replace(":str", ""), method) for path, method in served}
    assert normalised <= documented, normalised - documented

    # Bearer by default; the open routes say so, and ingestion names its own key.
    assert document["security"] == [{"bearer": []}]
    paths = document["paths"]
    for path, method in (("/health", "get"), ("/ready", "get"), ("/v1/auth/token", "post")):
        assert paths[path][method]["security"] == [], path
    assert paths["/v1/events/batch"]["post"]["security"] == [{"ingest_key": []}]
    assert "security" not in paths["/v1/applications"]["get"]


async def test_security_headers_on_pages_and_api(client: httpx.AsyncClient) -> None:
    for path in ("/login", "/health", "/v1/applications"):
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["content-security-policy"] == "frame-ancestors 'none'", path
        assert "strict-transport-security" not in response.headers  # plain http here
