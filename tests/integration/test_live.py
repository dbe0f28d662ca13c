"""`WS /v1/applications/{id}/live`: auth close codes, frames after ingestion, slow clients dropped."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from litestar import Litestar

from realtime.hub import LiveHub


@pytest.fixture
async def server_url(started_app: Litestar) -> AsyncIterator[str]:
    """The already-started app served by uvicorn on loopback (WebSockets need a real server)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(started_app, port=port, lifespan="off", log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes only this flag
        await asyncio.sleep(0.02)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    await task


async def _app(client: httpx.AsyncClient, owner: Any) -> dict[str, str]:
    response = await client.post("/v1/applications", json={"name": "Live", "type": "web"}, headers=owner.headers)
    return response.json()  # type: ignore[no-any-return]


async def _close_code(url: str, **kwargs: Any) -> int | None:
    async with websockets.connect(url, **kwargs) as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        return ws.close_code


async def test_unauthenticated_and_foreign_sockets_are_closed(
    client: httpx.AsyncClient, make_org: Any, server_url: str
) -> None:
    app = await _app(client, await make_org("Owner"))
    stranger = await make_org("Stranger")
    url = f"ws://{server_url}/v1/applications/{app['id']}/live"
    assert await _close_code(url) == 4401
    assert await _close_code(f"{url}?token=not-a-token") == 4401
    assert await _close_code(f"{url}?token={stranger.token}") == 4403
    missing = f"ws://{server_url}/v1/applications/00000000-0000-0000-0000-000000000000/live?token={stranger.token}"
    assert await _close_code(missing) == 4403


async def test_ingested_events_arrive_as_delta_frames(
    client: httpx.AsyncClient, make_org: Any, server_url: str
) -> None:
    owner = await make_org()
    app = await _app(client, owner)
    async with websockets.connect(f"ws://{server_url}/v1/applications/{app['id']}/live?token={owner.token}") as ws:
        await asyncio.sleep(0.2)  # let the subscription reach Redis
        events = [{"event": "pageview", "distinct_id": "a"}] * 2 + [{"event": "signup", "distinct_id": "a"}]
        response = await client.post(
            "/v1/events/batch", json={"events": events}, headers={"X-API-Key": app["ingest_key"]}
        )
        assert response.json()["accepted"] == 3
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert frame["type"] == "events"
    assert frame["app_id"] == app["id"]
    assert frame["counts"] == {"pageview": 2, "signup": 1}
    assert frame["total"] == 3
    assert frame["t"].endswith(("Z", "+00:00"))


async def test_the_browser_session_authenticates_the_socket(
    client: httpx.AsyncClient, make_org: Any, login: Any, server_url: str
) -> None:
    owner = await make_org()
    app = await _app(client, owner)
    browser = await login(owner)
    cookie = f"nexus_session={browser.cookies['nexus_session']}"
    url = f"ws://{server_url}/v1/applications/{app['id']}/live"
    async with websockets.connect(url, additional_headers={"Cookie": cookie}) as ws:
        await asyncio.sleep(0.2)
        await client.post(
            "/v1/events", json={"event": "pageview", "distinct_id": "a"}, headers={"X-API-Key": app["ingest_key"]}
        )
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert frame["counts"] == {"pageview": 1}


async def test_a_slow_subscriber_is_dropped_without_holding_back_the_others(started_app: Litestar) -> None:
    hub = LiveHub(started_app.state.engines.redis.client, max_backlog=5)
    await hub.start()
    try:
        slow = await hub.subscribe("app-under-test")
        fast = await hub.subscribe("app-under-test")
        received: list[str] = []

        async def read_fast() -> None:
            while len(received) < 20:
                received.append(await fast.queue.get())

        reader = asyncio.create_task(read_fast())
        for n in range(20):
            await hub.publish("app-under-test", json.dumps({"n": n}).encode())
            await asyncio.sleep(0.01)
        await asyncio.wait_for(reader, 5)
        assert [json.loads(frame)["n"] for frame in received] == list(range(20))
        assert slow.dropped.is_set()
        assert fast.dropped.is_set() is False
        await hub.unsubscribe(slow)
        await hub.unsubscribe(fast)
        assert hub.subscriber_count() == 0
    finally:
        await hub.stop()
