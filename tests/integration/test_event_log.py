"""An application's event log: its latest stored events, newest first, with their
properties, one event name or one user at a time if asked, older pages on demand, and only to
its own organisation."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.domain.analytics.recent import LIMIT


async def _app(client: httpx.AsyncClient, owner: Any, name: str = "Shop") -> dict[str, Any]:
    response = await client.post("/v1/applications", json={"name": name, "type": "web"}, headers=owner.headers)
    return dict(response.json())


def _rows(html: str) -> list[str]:
    """The event names of the log's rows, top to bottom."""
    body = html.split('id="events-body"')[1] if 'id="events-body"' in html else html.split("<tbody")[1]
    return [cell.split("</code>")[0] for cell in body.split("<td><code>")[1:]]


async def test_the_latest_events_newest_first_with_their_properties(
    client: httpx.AsyncClient, make_org: Any, login: Any
) -> None:
    owner = await make_org()
    app = await _app(client, owner)
    now = datetime.now(UTC)
    events = [
        {
            "event": "pageview",
            "distinct_id": "u1",
            "timestamp": (now - timedelta(seconds=3)).isoformat(),
            "properties": {"path": "/pricing", "referrer": "<script>alert(1)</script>"},
        },
        {
            "event": "signup",
            "distinct_id": "u1",
            "timestamp": (now - timedelta(seconds=2)).isoformat(),
            "properties": {"plan": "pro", "coupon": "X" * 60, "seats": 3, "trial": True, "source": "ads"},
        },
        {"event": "pageview", "distinct_id": "u2", "timestamp": (now - timedelta(seconds=1)).isoformat()},
        # Older than the log's day: not in it.
        {"event": "ancient", "distinct_id": "u3", "timestamp": (now - timedelta(days=2)).isoformat()},
    ]
    response = await client.post("/v1/events/batch", json={"events": events}, headers={"X-API-Key": app["ingest_key"]})
    assert response.json()["accepted"] == 4

    browser = await login(owner)
    page = await browser.get(f"/applications/{app['id']}/events")
    assert page.status_code == 200
    assert 'aria-current="page">Events</a>' in page.text
    assert _rows(page.text) == ["pageview", "signup", "pageview"]
    # A summary of the first properties as sent, values cut short; all of them on demand.
    assert "plan: pro · coupon: " + "X" * 39 + "… · seats: 3 · +2 more" in page.text
    assert "&#34;coupon&#34;: &#34;" + "X" * 60 + "&#34;" in page.text
    assert "<script>alert(1)</script>" not in page.text  # event data is shown as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    # Kept live: fetched again when any event of this application is stored.
    assert f'data-refresh-app="{app["id"]}"' in page.text
    assert 'data-refresh-events="*"' in page.text

    # One event name: only those, refreshed only for those, from the page or the fragment.
    only = await browser.get(f"/applications/{app['id']}/events", params={"event": "signup"})
    assert _rows(only.text) == ["signup"]
    assert 'data-refresh-events="signup"' in only.text
    fragment = await browser.get(f"/applications/{app['id']}/events/list", params={"event": "pageview"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "data-refresh-app" not in fragment.text  # the rows only: the page's element stays
    assert _rows(fragment.text) == ["pageview", "pageview"]


async def test_at_most_the_limit_and_an_empty_log_says_what_to_do(
    client: httpx.AsyncClient, make_org: Any, login: Any
) -> None:
    owner = await make_org()
    busy, quiet = await _app(client, owner, "Busy"), await _app(client, owner, "Quiet")
    events = [{"event": f"e{i}", "distinct_id": "u"} for i in range(LIMIT + 5)]
    await client.post("/v1/events/batch", json={"events": events}, headers={"X-API-Key": busy["ingest_key"]})
    browser = await login(owner)
    assert len(_rows((await browser.get(f"/applications/{busy['id']}/events")).text)) == LIMIT

    empty = (await browser.get(f"/applications/{quiet['id']}/events")).text
    assert "No events in the last 24 hours" in empty
    assert f'href="/applications/{quiet["id"]}/setup"' in empty
    none_of_those = (await browser.get(f"/applications/{busy['id']}/events", params={"event": "nope"})).text
    assert "No nope events in the last 24 hours" in none_of_those


def _older(page: str) -> str | None:
    """The address of the log's link to the page before, if it has one."""
    found = re.search(r'<a class="btn btn--sm" href="([^"]+)" rel="next">', page)
    return html.unescape(found.group(1)) if found else None


async def test_one_users_events_and_the_pages_before(client: httpx.AsyncClient, make_org: Any, login: Any) -> None:
    owner = await make_org()
    app = await _app(client, owner)
    now = datetime.now(UTC)

    def at(minutes_ago: int) -> str:
        return (now - timedelta(minutes=minutes_ago)).isoformat()

    # u1 has LIMIT + 5 events in the last day. Four of them share one millisecond and fall
    # where the first page ends, so the next must go on among them. Around them: one event of
    # u2, and one of u1 two days back, outside the first page's day.
    newest = [{"event": f"e{i}", "distinct_id": "u1", "timestamp": at(10 + i)} for i in range(LIMIT - 2)]
    tied = [{"event": f"tie{i}", "distinct_id": "u1", "timestamp": at(10 + LIMIT)} for i in range(4)]
    oldest = [{"event": f"f{i}", "distinct_id": "u1", "timestamp": at(20 + LIMIT + i)} for i in range(3)]
    others = [
        {"event": "other", "distinct_id": "u2", "timestamp": at(30)},
        {"event": "old", "distinct_id": "u1", "timestamp": at(2 * 24 * 60)},
    ]
    events = newest + tied + oldest + others
    response = await client.post("/v1/events/batch", json={"events": events}, headers={"X-API-Key": app["ingest_key"]})
    assert response.json()["accepted"] == len(events)
    browser = await login(owner)

    # Any user: each user is a link to their own events.
    latest = (await browser.get(f"/applications/{app['id']}/events")).text
    assert f'href="/applications/{app["id"]}/events?user=u2"' in latest

    # One user, page by page, until the day is done.
    page = (await browser.get(f"/applications/{app['id']}/events", params={"user": "u1"})).text
    assert 'data-refresh-app="' in page  # the first page is live
    seen, pages = _rows(page), 1
    while 'rel="next">Older events' in page:
        link = _older(page)
        assert link is not None
        assert "user=u1" in link
        page = (await browser.get(link)).text
        assert "data-refresh-app" not in page  # older pages hold still
        assert "Older events, not live" in page
        seen, pages = seen + _rows(page), pages + 1
    assert pages == 2
    assert seen[: LIMIT - 2] == [e["event"] for e in newest]  # newest first
    assert sorted(seen[LIMIT - 2 : LIMIT + 2]) == [e["event"] for e in tied]  # each once
    assert seen[LIMIT + 2 :] == [e["event"] for e in oldest]

    # Then the day before, on demand.
    assert 'rel="next">Search the 24 hours before' in page
    day_before = (await browser.get(_older(page) or "")).text
    assert _rows(day_before) == ["old"]

    # The rows alone take the same filters; a user with nothing to show says how to go on.
    fragment = await browser.get(f"/applications/{app['id']}/events/list", params={"user": "u2"})
    assert _rows(fragment.text) == ["other"]
    nobody = (await browser.get(f"/applications/{app['id']}/events", params={"user": "nobody"})).text
    assert "No events of nobody in the last 24 hours" in nobody
    assert 'rel="next">Search the 24 hours before' in nobody


async def test_bad_filters_and_other_organisations(client: httpx.AsyncClient, make_org: Any, login: Any) -> None:
    owner, stranger = await make_org(), await make_org("Other")
    app = await _app(client, owner)
    browser = await login(owner)
    long = await browser.get(f"/applications/{app['id']}/events", params={"event": "x" * 201})
    assert long.status_code == 400
    for bad in ({"user": "x" * 201}, {"before": "not-a-cursor"}):
        assert (await browser.get(f"/applications/{app['id']}/events", params=bad)).status_code == 400
    outsider = await login(stranger)
    for path in ("", "/list"):
        assert (await outsider.get(f"/applications/{app['id']}/events{path}")).status_code == 404


async def test_events_whose_properties_contain_some_text(client: httpx.AsyncClient, make_org: Any, login: Any) -> None:
    owner = await make_org()
    app = await _app(client, owner)
    # Sent as a Python SDK sends JSON (non-ASCII escaped), so the stored text holds "\u00fc".
    body = (
        b'{"events": ['
        b'{"event": "purchase", "distinct_id": "u1", "properties": {"order_id": "A-4711", "city": "Z\\u00fcrich"}},'
        b'{"event": "refund", "distinct_id": "u2", "properties": {"amount": 4711, "cart": {"sku": "KB-1"}}},'
        b'{"event": "purchase", "distinct_id": "u3", "properties": {"order_id": "B-1"}},'
        b'{"event": "pageview", "distinct_id": "u1"}'
        b"]}"
    )
    headers = {"X-API-Key": app["ingest_key"], "Content-Type": "application/json"}
    response = await client.post("/v1/events/batch", content=body, headers=headers)
    assert response.json()["accepted"] == 4
    browser = await login(owner)
    log = f"/applications/{app['id']}/events"

    async def found(**narrowed: str) -> list[str]:
        page = (await browser.get(log, params=narrowed)).text
        return sorted(_rows(page))

    # Any case; a value's text whatever its type, a nested object's JSON, a property's name.
    assert await found(contains="a-4711") == ["purchase"]
    assert await found(contains="4711") == ["purchase", "refund"]
    assert await found(contains="ZÜRICH") == ["purchase"]  # unescaped before it is compared
    assert await found(contains="kb-1") == ["refund"]
    assert await found(contains="order_id") == ["purchase", "purchase"]
    assert await found(contains="order_id", user="u3") == ["purchase"]
    assert await found(contains="4711", event="refund") == ["refund"]
    assert await found(contains="  4711 ") == ["purchase", "refund"]  # as typed, trimmed

    # The live rows and the link to older events keep the text; the field shows it.
    page = (await browser.get(log, params={"contains": "4711"})).text
    assert f'hx-get="/applications/{app["id"]}/events/list?contains=4711"' in page
    assert 'name="contains" value="4711"' in page
    assert "contains=4711" in (_older(page) or "")
    fragment = await browser.get(f"{log}/list", params={"contains": "kb-1"})
    assert _rows(fragment.text) == ["refund"]

    # Nothing found says what was looked for, as text, and how to go on.
    none = (await browser.get(log, params={"contains": "<b>nope</b>"})).text
    assert "No events whose properties contain “&lt;b&gt;nope&lt;/b&gt;” in the last 24 hours" in none
    assert 'rel="next">Search the 24 hours before' in none
    assert (await browser.get(log, params={"contains": "x" * 201})).status_code == 400
