"""API.md "Connections and discovery": CRUD with encrypted, masked credentials; tests of a
connection (REST, GraphQL, database) with each auth type; roles; isolation; the SSRF guard;
and secrets never in a response, a page or a log line."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.domain.connections.auth import forget_tokens

pytestmark = pytest.mark.engines

TOKEN = "tok-SECRET-bearer-9f8e7d6c5b4a"
API_KEY = "key-SECRET-apikey-0a1b2c3d4e"
PASSWORD = "pw-SECRET-basic-5e6f7a8b"
CLIENT_SECRET = "cs-SECRET-oauth-1122334455"
OAUTH_ACCESS = "at-SECRET-issued-99887766"
DB_PASSWORD = "db-SECRET-password-4242"
SECRETS = (TOKEN, API_KEY, PASSWORD, CLIENT_SECRET, OAUTH_ACCESS, DB_PASSWORD)


class Target:
    """A loopback API that accepts exactly our credentials, and an OAuth token endpoint."""

    url = ""
    token_requests = 0


@pytest.fixture
def target() -> Iterator[type[Target]]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _authorised(self) -> bool:
            auth = self.headers.get("authorization", "")
            query = parse_qs(urlsplit(self.path).query)
            basic = "Basic " + base64.b64encode(f"ada:{PASSWORD}".encode()).decode()
            return (
                auth in (f"Bearer {TOKEN}", f"Bearer {OAUTH_ACCESS}", basic)
                or self.headers.get("x-custom-key") == API_KEY
                or query.get("api_key") == [API_KEY]
            )

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/slow-health":
                self._send(200, {"ok": True})
            elif not self._authorised():
                self._send(401, {"error": "who are you"})
            else:
                self._send(200, {"ok": True})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode()
            if urlsplit(self.path).path == "/oauth/token":
                Target.token_requests += 1
                expected = "Basic " + base64.b64encode(f"client-1:{CLIENT_SECRET}".encode()).decode()
                form = parse_qs(body)
                if self.headers.get("authorization") != expected or form.get("grant_type") != ["client_credentials"]:
                    self._send(401, {"error": "invalid_client"})
                else:
                    self._send(200, {"access_token": OAUTH_ACCESS, "token_type": "bearer", "expires_in": 3600})
            elif self._authorised() and "__typename" in body:
                self._send(200, {"data": {"__typename": "Query"}})
            else:
                self._send(401, {"errors": [{"message": "unauthorised"}]})

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Target.url = f"http://127.0.0.1:{server.server_address[1]}"
    Target.token_requests = 0
    forget_tokens()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Target
    server.shutdown()
    server.server_close()


async def _application(client: httpx.AsyncClient, who: Any) -> str:
    response = await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=who.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _connect(client: httpx.AsyncClient, who: Any, app_id: str, **body: Any) -> httpx.Response:
    return await client.post(f"/v1/applications/{app_id}/connections", json=body, headers=who.headers)


def _no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


async def test_crud_with_masked_credentials(client: httpx.AsyncClient, make_org: Any, target: Any) -> None:
    owner = await make_org()
    app_id = await _application(client, owner)
    created = await _connect(
        client,
        owner,
        app_id,
        type="rest_api",
        name="Shop API",
        base_url=target.url,
        auth_type="bearer",
        credentials={"token": TOKEN},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["type"] == "rest_api"
    assert body["status"] == "pending"
    assert body["auth_type"] == "bearer"
    assert body["credentials"] == {"token": "••••" + TOKEN[-2:]}
    assert body["discovery_job_id"]
    _no_secrets(created.text)

    listed = await client.get(f"/v1/applications/{app_id}/connections", headers=owner.headers)
    assert [c["id"] for c in listed.json()["items"]] == [body["id"]]
    _no_secrets(listed.text)

    changed = await client.patch(
        f"/v1/connections/{body['id']}",
        json={"name": "Renamed", "auth_type": "basic", "credentials": {"username": "ada", "password": PASSWORD}},
        headers=owner.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Renamed"
    assert changed.json()["credentials"] == {"username": "••••••", "password": "••••" + PASSWORD[-2:]}
    _no_secrets(changed.text)
    shown = await client.get(f"/v1/connections/{body['id']}", headers=owner.headers)
    assert shown.json()["auth_type"] == "basic"
    # A rename alone keeps the stored credentials.
    renamed = await client.patch(f"/v1/connections/{body['id']}", json={"name": "Again"}, headers=owner.headers)
    assert renamed.json()["credentials"]["password"].endswith(PASSWORD[-2:])

    # At rest the credentials are a Fernet token, not JSON.
    async with client._transport.app.state.engines.postgres.pool.connection() as conn:  # type: ignore[attr-defined]
        row = await (await conn.execute("SELECT credentials_encrypted FROM connections")).fetchone()
    assert row["credentials_encrypted"].startswith("gAAAA")
    assert PASSWORD not in row["credentials_encrypted"]

    deleted = await client.delete(f"/v1/connections/{body['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/v1/connections/{body['id']}", headers=owner.headers)).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "ftp", "base_url": "http://127.0.0.1:9"}, "type"),
        ({"type": "rest_api"}, "base_url"),
        ({"type": "rest_api", "base_url": "not a url"}, "base_url"),
        ({"type": "rest_api", "base_url": "http://127.0.0.1:9", "auth_type": "bearer"}, "credentials.token"),
        (
            {
                "type": "rest_api",
                "base_url": "http://127.0.0.1:9",
                "auth_type": "oauth",
                "credentials": {"client_id": "x"},
            },
            "credentials.token_url",
        ),
        (
            {
                "type": "rest_api",
                "base_url": "http://127.0.0.1:9",
                "auth_type": "bearer",
                "credentials": {"token": "t", "x": 1},
            },
            "credentials.x",
        ),
        ({"type": "database"}, "dsn"),
        ({"type": "database", "dsn": "oracle://db.example.com/x"}, "dsn"),
        ({"type": "rest_api", "base_url": "http://127.0.0.1:9", "surprise": True}, "surprise"),
    ],
)
async def test_bad_input_is_400(client: httpx.AsyncClient, make_org: Any, body: dict[str, Any], field: str) -> None:
    owner = await make_org()
    app_id = await _application(client, owner)
    response = await _connect(client, owner, app_id, **body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] in {"invalid_request", "invalid_connection"}
    assert field.split(".")[-1] in error["message"]


async def test_roles_and_isolation(client: httpx.AsyncClient, make_org: Any, add_member: Any) -> None:
    owner = await make_org()
    viewer = await add_member(owner, "viewer")
    app_id = await _application(client, owner)
    created = await _connect(client, owner, app_id, type="grpc", base_url="grpc://127.0.0.1:9")
    assert created.status_code == 201
    assert created.json()["discovery_job_id"] is None
    connection_id = created.json()["id"]
    assert (await client.get(f"/v1/applications/{app_id}/connections", headers=viewer.headers)).status_code == 200
    denied = await _connect(client, viewer, app_id, type="grpc", base_url="grpc://127.0.0.1:9")
    assert denied.status_code == 403
    for method, suffix in [("PATCH", ""), ("DELETE", ""), ("POST", "/test"), ("POST", "/discover")]:
        response = await client.request(
            method, f"/v1/connections/{connection_id}{suffix}", json={"name": "x"}, headers=viewer.headers
        )
        assert response.status_code == 403, (method, suffix)

    stranger = await make_org("Other")
    assert (await client.get(f"/v1/connections/{connection_id}", headers=stranger.headers)).status_code == 404
    assert (await client.get(f"/v1/applications/{app_id}/connections", headers=stranger.headers)).status_code == 404
    assert (await client.post(f"/v1/connections/{connection_id}/discover", headers=stranger.headers)).status_code == 404
    assert (await _connect(client, stranger, app_id, type="grpc", base_url="grpc://h:1")).status_code == 404


@pytest.mark.parametrize(
    ("auth_type", "credentials"),
    [
        ("bearer", {"token": TOKEN}),
        ("api_key", {"key": API_KEY, "header": "X-Custom-Key"}),
        ("api_key", {"key": API_KEY, "query": "api_key"}),
        ("basic", {"username": "ada", "password": PASSWORD}),
        ("oauth", {"token_url": "", "client_id": "client-1", "client_secret": CLIENT_SECRET, "scope": "read"}),
    ],
)
async def test_test_with_each_auth_type(
    client: httpx.AsyncClient,
    make_org: Any,
    target: Any,
    auth_type: str,
    credentials: dict[str, str],
    capfd: pytest.CaptureFixture[str],
) -> None:
    logging.getLogger().setLevel(logging.DEBUG)  # whatever anything logs, secrets stay out of it
    try:
        owner = await make_org()
        app_id = await _application(client, owner)
        if auth_type == "oauth":
            credentials = {**credentials, "token_url": f"{target.url}/oauth/token"}
        created = await _connect(
            client, owner, app_id, type="rest_api", base_url=target.url, auth_type=auth_type, credentials=credentials
        )
        connection_id = created.json()["id"]
        for _ in range(2):
            tested = await client.post(f"/v1/connections/{connection_id}/test", headers=owner.headers)
            assert tested.status_code == 200, tested.text
            result = tested.json()
            assert (result["ok"], result["status_code"], result["error"]) == (True, 200, None), result
            assert result["latency_ms"] >= 0
        if auth_type == "oauth":
            # Discovery on create and two tests share one cached token.
            assert target.token_requests == 1
        shown = (await client.get(f"/v1/connections/{connection_id}", headers=owner.headers)).json()
        assert shown["status"] == "healthy"
        assert shown["last_checked_at"]
        assert shown["last_error"] is None

        # Wrong credentials: the failure in words, the connection failing.
        wrong = {
            k: ("nope-" + v if k in {"token", "key", "password", "client_secret"} else v)
            for k, v in credentials.items()
        }
        await client.patch(f"/v1/connections/{connection_id}", json={"credentials": wrong}, headers=owner.headers)
        failed = (await client.post(f"/v1/connections/{connection_id}/test", headers=owner.headers)).json()
        assert failed["ok"] is False
        assert "401" in failed["error"]
        shown = (await client.get(f"/v1/connections/{connection_id}", headers=owner.headers)).json()
        assert shown["status"] == "failing"
        assert "401" in shown["last_error"]
    finally:
        logging.getLogger().setLevel(logging.WARNING)
    out, err = capfd.readouterr()
    _no_secrets(out + err)


async def test_graphql_test_posts_typename(client: httpx.AsyncClient, make_org: Any, target: Any) -> None:
    owner = await make_org()
    app_id = await _application(client, owner)
    created = await _connect(
        client,
        owner,
        app_id,
        type="graphql",
        base_url=f"{target.url}/graphql",
        auth_type="bearer",
        credentials={"token": TOKEN},
    )
    result = (await client.post(f"/v1/connections/{created.json()['id']}/test", headers=owner.headers)).json()
    assert result["ok"] is True
    assert result["status_code"] == 200


async def test_health_path_and_private_targets(client: httpx.AsyncClient, make_org: Any, target: Any) -> None:
    owner = await make_org()
    app_id = await _application(client, owner)
    public = await _connect(
        client, owner, app_id, type="rest_api", base_url=target.url, config={"health_path": "/slow-health"}
    )
    result = (await client.post(f"/v1/connections/{public.json()['id']}/test", headers=owner.headers)).json()
    assert result["ok"] is True  # no credentials, but the health path is open
    for url in ("http://10.0.0.5/", "http://169.254.169.254/latest/meta-data"):
        created = await _connect(
            client, owner, app_id, type="rest_api", base_url=url, auth_type="bearer", credentials={"token": TOKEN}
        )
        assert created.status_code == 201
        result = (await client.post(f"/v1/connections/{created.json()['id']}/test", headers=owner.headers)).json()
        assert result["ok"] is False
        assert "private, loopback or link-local" in result["error"], result


async def test_database_test_with_dsn_hidden(client: httpx.AsyncClient, make_org: Any, started_app: Any) -> None:
    owner = await make_org()
    app_id = await _application(client, owner)
    dsn = started_app.state.engines.postgres.url
    created = await _connect(client, owner, app_id, type="database", name="Primary DB", dsn=dsn)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["base_url"] is None
    assert set(body["credentials"]) == {"dsn"}
    assert dsn not in created.text
    result = (await client.post(f"/v1/connections/{body['id']}/test", headers=owner.headers)).json()
    assert result == {"ok": True, "latency_ms": result["latency_ms"], "status_code": None, "error": None}

    bad = await _connect(client, owner, app_id, type="database", dsn=f"postgresql://nobody:{DB_PASSWORD}@127.0.0.1:1/x")
    result = (await client.post(f"/v1/connections/{bad.json()['id']}/test", headers=owner.headers)).json()
    assert result["ok"] is False
    assert "Could not connect" in result["error"]
    _no_secrets(json.dumps(result))
    private = await _connect(client, owner, app_id, type="database", dsn=f"postgresql://u:{DB_PASSWORD}@10.0.0.5/x")
    result = (await client.post(f"/v1/connections/{private.json()['id']}/test", headers=owner.headers)).json()
    assert result["ok"] is False
    assert "10.0.0.5" in result["error"]
