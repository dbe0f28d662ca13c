"""Connection health: the periodic tick against a loopback API that we switch between healthy,
slow, failing and refusing credentials; statuses, check rows, live frames, insights, the Health tab."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar

from app.domain.connections.health_pages import task_context
from app.domain.connections.health_tasks import health_tick
from realtime.frames import ConnectionFrame

pytestmark = pytest.mark.engines


class Target:
    """A tiny API on 127.0.0.1 whose behaviour the test switches."""

    def __init__(self) -> None:
        self.mode = "healthy"
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if target.mode == "slow":
                    time.sleep(0.3)
                code = {"failing": 500, "unauthorized": 401}.get(target.mode, 200)
                body = json.dumps({"mode": target.mode}).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def target() -> Iterator[Target]:
    serving = Target()
    yield serving
    serving.server.shutdown()
    serving.server.server_close()


async def _setup(client: httpx.AsyncClient, owner: Any, target: Target) -> tuple[str, str]:
    app = await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=owner.headers)
    assert app.status_code == 201, app.text
    created = await client.post(
        f"/v1/applications/{app.json()['id']}/connections",
        json={"type": "rest_api", "name": "Shop API", "base_url": target.url, "config": {"slow_ms": 150}},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    # Discovery starts with the connection and probes the same host: let it finish first so
    # its requests do not slow the checks under test.
    job_id = created.json()["discovery_job_id"]
    for _ in range(200):
        job = (await client.get(f"/v1/jobs/{job_id}", headers=owner.headers)).json()
        if job["status"] in ("completed", "failed"):
            break
        await asyncio.sleep(0.05)
    return app.json()["id"], created.json()["id"]


class Ticker:
    """Runs the health tick as the scheduler would, each time far enough ahead to make every connection due."""

    def __init__(self, app: Litestar) -> None:
        self.ctx = task_context(app.state)
        self.ticks = 0

    async def __call__(self) -> dict[str, Any]:
        self.ticks += 1
        return await health_tick(self.ctx, now=datetime.now(UTC) + timedelta(hours=self.ticks))


async def _connection(client: httpx.AsyncClient, owner: Any, connection_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/connections/{connection_id}", headers=owner.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _insights(client: httpx.AsyncClient, owner: Any, app_id: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/insights", params={"app_id": app_id}, headers=owner.headers)
    assert response.status_code == 200, response.text
    return [item for item in response.json()["items"] if item["data"].get("detector") == "connection_health"]


async def _checks(app: Litestar, connection_id: str) -> list[dict[str, Any]]:
    async with app.state.engines.postgres.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT ok, latency_ms, status_code, error FROM connection_checks WHERE connection_id = %s ORDER BY id",
            (connection_id,),
        )
        return list(await cursor.fetchall())


async def test_statuses_latency_live_frames_and_insight_lifecycle(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, target: Target
) -> None:
    owner = await make_org()
    app_id, connection_id = await _setup(client, owner, target)
    tick = Ticker(started_app)
    watcher = await started_app.state.live_hub.subscribe(app_id)
    try:
        report = await tick()
        assert report["checked"] == 1
        assert report["healthy"] == 1
        healthy = await _connection(client, owner, connection_id)
        assert healthy["status"] == "healthy"
        assert healthy["last_latency_ms"] is not None
        assert healthy["last_error"] is None
        frame = await _next_connection_frame(watcher)
        assert (frame.connection_id, frame.status, frame.previous_status) == (connection_id, "healthy", "pending")

        target.mode = "slow"
        await tick()
        slow = await _connection(client, owner, connection_id)
        assert slow["status"] == "degraded"
        assert slow["last_latency_ms"] >= 300

        target.mode = "failing"
        for expected_insights in (0, 0, 1):
            await tick()
            failing = await _connection(client, owner, connection_id)
            assert failing["status"] == "failing"
            assert "500" in failing["last_error"]
            assert len(await _insights(client, owner, app_id)) == expected_insights
        frame = await _next_connection_frame(watcher, status="failing")
        assert frame.error is not None
        assert frame.status_code == 500
        opened = (await _insights(client, owner, app_id))[0]
        assert opened["type"] == "technical"
        assert opened["status"] == "new"
        assert opened["data"]["connection_id"] == connection_id
        assert opened["data"]["consecutive_failures"] == 3

        target.mode = "healthy"
        await tick()
        recovered = await _connection(client, owner, connection_id)
        # Answering again, but failures are recent: degraded (intermittent) until they age out.
        assert recovered["status"] == "degraded"
        assert recovered["last_error"] is None
        assert [i["status"] for i in await _insights(client, owner, app_id)] == ["resolved"]
    finally:
        await started_app.state.live_hub.unsubscribe(watcher)

    checks = await _checks(started_app, connection_id)
    assert [c["ok"] for c in checks] == [True, True, False, False, False, True]
    assert [c["status_code"] for c in checks] == [200, 200, 500, 500, 500, 200]
    # Nothing is due right after a check: a tick at the real time checks nothing.
    assert (await health_tick(tick.ctx))["checked"] == 0


async def _next_connection_frame(watcher: Any, status: str | None = None) -> ConnectionFrame:
    while True:
        raw = await asyncio.wait_for(watcher.queue.get(), timeout=5)
        decoded = json.loads(raw)
        if decoded.get("type") != "connection":
            continue
        frame = msgspec.convert(decoded, ConnectionFrame, strict=False)
        if status is None or frame.status == status:
            return frame


async def test_refused_credentials_raise_a_security_insight(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, target: Target
) -> None:
    owner = await make_org()
    app_id, connection_id = await _setup(client, owner, target)
    tick = Ticker(started_app)
    target.mode = "unauthorized"
    for _ in range(3):
        await tick()
    [insight] = await _insights(client, owner, app_id)
    assert insight["type"] == "security"
    assert insight["data"]["status_code"] == 401
    # The check rows and the connection say what failed, in words.
    assert (await _connection(client, owner, connection_id))["last_error"].startswith("HTTP 401")


async def test_disabled_connections_are_not_checked_and_old_checks_are_pruned(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, target: Target
) -> None:
    owner = await make_org()
    _, connection_id = await _setup(client, owner, target)
    tick = Ticker(started_app)
    await tick()
    async with started_app.state.engines.postgres.pool.connection() as conn:
        await conn.execute(
            "UPDATE connection_checks SET checked_at = now() - interval '8 days' WHERE connection_id = %s",
            (connection_id,),
        )
        await conn.execute("UPDATE connections SET status = 'disabled' WHERE id = %s", (connection_id,))
    report = await health_tick(tick.ctx, now=datetime.now(UTC) + timedelta(days=1))
    assert report["checked"] == 0
    assert report["pruned"] == 1
    assert await _checks(started_app, connection_id) == []


async def test_health_tab_lists_connections_and_checks_now(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, add_member: Any, login: Any, target: Target
) -> None:
    owner = await make_org()
    app_id, connection_id = await _setup(client, owner, target)
    browser = await login(owner)

    page = await browser.get(f"/applications/{app_id}/health")
    assert page.status_code == 200
    assert "Shop API" in page.text
    assert f'data-connection-id="{connection_id}"' in page.text
    assert 'aria-live="polite"' in page.text
    assert "Check now" in page.text

    token = page.text.split('name="_csrf_token" value="')[1].split('"')[0]
    checked = await browser.post(
        f"/applications/{app_id}/health/{connection_id}/check",
        data={"_csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert checked.status_code == 200, checked.text
    assert f'id="connection-{connection_id}"' in checked.text
    # Healthy, or Degraded when discovery's own requests to the same host slowed the check.
    assert "Healthy" in checked.text or "Degraded" in checked.text, checked.text
    assert "100.0%" in checked.text  # uptime of the one check
    assert "chart-health-" in checked.text

    # A viewer sees the tab but may not trigger outbound checks.
    viewer = await login(await add_member(owner, "viewer"))
    seen = await viewer.get(f"/applications/{app_id}/health")
    assert seen.status_code == 200
    assert "Check now" not in seen.text
    viewer_token = seen.text.split('name="_csrf_token" value="')[1].split('"')[0] if "_csrf_token" in seen.text else ""
    refused = await viewer.post(
        f"/applications/{app_id}/health/{connection_id}/check", data={"_csrf_token": viewer_token}
    )
    assert refused.status_code == 403

    # Another organisation's application is not found.
    stranger = await login(await make_org("Other"))
    assert (await stranger.get(f"/applications/{app_id}/health")).status_code == 404


async def test_health_tab_empty_state_points_to_connections(
    client: httpx.AsyncClient, make_org: Any, login: Any
) -> None:
    owner = await make_org()
    app = await client.post("/v1/applications", json={"name": "Bare", "type": "web"}, headers=owner.headers)
    browser = await login(owner)
    page = await browser.get(f"/applications/{app.json()['id']}/health")
    assert page.status_code == 200
    assert "No connections to watch yet" in page.text
    assert f"/applications/{app.json()['id']}/connections" in page.text
