"""REST discovery end to end: documents found at their usual places (this project's own
OpenAPI, a Swagger 2.0 YAML, an OpenAPI 3.1 split across files, one linked from a docs page),
probing when there is none, the SSRF guard, and what the API then lists."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from litestar import Litestar

pytestmark = pytest.mark.engines

FIXTURES = Path(__file__).parents[1] / "fixtures" / "openapi"
TOKEN = "probe-SECRET-token-123456"
JSON = "application/json"


class Site:
    """A loopback HTTP server answering from a routes table; paths in `protected` need TOKEN."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes]] = {}
        self.protected: set[str] = set()
        self.url = ""
        self.hits: list[str] = []

    def json(self, path: str, body: Any, status: int = 200) -> None:
        self.routes[path] = (status, JSON, json.dumps(body).encode())

    def text(self, path: str, content_type: str, body: str) -> None:
        self.routes[path] = (200, content_type, body.encode())


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            state.hits.append(path)
            status, content_type, body = state.routes.get(path, (404, JSON, b'{"error": "not found"}'))
            if path in state.protected and self.headers.get("authorization") != f"Bearer {TOKEN}":
                status, content_type, body = 401, JSON, b'{"error": "unauthorised"}'
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


async def _application(client: httpx.AsyncClient, who: Any) -> str:
    response = await client.post(
        "/v1/applications", json={"name": f"Shop {uuid.uuid4().hex[:6]}", "type": "web"}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _wait(client: httpx.AsyncClient, who: Any, job_id: str) -> dict[str, Any]:
    for _ in range(300):
        job = (await client.get(f"/v1/jobs/{job_id}", headers=who.headers)).json()
        if job["status"] in ("completed", "failed"):
            return dict(job)
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


async def _discover(client: httpx.AsyncClient, who: Any, base_url: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    """Create a connection (which starts discovery) and wait for that run."""
    app_id = await _application(client, who)
    created = await client.post(
        f"/v1/applications/{app_id}/connections",
        json={"type": "rest_api", "base_url": base_url, **extra},
        headers=who.headers,
    )
    assert created.status_code == 201, created.text
    return app_id, await _wait(client, who, created.json()["discovery_job_id"])


async def _endpoints(client: httpx.AsyncClient, who: Any, app_id: str, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/applications/{app_id}/endpoints", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    methods = {"get", "put", "post", "delete", "patch", "head", "options"}
    return {(m.upper(), path) for path, item in doc["paths"].items() for m in item if m in methods}


async def test_our_own_openapi_document_is_found_exactly(
    client: httpx.AsyncClient, make_org: Any, site: Site, app: Litestar
) -> None:
    document = app.openapi_schema.to_schema()
    site.json("/schema/openapi.json", document)
    owner = await make_org()
    app_id, job = await _discover(client, owner, site.url)
    assert job["status"] == "completed", job
    steps = [step["name"] for step in job["steps"]]
    expected = _operations(document)
    assert steps[:3] == ["Started", "Looking for an API document", "Found /schema/openapi.json"]
    assert f"Parsed {len(expected)} operations" in steps
    assert steps[-1] == "Stored"
    found = await _endpoints(client, owner, app_id, limit=1000)
    assert {(e["method"], e["path"]) for e in found} == expected
    assert job["result"]["stored"] == len(expected)
    create = next(e for e in found if (e["method"], e["path"]) == ("POST", "/v1/applications/{app_id}/connections"))
    assert create["request_schema"]["properties"]["type"]["enum"] == ["rest_api", "graphql", "database", "grpc"]
    application = (await client.get(f"/v1/applications/{app_id}", headers=owner.headers)).json()
    assert application["status"] == "active"
    assert application["learning_progress"] == 100


async def test_swagger2_yaml(client: httpx.AsyncClient, make_org: Any, site: Site) -> None:
    site.text("/swagger.yaml", "application/yaml", (FIXTURES / "petstore-swagger2.yaml").read_text())
    owner = await make_org()
    app_id, job = await _discover(client, owner, site.url + "/", auth_type="bearer", credentials={"token": TOKEN})
    assert job["status"] == "completed", job
    found = {(e["method"], e["path"]): e for e in await _endpoints(client, owner, app_id)}
    # Under the document's basePath (/v2): the paths its operations answer at.
    assert set(found) == {
        ("GET", "/v2/pets"),
        ("POST", "/v2/pets"),
        ("GET", "/v2/pets/{petId}"),
        ("DELETE", "/v2/pets/{petId}"),
        ("PUT", "/v2/pets/{petId}/photo"),
    }
    assert found[("POST", "/v2/pets")]["request_schema"]["required"] == ["name"]
    assert found[("POST", "/v2/pets")]["auth_required"] is True
    assert found[("GET", "/v2/pets")]["auth_required"] is False
    assert found[("DELETE", "/v2/pets/{petId}")]["parameters"][0]["name"] == "petId"


async def test_openapi31_split_across_files(client: httpx.AsyncClient, make_org: Any, site: Site) -> None:
    site.text("/openapi.json", JSON, (FIXTURES / "split" / "openapi.json").read_text())
    site.text("/schemas/common.json", JSON, (FIXTURES / "split" / "common.json").read_text())
    site.text("/schemas/money.json", JSON, (FIXTURES / "split" / "money.json").read_text())
    owner = await make_org()
    app_id, job = await _discover(client, owner, site.url)
    assert job["status"] == "completed", job
    fetched = next(step for step in job["steps"] if step["name"] == "Fetched referenced documents")
    assert fetched["detail"].startswith("2 referenced documents fetched")
    assert "partners.example.com" in fetched["detail"]  # another host: not followed
    assert "/schemas/money.json" in site.hits
    found = {(e["method"], e["path"]): e for e in await _endpoints(client, owner, app_id)}
    assert set(found) == {
        ("GET", "/orders"),
        ("POST", "/orders"),
        ("GET", "/orders/{orderId}"),
        ("PATCH", "/orders/{orderId}"),
        ("GET", "/categories"),
        ("GET", "/partners"),
    }
    order = found[("GET", "/orders/{orderId}")]["response_schema"]["200"]
    assert order["properties"]["total"]["properties"]["currency"] == {"type": "string", "minLength": 3, "maxLength": 3}
    assert found[("GET", "/orders")]["parameters"][0]["schema"]["maximum"] == 100

    # Search and pages.
    assert [e["path"] for e in await _endpoints(client, owner, app_id, q="categor")] == ["/categories"]
    assert {e["method"] for e in await _endpoints(client, owner, app_id, q="patch")} == {"PATCH"}
    first = (await client.get(f"/v1/applications/{app_id}/endpoints?limit=4", headers=owner.headers)).json()
    rest = await _endpoints(client, owner, app_id, limit=4, cursor=first["next_cursor"])
    assert len(first["items"]) == 4
    assert len(rest) == 2
    assert {e["id"] for e in first["items"]}.isdisjoint({e["id"] for e in rest})
    bad = await client.get(f"/v1/applications/{app_id}/endpoints?cursor=nope", headers=owner.headers)
    assert bad.status_code == 400


async def test_document_linked_from_a_docs_page_and_rediscovery_replaces(
    client: httpx.AsyncClient, make_org: Any, site: Site
) -> None:
    page = '<html><script>SwaggerUIBundle({url: "/static/spec/v9.json", dom_id: "#ui"})</script></html>'
    site.text("/docs", "text/html; charset=utf-8", page)
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {"responses": {}}}}}
    site.json("/static/spec/v9.json", doc)
    owner = await make_org()
    app_id, job = await _discover(client, owner, site.url + "/docs")
    assert job["status"] == "completed", job
    assert [(e["method"], e["path"]) for e in await _endpoints(client, owner, app_id)] == [("GET", "/a")]

    doc["paths"] = {"/b": {"post": {"responses": {}}}, "/c": {"delete": {"responses": {}}}}
    site.json("/static/spec/v9.json", doc)
    connection = (await client.get(f"/v1/applications/{app_id}/connections", headers=owner.headers)).json()["items"][0]
    started = await client.post(f"/v1/connections/{connection['id']}/discover", headers=owner.headers)
    assert started.status_code == 202
    assert (await _wait(client, owner, started.json()["job_id"]))["status"] == "completed"
    assert [(e["method"], e["path"]) for e in await _endpoints(client, owner, app_id)] == [
        ("POST", "/b"),
        ("DELETE", "/c"),
    ]


