"""The insight pipeline end to end: three hours of minute traffic with a spike in the last
minute → tick → one open volume insight, announced live and to a signed webhook on loopback;
the next tick updates it instead of duplicating; once the spike is gone it resolves itself."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import numpy as np
import pytest
import websockets
from litestar import Litestar
from standardwebhooks import Webhook

from app.domain.insights import scheduler, service
from realtime.frames import insights_channel_for
from tests.integration import test_live
from tests.integration.analytics_data import insert_events
from tests.integration.test_insights_api import ctx_of, draft, make_app

pytestmark = pytest.mark.engines
server_url = test_live.server_url  # uvicorn on loopback: WebSockets need a real server


class Received:
    def __init__(self) -> None:
        self.url = ""
        self.requests: list[tuple[dict[str, str], str]] = []
        self.arrived = threading.Event()


@pytest.fixture
def receiver() -> Iterator[Received]:
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
            received.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            received.arrived.set()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received.url = f"http://127.0.0.1:{server.server_address[1]}/nexus"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received
    server.shutdown()
    server.server_close()


def minute_traffic(
    end: datetime, minutes: int, spike_at: datetime | None
) -> list[tuple[str, datetime, str, dict[str, Any]]]:
    """Pageviews per minute around 40 (Poisson), with 400 in the `spike_at` minute."""
    rng = np.random.default_rng(7)
    rows = []
    for i in range(minutes):
        minute = end - timedelta(minutes=minutes - i)
        count = 400 if minute == spike_at else int(rng.poisson(40))
        rows += [
            ("pageview", minute + timedelta(seconds=(s * 59) / max(count, 1)), f"u{s % 50}", {}) for s in range(count)
        ]
    return rows


async def open_insights(client: httpx.AsyncClient, owner: Any, app_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/insights?status=open&app_id={app_id}", headers=owner.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_spike_opens_one_insight_updates_it_and_resolves_it(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, receiver: Received
) -> None:
    owner = await make_org()
    app_id = await make_app(client, owner, "Storefront")
    hook = await client.post(
        "/v1/webhooks",
        json={"url": receiver.url, "events": ["insight.created", "anomaly.detected"]},
        headers=owner.headers,
    )
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]

    end = datetime.now(UTC).replace(second=0, microsecond=0)
    spike = end - timedelta(minutes=1)
    await insert_events(started_app, app_id, owner.org_id, minute_traffic(end, 180, spike))
    subscription = await started_app.state.live_hub.subscribe(insights_channel_for(owner.org_id))
    ctx = ctx_of(started_app)
    try:
        report = await scheduler.tick(ctx, now=end + timedelta(seconds=5), org_ids=[owner.org_id])
        assert report.created == 1, report
        assert report.failed_organisations == []
        frame = json.loads(await asyncio.wait_for(subscription.queue.get(), 5))
    finally:
        await started_app.state.live_hub.unsubscribe(subscription)
    assert frame["type"] == "insight"
    assert frame["insight"]["data"]["metric"] == "events_per_minute"

    opened = await open_insights(client, owner, app_id)
    assert len(opened) == 1
    insight = opened[0]
    assert insight["fingerprint"] == "volume:spike"
    assert insight["severity"] in ("high", "critical")
    assert insight["data"]["value"] == 400
    assert insight["data"]["series"][-1]["t"].startswith(spike.isoformat()[:16])
    assert frame["insight"]["id"] == insight["id"]

    again = await scheduler.tick(ctx, now=end + timedelta(seconds=30), org_ids=[owner.org_id])
    assert again.created == 0
    assert again.updated + again.unchanged == 1
    assert [i["id"] for i in await open_insights(client, owner, app_id)] == [insight["id"]]

    # The next minute is ordinary: the condition is over and the insight resolves itself.
    calm = [("pageview", end + timedelta(seconds=s), f"u{s}", {}) for s in range(40)]
    await insert_events(started_app, app_id, owner.org_id, calm)
    later = await scheduler.tick(ctx, now=end + timedelta(minutes=1, seconds=5), org_ids=[owner.org_id])
    assert later.resolved == 1, later
    assert await open_insights(client, owner, app_id) == []
    detail = (await client.get(f"/v1/insights/{insight['id']}", headers=owner.headers)).json()
    assert detail["status"] == "resolved"
    assert detail["history"][-1]["kind"] == "resolved"
    assert "Recovered automatically" in detail["history"][-1]["body"]

    # The webhook subscribed to insight.created and anomaly.detected got one signed delivery of each.
    assert await asyncio.to_thread(receiver.arrived.wait, 20), "no webhook delivery arrived"
    for _ in range(100):
        if len(receiver.requests) >= 2:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    payloads = {}
    for headers, body in receiver.requests:
        payload = Webhook(secret).verify(body, headers)
        payloads[payload["type"]] = payload
    assert len(receiver.requests) == 2  # not subscribed to insight.resolved
    assert payloads["insight.created"]["data"]["insight"]["id"] == insight["id"]
    anomaly = payloads["anomaly.detected"]["data"]
    assert (anomaly["app_id"], anomaly["insight_id"]) == (app_id, insight["id"])
    assert anomaly["anomaly"]["value"] == 400
    assert anomaly["anomaly"]["detector"].endswith("_mad")


async def test_the_org_insights_socket_carries_only_its_organisation(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, server_url: str
) -> None:
    acme, globex = await make_org("Acme"), await make_org("Globex")
    acme_app, globex_app = await make_app(client, acme, "Shop"), await make_app(client, globex, "Other")
    url = f"ws://{server_url}/v1/insights/live"
    for refused in (url, f"{url}?token=not-a-token"):
        async with websockets.connect(refused) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            assert ws.close_code == 4401

    ctx = ctx_of(started_app)
    async with websockets.connect(f"{url}?token={acme.token}") as ws:
        await asyncio.sleep(0.2)  # subscribed before anything is published
        await service.observe(ctx, globex.org_id, globex_app, draft("volume:drop", title="Not yours"))
        mine = await service.observe(ctx, acme.org_id, acme_app, draft("volume:spike", title="Yours"))
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert frame == {"type": "insight", "insight": frame["insight"]}
    assert frame["insight"]["id"] == mine["id"]
    assert frame["insight"]["title"] == "Yours"
