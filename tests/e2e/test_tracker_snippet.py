"""The tracker snippet the application page shows, pasted into a page on another origin,
stores that page's pageview in the application: the copy-paste path a customer takes."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import expect

from .helpers import Server, sign_in, snap

WAIT_S = 15


def _pageviews(server: Server, token: str, app_id: str) -> int:
    now = datetime.now(UTC)
    query = urlencode(
        {
            "event": "pageview",
            "interval": "minute",
            "from": (now - timedelta(minutes=10)).isoformat(),
            "to": (now + timedelta(minutes=2)).isoformat(),
        }
    )
    status, body = server.api("GET", f"/v1/applications/{app_id}/timeseries?{query}", token=token)
    assert status == 200, body
    return sum(point["value"] for point in body["points"])


def test_the_snippet_on_the_setup_page_tracks_a_customer_page(
    page: Any, server: Server, host_page: tuple[str, dict[str, str]]
) -> None:
    origin, content = host_page
    token = server.admin_token()
    status, app = server.api("POST", "/v1/applications", token, {"name": f"Tracked {time.time_ns()}", "type": "web"})
    assert status == 201, app

    sign_in(page, server)
    page.goto(f"/applications/{app['id']}/setup")
    snippet = page.locator("#snippet-browser")
    expect(snippet).to_contain_text("nexus.init(")
    snap(page, "application-setup")
    code = snippet.inner_text()
    assert app["ingest_key"] in code
    assert server.url in code

    content["html"] = f"<!doctype html><title>Pricing</title><h1>Our prices</h1>{code}"
    customer = page.context.new_page()
    customer.goto(f"{origin}/pricing")
    expect(customer.get_by_role("heading", name="Our prices")).to_be_visible()

    deadline = time.monotonic() + WAIT_S
    while _pageviews(server, token, app["id"]) < 1:
        assert time.monotonic() < deadline, "the pageview from the pasted snippet was not stored"
        time.sleep(0.5)
    assert _pageviews(server, token, app["id"]) == 1