async def test_probing_without_a_document(client: httpx.AsyncClient, make_org: Any, site: Site) -> None:
    users = [
        {"id": 1, "email": "ada@example.com", "joined": "2024-01-02T03:04:05Z", "team": None},
        {
            "id": 2,
            "email": "bob@example.com",
            "joined": "2024-02-03T04:05:06Z",
            "team": "blue",
            "key": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
        },
    ]
    site.json("/api/users", users)
    site.json("/api/users/1", users[0])
    site.protected.add("/api/users")
    site.json("/orders", [])
    site.protected.add("/orders")
    site.json("/health", {"status": "ok", "docs": "https://example.com/docs"})
    owner = await make_org()
    # Without credentials /orders still answers 401: it exists and needs auth.
    app_id, job = await _discover(client, owner, site.url)
    assert job["status"] == "completed", job
    assert "No API document found; probing common paths" in [s["name"] for s in job["steps"]]
    found = {(e["method"], e["path"]): e for e in await _endpoints(client, owner, app_id)}
    assert set(found) == {("GET", "/api/users"), ("GET", "/orders"), ("GET", "/health")}
    assert found[("GET", "/orders")]["auth_required"] is True
    assert found[("GET", "/health")]["response_schema"]["200"]["properties"]["docs"]["format"] == "uri"

    # With the token the users collection answers; its item route is found too.
    app_id, job = await _discover(client, owner, site.url, auth_type="bearer", credentials={"token": TOKEN})
    found = {(e["method"], e["path"]): e for e in await _endpoints(client, owner, app_id)}
    assert ("GET", "/api/users/{id}") in found
    listing = found[("GET", "/api/users")]
    assert listing["auth_required"] is True  # refused without the token
    item = listing["response_schema"]["200"]["items"]
    assert item["properties"]["email"] == {"type": "string", "format": "email"}
    assert item["properties"]["joined"] == {"type": "string", "format": "date-time"}
    assert item["properties"]["team"] == {"type": ["string", "null"]}
    assert item["properties"]["key"] == {"type": "string", "format": "uuid"}
    assert item["required"] == ["email", "id", "joined", "team"]


