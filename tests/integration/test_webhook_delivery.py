"""Webhook deliveries: signed messages to a real receiver on loopback, retries, replay, SSRF."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from litestar import Litestar
from standardwebhooks import Webhook

from app.domain.webhooks import queries
from app.domain.webhooks.service import emit_event
from app.domain.webhooks.tasks import sweep_webhooks


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 that records requests and answers from a script."""

    url: str
    requests: list[tuple[dict[str, str], str]] = field(default_factory=list)
    # Status codes to answer in turn; the last one repeats.
    script: list[int] = field(default_factory=lambda: [200])

    def answer(self) -> int:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = state.answer()
            payload = b'{"ok": true}' if status < 300 else b"receiver is down"
            self.send_response(status)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


async def _hook(client: httpx.AsyncClient, owner: Any, url: str, events: list[str] | None = None) -> dict[str, Any]:
    body = {"url": url, "events": events or ["insight.created"]}
    response = await client.post("/v1/webhooks", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _log(client: httpx.AsyncClient, owner: Any, hook_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/webhooks/{hook_id}/deliveries", headers=owner.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def _wait_for(client: httpx.AsyncClient, owner: Any, hook_id: str, status: str) -> dict[str, Any]:
    """The single delivery of a webhook once it reaches `status` (saq polls schedules each second)."""
    for _ in range(200):
        items = await _log(client, owner, hook_id)
        if items and items[0]["status"] == status:
            return items[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"delivery never reached {status}: {items}")


async def test_test_event_is_signed_per_standard_webhooks(
    client: httpx.AsyncClient, make_org: Any, receiver: Receiver
) -> None:
    owner = await make_org()
    hook = await _hook(client, owner, receiver.url)
    response = await client.post(f"/v1/webhooks/{hook['id']}/test", headers=owner.headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["status_code"] == 200
    assert result["status"] == "succeeded"

    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert headers["webhook-id"] == result["delivery_id"]
    message = Webhook(hook["secret"]).verify(body, headers)
    assert message["type"] == "webhook.test"
    assert message["timestamp"].endswith("Z")
    assert "data" in message

    [logged] = await _log(client, owner, hook["id"])
    assert logged["id"] == result["delivery_id"]
    assert logged["event_type"] == "webhook.test"
    assert logged["status"] == "succeeded"
    assert logged["attempt"] == 1
    assert logged["status_code"] == 200
    assert logged["response_excerpt"] == '{"ok": true}'
    assert logged["duration_ms"] >= 0
    assert [a["status_code"] for a in logged["attempts"]] == [200]


async def test_emit_event_delivers_only_to_subscribed_active_hooks(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, receiver: Receiver
) -> None:
    owner, other = await make_org("Acme"), await make_org("Globex")
    subscribed = await _hook(client, owner, receiver.url, ["insight.created", "anomaly.detected"])
    await _hook(client, owner, receiver.url, ["insight.resolved"])
    paused = await _hook(client, owner, receiver.url)
    await client.patch(f"/v1/webhooks/{paused['id']}", json={"is_active": False}, headers=owner.headers)
    await _hook(client, other, receiver.url)

    state = started_app.state
    ids = await emit_event(
        state.engines.postgres.pool, state.queue, owner.org_id, "insight.created", {"insight": {"id": "i-1"}}
    )
    assert len(ids) == 1
    delivered = await _wait_for(client, owner, subscribed["id"], "succeeded")
    assert delivered["id"] == ids[0]
    [(headers, body)] = receiver.requests
    message = Webhook(subscribed["secret"]).verify(body, headers)
    assert message["type"] == "insight.created"
    assert message["data"] == {"insight": {"id": "i-1"}}


async def test_failing_receiver_is_retried_and_the_log_shows_every_attempt(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, receiver: Receiver
) -> None:
    receiver.script = [500, 500, 200]
    owner = await make_org()
    hook = await _hook(client, owner, receiver.url)
    state = started_app.state
    [delivery_id] = await emit_event(state.engines.postgres.pool, state.queue, owner.org_id, "insight.created", {})

    delivered = await _wait_for(client, owner, hook["id"], "succeeded")
    assert delivered["id"] == delivery_id
    assert delivered["attempt"] == 3
    assert delivered["status_code"] == 200
    attempts = delivered["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert [a["status_code"] for a in attempts] == [500, 500, 200]
    assert attempts[0]["error"] == "The receiver answered HTTP 500."
    assert attempts[0]["response_excerpt"] == "receiver is down"
    assert all(a["duration_ms"] >= 0 and a["created_at"] for a in attempts)
    # The same message each time: one webhook-id, each attempt freshly signed.
    assert {h["webhook-id"] for h, _ in receiver.requests} == {delivery_id}
    assert len(receiver.requests) == 3
    for headers, body in receiver.requests:
        Webhook(hook["secret"]).verify(body, headers)

    # Idempotent: a duplicate job or a sweep does not send a succeeded message again.
    await state.queue.enqueue("webhooks.deliver", delivery_id=delivery_id)
    assert await sweep_webhooks({"engines": state.engines, "queue": state.queue}) == 0
    await asyncio.sleep(1.5)
    assert len(receiver.requests) == 3


async def test_replay_resends_the_same_message(client: httpx.AsyncClient, make_org: Any, receiver: Receiver) -> None:
    receiver.script = [503, 200]
    owner = await make_org()
    hook = await _hook(client, owner, receiver.url)
    first = (await client.post(f"/v1/webhooks/{hook['id']}/test", headers=owner.headers)).json()
    assert first["status_code"] == 503
    assert first["status"] == "failed"

    replayed = await client.post(
        f"/v1/webhooks/{hook['id']}/deliveries/{first['delivery_id']}/replay", headers=owner.headers
    )
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["status_code"] == 200
    assert replayed.json()["status"] == "succeeded"
    [(h1, b1), (h2, b2)] = receiver.requests
    assert h1["webhook-id"] == h2["webhook-id"] == first["delivery_id"]
    assert b1 == b2
    [logged] = await _log(client, owner, hook["id"])
    assert [a["status_code"] for a in logged["attempts"]] == [503, 200]

    missing = f"/v1/webhooks/{hook['id']}/deliveries/{hook['id']}/replay"
    assert (await client.post(missing, headers=owner.headers)).status_code == 404


@pytest.mark.parametrize("url", ["http://10.0.0.5/hook", "http://169.254.169.254/latest/meta-data"])
async def test_private_target_is_refused_at_delivery(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, url: str
) -> None:
    """A URL that passed create (say, DNS changed since) is still refused on every attempt."""
    owner = await make_org()
    box, state = started_app.state.secret_box, started_app.state
    async with state.engines.postgres.pool.connection() as conn:
        fields = {"url": url, "events": ["anomaly.detected"]}
        row = await queries.create(conn, owner.org_id, owner.user_id, fields, box.encrypt("whsec_" + "A" * 44))
    result = (await client.post(f"/v1/webhooks/{row['id']}/test", headers=owner.headers)).json()
    assert result["status_code"] is None
    assert result["status"] == "failed"
    assert "private, loopback or link-local" in result["error"]

    await emit_event(state.engines.postgres.pool, state.queue, owner.org_id, "anomaly.detected", {})
    retrying = await _wait_for(client, owner, row["id"], "retrying")
    assert retrying["status_code"] is None
    assert "link-local" in retrying["error"]
