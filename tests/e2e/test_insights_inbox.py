"""The insights inbox in Chromium: an insight caused through the running server (slow
requests ingested, then "Evaluate now") arrives over the WebSocket without a reload, with the
polite live notice; then its page shows the evidence, shows a teammate's triage and comment
as they happen (a comment being written is kept), and takes triage."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from .helpers import Server, sign_in, snap

ENDPOINT = "/e2e-checkout"


def _create_app(server: Server, name: str) -> dict[str, Any]:
    status, app = server.api("POST", "/v1/applications", server.admin_token(), {"name": name, "type": "web"})
    assert status == 201, app
    return dict(app)


def _ingest_slow_requests(url: str, key: str, count: int = 40) -> None:
    """Slow requests in the last complete minute: p95 far over the 1 s target."""
    minute = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    metrics = [
        {
            "endpoint": ENDPOINT,
            "method": "GET",
            "status_code": 200,
            "duration_ms": 2600 + i,
            "timestamp": (minute + timedelta(seconds=i)).isoformat(),
        }
        for i in range(count)
    ]
    request = urllib.request.Request(  # noqa: S310 - our own test server
        url + "/v1/performance/batch",
        data=json.dumps({"metrics": metrics}).encode(),
        method="POST",
        headers={"X-API-Key": key, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert json.loads(response.read())["accepted"] == count


def test_a_new_insight_arrives_live_and_can_be_triaged(page: Any, server: Server) -> None:
    app = _create_app(server, "Inbox live")
    sign_in(page, server)
    page.get_by_role("navigation", name="Primary").get_by_role("link", name="Insights", exact=True).click()
    expect(page).to_have_url(re.compile(r"/insights$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Insights")
    expect(page.locator("#insight-keys")).to_contain_text("acknowledge")
    page.evaluate("window.__sameDocument = true")
    page.wait_for_timeout(500)  # the WebSocket is open before the insight is made

    _ingest_slow_requests(server.url, app["ingest_key"])
    status, accepted = server.api("POST", "/v1/insights/evaluate", server.admin_token())
    assert status == 202, accepted
    assert accepted["job_id"]

    notice = page.locator("#insight-live")
    expect(notice).to_have_attribute("aria-live", "polite")
    expect(notice).to_contain_text(re.compile(r"\d+ new insights?"), timeout=15_000)
    snap(page, "insights-inbox-notice")
    notice.get_by_role("button", name="Show").click()
    row = page.locator("[data-insight-row]", has_text=f"GET {ENDPOINT} is slow")
    expect(row).to_be_visible()
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
    expect(row).to_contain_text("Inbox live")
    snap(page, "insights-inbox")

    # Keyboard: j moves to the first row, a acknowledges it in place.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    first = page.locator("[data-insight-row]").first
    page.keyboard.press("j")
    expect(first).to_have_class(re.compile(r"is-active"))

    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"GET {ENDPOINT} is slow")
    expect(page.locator(".chart__plot")).to_be_visible()
    insight_id = page.url.rstrip("/").rsplit("/", 1)[1]

    # A teammate triages through the API while this page is open, and a comment is being written.
    page.evaluate("window.__sameDocument = true")
    page.wait_for_timeout(500)  # the page's WebSocket is open
    page.get_by_label("Comment").fill("Draft in progress")
    token = server.admin_token()
    status, _ = server.api("POST", f"/v1/insights/{insight_id}/acknowledge", token, {"note": "On it"})
    assert status == 200
    status, _ = server.api("POST", f"/v1/insights/{insight_id}/comment", token, {"body": "Checking the deploy."})
    assert status == 201
    timeline = page.locator(".insight-timeline")
    expect(timeline).to_contain_text("acknowledged it", timeout=5_000)
    expect(timeline).to_contain_text("Checking the deploy.", timeout=5_000)
    expect(page.locator("#insight-badges")).to_contain_text("Acknowledged")
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    expect(page.get_by_role("button", name="Resolve")).to_be_visible()
    note = page.locator("#insight-live-note")
    expect(note).to_have_attribute("aria-live", "polite")
    expect(note).to_contain_text("now Acknowledged")
    expect(page.get_by_label("Comment")).to_have_value("Draft in progress")
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
    snap(page, "insight-detail-live")

    page.get_by_label("Comment").fill("Rolled back the release.")
    page.get_by_role("button", name="Comment").click()
    expect(page.locator(".insight-timeline")).to_contain_text("Rolled back the release.")
    snap(page, "insight-detail")
