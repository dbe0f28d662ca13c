"""Webhooks settings in a real browser: add one, copy its secret, send a test, read the log."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect
from standardwebhooks import Webhook

from .helpers import Server, sign_in, snap


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], str]]]]:
    received: list[tuple[dict[str, str], str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks", received
    server.shutdown()
    server.server_close()


def test_add_webhook_send_test_and_read_the_log(
    page: Any, server: Server, receiver: tuple[str, list[tuple[dict[str, str], str]]]
) -> None:
    url, received = receiver
    sign_in(page, server)
    page.goto("/settings")
    page.get_by_role("link", name="Webhook settings").click()
    expect(page).to_have_url(re.compile(r"/settings/webhooks$"))
    expect(page.get_by_role("heading", name="No webhooks yet")).to_be_visible()
    snap(page, "webhooks-empty")

    page.get_by_label("Endpoint URL").fill(url)
    page.get_by_label("Description").fill("Ops pager")
    page.get_by_label("anomaly.detected").check()
    page.get_by_role("button", name="Add webhook").click()

    expect(page.get_by_role("status").filter(has_text="Copy the signing secret now")).to_be_visible()
    secret = page.get_by_role("textbox", name="Signing secret").input_value()
    assert secret.startswith("whsec_")
    snap(page, "webhooks-created")

    page.get_by_role("button", name="Send test").click()
    expect(page.locator("#send-result")).to_contain_text("Test event delivered: HTTP 204")
    [(headers, body)] = received
    assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"

    page.get_by_role("link", name="Reload").click()
    row = page.locator("#deliveries-body tr").first
    expect(row).to_contain_text("webhook.test")
    expect(row).to_contain_text("Succeeded")
    row.locator("summary").click()
    expect(row).to_contain_text("Attempt 1")
    assert secret not in page.content(), "the secret is shown once"
    snap(page, "webhooks-log")

    page.goto("/settings/webhooks")
    expect(page.locator("#webhooks-body")).to_contain_text("Ops pager")
    expect(page.locator("#webhooks-body")).to_contain_text("Succeeded")


def _ingest(server: Server, key: str, events: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(  # noqa: S310 - our own test server
        server.url + "/v1/events/batch",
        data=json.dumps({"events": events}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-API-Key": key},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        assert json.loads(response.read())["accepted"] == len(events)


def test_report_page_and_its_download_work_offline(page: Any, new_context: Any, server: Server, tmp_path: Any) -> None:
    token = server.admin_token()
    status, app = server.api("POST", "/v1/applications", token, {"name": f"Report {time.time_ns()}", "type": "web"})
    assert status == 201, app
    now = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
    events = [
        {"event": name, "distinct_id": f"u{n % 7}", "timestamp": (now - timedelta(hours=h)).isoformat()}
        for h in range(1, 72)
        for n, name in enumerate(["page_view"] * 6 + ["signup"] * 2 + (["checkout"] * 40 if h == 20 else []))
    ]
    _ingest(server, app["ingest_key"], events)

    sign_in(page, server)
    page.goto(f"/applications/{app['id']}")
    page.get_by_role("navigation", name=re.compile("sections")).get_by_role("link", name="Report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report")
    expect(page.locator("#report-events")).to_have_text(f"{len(events):,}")
    expect(page.locator("#chart-report-events svg.main-svg").first).to_be_visible()
    # One unusual hour: the checkout burst (the hours before the first event are not a baseline of 0).
    expect(page.locator("#anomalies-body tr")).to_have_count(1)
    expect(page.locator("#anomalies-body")).to_contain_text("Spike")
    snap(page, "report")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download HTML").click()
    path = tmp_path / "report.html"
    download_info.value.save_as(path)
    offline = new_context(offline=True).new_page()
    offline.goto(path.as_uri())
    expect(offline.locator("#chart-events svg.main-svg").first).to_be_visible()
    expect(offline.locator("#kpis")).to_contain_text(f"{len(events):,}")
    snap(offline, "report-download")