@pytest.mark.parametrize("host", ["10.0.0.5", "169.254.169.254"])
async def test_private_targets_fail_the_job_in_words(client: httpx.AsyncClient, make_org: Any, host: str) -> None:
    owner = await make_org()
    app_id, job = await _discover(client, owner, f"http://{host}/api", auth_type="bearer", credentials={"token": TOKEN})
    assert job["status"] == "failed"
    assert host in job["error"]
    assert "private, loopback or link-local" in job["error"]
    assert TOKEN not in json.dumps(job)
    application = (await client.get(f"/v1/applications/{app_id}", headers=owner.headers)).json()
    assert application["status"] == "error"


async def test_grpc_is_not_supported_yet_and_tables_read(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    app_id = await _application(client, owner)
    created = await client.post(
        f"/v1/applications/{app_id}/connections",
        json={"type": "grpc", "base_url": "grpc://127.0.0.1:9"},
        headers=owner.headers,
    )
    started = await client.post(f"/v1/connections/{created.json()['id']}/discover", headers=owner.headers)
    job = await _wait(client, owner, started.json()["job_id"])
    assert job["status"] == "failed"
    assert job["error"] == "Discovery of gRPC services is not supported yet."
    tables = await client.get(f"/v1/applications/{app_id}/tables", headers=owner.headers)
    assert tables.status_code == 200
    assert tables.json() == {"items": [], "next_cursor": None}
    stranger = await make_org("Other")
    assert (await client.get(f"/v1/applications/{app_id}/endpoints", headers=stranger.headers)).status_code == 404


def _csrf(html: str) -> str:
    return html.split('name="csrf-token" content="')[1].split('"')[0]


async def test_connections_and_endpoints_tabs(
    client: httpx.AsyncClient, make_org: Any, login: Any, site: Site, capfd: pytest.CaptureFixture[str]
) -> None:
    site.text("/openapi.json", JSON, (FIXTURES / "split" / "openapi.json").read_text())
    site.text("/schemas/common.json", JSON, (FIXTURES / "split" / "common.json").read_text())
    site.text("/schemas/money.json", JSON, (FIXTURES / "split" / "money.json").read_text())
    owner = await make_org()
    app_id = await _application(client, owner)
    browser = await login(owner)

    empty = await browser.get(f"/applications/{app_id}/endpoints")
    assert empty.status_code == 200
    assert "No endpoints discovered yet" in empty.text
    assert f'href="/applications/{app_id}/connections"' in empty.text
    page = await browser.get(f"/applications/{app_id}/connections")
    assert "No connections yet" in page.text

    form = await browser.get(f"/applications/{app_id}/connections/new")
    assert form.status_code == 200
    assert 'name="base_url"' in form.text
    fields = await browser.get(f"/applications/{app_id}/connections/fields?type=rest_api&auth_type=bearer")
    assert 'name="token"' in fields.text
    assert 'type="password"' in fields.text
    db_fields = await browser.get(f"/applications/{app_id}/connections/fields?type=database")
    assert 'name="dsn"' in db_fields.text
    assert 'name="base_url"' not in db_fields.text
    token = form.text.split('name="_csrf_token" value="')[1].split('"')[0]

    bad = await browser.post(
        f"/applications/{app_id}/connections/",
        data={"_csrf_token": token, "type": "rest_api", "base_url": site.url, "auth_type": "bearer"},
    )
    assert bad.status_code == 400
    assert "token" in bad.text
    created = await browser.post(
        f"/applications/{app_id}/connections/",
        data={
            "_csrf_token": token,
            "type": "rest_api",
            "name": "Orders API",
            "base_url": site.url,
            "auth_type": "bearer",
            "token": TOKEN,
        },
    )
    assert created.status_code == 303, created.text
    listing = await browser.get(f"/applications/{app_id}/connections")
    assert "Orders API" in listing.text
    assert "••••" + TOKEN[-2:] in listing.text
    assert TOKEN not in listing.text
    connection_id = listing.text.split('data-connection="')[1].split('"')[0]

    # The discovery area polls while the job runs and stops once it is done.
    for _ in range(200):
        fragment = await browser.get(f"/applications/{app_id}/connections/{connection_id}/discovery")
        if 'hx-trigger="every 500ms"' not in fragment.text:
            break
        assert 'role="progressbar"' in fragment.text
        await asyncio.sleep(0.05)
    assert "Discovery finished" in fragment.text
    assert 'aria-valuenow="100"' in fragment.text
    assert "Parsed 6 operations" in fragment.text
    assert "See the endpoints" in fragment.text

    headers = {"x-csrftoken": _csrf(listing.text), "hx-request": "true"}
    tested = await browser.post(f"/applications/{app_id}/connections/{connection_id}/test", headers=headers)
    assert tested.status_code == 200
    assert "Connected in" in tested.text
    started = await browser.post(f"/applications/{app_id}/connections/{connection_id}/discover", headers=headers)
    assert started.status_code == 200
    assert 'role="progressbar"' in started.text

    endpoints = await browser.get(f"/applications/{app_id}/endpoints")
    assert endpoints.text.count('<details class="endpoint">') == 6
    assert 'class="method method--patch"' in endpoints.text
    assert "Response 200 schema" in endpoints.text
    search = await browser.get(
        f"/applications/{app_id}/endpoints?q=categor", headers={"hx-request": "true", "hx-target": "endpoint-results"}
    )
    assert search.text.lstrip().startswith('<div id="endpoint-results"')
    assert search.text.count('<details class="endpoint">') == 1

    edit = await browser.get(f"/applications/{app_id}/connections/{connection_id}/edit")
    assert edit.status_code == 200
    assert TOKEN not in edit.text
    saved = await browser.post(
        f"/applications/{app_id}/connections/{connection_id}/edit",
        data={"_csrf_token": token, "name": "Orders", "base_url": site.url, "auth_type": "bearer", "token": ""},
    )
    assert saved.status_code == 303, saved.text
    shown = (await client.get(f"/v1/connections/{connection_id}", headers=owner.headers)).json()
    assert shown["name"] == "Orders"
    assert shown["credentials"] == {"token": "••••" + TOKEN[-2:]}

    removed = await browser.post(
        f"/applications/{app_id}/connections/{connection_id}/delete", data={"_csrf_token": token}
    )
    assert removed.status_code == 303
    assert (await client.get(f"/v1/applications/{app_id}/endpoints", headers=owner.headers)).json()["items"] == []
    out, err = capfd.readouterr()
    assert TOKEN not in out + err
