"""An application's event log in a real browser: an event posted to the API shows up in it
within seconds, without a reload, its properties open in place, a user's name leads to that
user's events alone, and a text finds the events whose properties hold it."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

from playwright.sync_api import expect

from .helpers import Server, sign_in, snap


def test_a_posted_event_shows_up_in_the_log(page: Any, server: Server) -> None:
    status, app = server.api("POST", "/v1/applications", server.admin_token(), {"name": "Event log", "type": "web"})
    assert status == 201, app
    sign_in(page, server)
    page.goto(f"/applications/{app['id']}/events")
    expect(page.get_by_text("No events in the last 24 hours")).to_be_visible()
    expect(page.locator("[data-live-status]")).to_have_text("Live")

    _post(
        server,
        app["ingest_key"],
        {"event": "checkout_started", "distinct_id": "user-42", "properties": {"cart": 3, "plan": "pro"}},
    )
    rows = page.locator("#events tbody tr")
    row = rows.filter(has_text="checkout_started")
    expect(row).to_be_visible(timeout=5_000)  # the live stream's announcement, then a refresh
    assert page.url.endswith(f"/applications/{app['id']}/events")  # no reload, no navigation
    expect(row).to_contain_text("user-42")
    row.get_by_text("cart: 3 · plan: pro").click()
    expect(row.locator("pre")).to_contain_text('"plan": "pro"')
    snap(page, "event-log")

    # While the reader has an event open, new ones wait; closing it brings them in.
    _post(server, app["ingest_key"], {"event": "checkout_done", "distinct_id": "user-42"})
    page.wait_for_timeout(4_000)  # two refresh gaps
    expect(rows).to_have_count(1)
    expect(row.locator("details")).to_have_attribute("open", "")
    row.get_by_text("cart: 3 · plan: pro").click()
    expect(rows.first).to_contain_text("checkout_done", timeout=5_000)
    expect(rows).to_have_count(2)
    # And it stays live after that refresh (the element the stream refreshes is kept).
    _post(server, app["ingest_key"], {"event": "third", "distinct_id": "user-7"})
    expect(rows.first).to_contain_text("third", timeout=5_000)

    # Support follows one user: their name leads to their events alone, still live.
    rows.first.get_by_role("link", name="user-7").click()
    expect(page).to_have_url(f"{server.url}/applications/{app['id']}/events?user=user-7")
    expect(rows).to_have_count(1)
    expect(page.get_by_label("User (distinct_id)")).to_have_value("user-7")
    expect(page.locator("[data-live-status]")).to_have_text("Live")
    _post(server, app["ingest_key"], {"event": "fourth", "distinct_id": "user-7"})
    _post(server, app["ingest_key"], {"event": "elsewhere", "distinct_id": "user-42"})
    expect(rows.first).to_contain_text("fourth", timeout=5_000)
    expect(rows).to_have_count(2)
    snap(page, "event-log-one-user")

    # Support looks for what a customer quoted: the events whose properties hold that text,
    # typed with the keyboard, any case; still live.
    page.get_by_role("link", name="All events").click()
    page.get_by_label("Properties contain").fill("PRO")
    page.get_by_label("Properties contain").press("Enter")
    expect(page).to_have_url(re.compile(r"/events\?(.*&)?contains=PRO(&|$)"))  # a plain GET form: bookmarkable
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("checkout_started")
    expect(page.locator("[data-live-status]")).to_have_text("Live")
    # Stored before the one that matches, so the refresh that shows that one has passed it over.
    _post(server, app["ingest_key"], {"event": "downgrade", "distinct_id": "user-9", "properties": {"to": "free"}})
    _post(server, app["ingest_key"], {"event": "upgrade", "distinct_id": "user-9", "properties": {"to": "pro"}})
    expect(rows.first).to_contain_text("upgrade", timeout=5_000)
    expect(rows).to_have_count(2)
    snap(page, "event-log-contains")


def _post(server: Server, key: str, event: dict[str, Any]) -> None:
    request = urllib.request.Request(  # noqa: S310 - our own test server
        server.url + "/v1/events",
        data=json.dumps(event).encode(),
        method="POST",
        headers={"X-API-Key": key, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200
