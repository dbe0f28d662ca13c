"""Dashboards in the browser over HTTP: list, builder, lazily loaded panels, actions, roles."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from litestar import Litestar

from app.domain.analytics import service as analytics
from tests.integration.analytics_data import day_start, event, insert_events, iso

HX = {"HX-Request": "true"}


def _csrf(browser: httpx.AsyncClient) -> str:
    return browser.cookies.get("nexus_csrf", "")


def _figure(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" class="chart__figure">(.*?)</script>', html, re.S)
    assert match, html
    return dict(json.loads(match.group(1)))


async def _app(client: httpx.AsyncClient, owner: Any, name: str = "Shop") -> str:
    response = await client.post("/v1/applications", json={"name": name, "type": "web"}, headers=owner.headers)
    return str(response.json()["id"])


async def _post(
    browser: httpx.AsyncClient, url: str, pairs: list[tuple[str, str]], headers: dict[str, str] | None = None
) -> httpx.Response:
    """A form post with repeated fields, as a browser encodes it."""
    form_headers = {"content-type": "application/x-www-form-urlencoded", **(headers or {})}
    return await browser.post(url, content=urlencode(pairs), headers=form_headers)


def _panel_form(csrf: str, **fields: Any) -> list[tuple[str, str]]:
    """The builder's fields as a browser posts them (repeated names in order)."""
    form = {
        "title": "",
        "events": ["signup", "", ""],
        "aggregation": "count",
        "property": "",
        "breakdown": "",
        "breakdown_limit": "5",
        "filter_property": ["", "", ""],
        "filter_operator": ["eq", "eq", "eq"],
        "filter_value": ["", "", ""],
        "chart_type": "line",
        "range": "7d",
        "interval": "day",
        "width": "6",
        "height": "4",
        **fields,
    }
    pairs = [("_csrf_token", csrf)]
    for name, value in form.items():
        pairs += [(name, v) for v in value] if isinstance(value, list) else [(name, str(value))]
    return pairs


async def test_empty_states_say_what_to_do(
    client: httpx.AsyncClient, make_org: Any, add_member: Any, login: Any
) -> None:
    owner = await make_org()
    browser = await login(owner)
    page = await browser.get("/dashboards")
    assert page.status_code == 200
    assert "No dashboards yet" in page.text
    assert 'href="/applications/new"' in page.text  # no application yet: start there
    await _app(client, owner)
    page = await browser.get("/dashboards")
    assert 'href="/dashboards/new"' in page.text
    assert '<a class="nav__link" href="/dashboards" aria-current="page">' in page.text
    viewer = await login(await add_member(owner, "viewer"))
    page = await viewer.get("/dashboards")
    assert "Ask a member" in page.text
    assert 'href="/dashboards/new"' not in page.text


async def test_build_a_panel_without_code(
    client: httpx.AsyncClient, make_org: Any, login: Any, started_app: Litestar
) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    today = day_start(0)
    await insert_events(
        started_app,
        app_id,
        owner.org_id,
        [
            event("signup", today - timedelta(days=d, hours=1), properties={"plan": "pro"})
            for d in range(4)
            for _ in range(d + 2)
        ],
    )
    browser = await login(owner)

    form = await browser.get("/dashboards/new")
    assert form.status_code == 200
    created = await browser.post(
        "/dashboards", data={"_csrf_token": _csrf(browser), "name": "Growth", "app_id": app_id, "description": ""}
    )
    assert created.status_code == 303
    dashboard_url = created.headers["location"]
    dashboard_id = dashboard_url.rsplit("/", 1)[1]
    page = await browser.get(dashboard_url)
    assert "No panels yet" in page.text
    assert "Growth is ready" in page.text

    builder = await browser.get(f"{dashboard_url}/panels/new")
    assert builder.status_code == 200
    # Autocomplete from the names seen.
    assert '<datalist id="event-names">' in builder.text
    assert '<option value="signup">' in builder.text
    assert '<option value="plan">' in builder.text

    preview = await _post(browser, f"{dashboard_url}/panels/preview", _panel_form(_csrf(browser)), headers=HX)
    assert preview.status_code == 200
    assert sum(_figure(preview.text)["data"][0]["y"]) == 2 + 3 + 4 + 5

    bad = await _post(browser, f"{dashboard_url}/panels", _panel_form(_csrf(browser), aggregation="p95"))
    assert bad.status_code == 400
    assert "Choose the numeric property to aggregate" in bad.text

    saved = await _post(browser, f"{dashboard_url}/panels", _panel_form(_csrf(browser), title="Sign-ups"))
    assert saved.status_code == 303, saved.text
    page = await browser.get(dashboard_url)
    [panel_id] = re.findall(r'id="panel-([0-9a-f-]{36})"', page.text)
    assert f'hx-get="/dashboards/{dashboard_id}/panels/{panel_id}"' in page.text
    assert 'hx-trigger="load, every 60s, nexus:refresh"' in page.text  # and live (static/js/live-panels.js)
    assert "skeleton" in page.text
    assert f'href="/v1/dashboards/{dashboard_id}/panels/{panel_id}/data.csv"' in page.text

    # The lazily loaded body shows the same numbers as the timeseries API for the same range.
    body = await browser.get(f"/dashboards/{dashboard_id}/panels/{panel_id}", headers=HX)
    assert body.status_code == 200
    assert "<html" not in body.text
    figure = _figure(body.text)
    [trace] = figure["data"]
    span = re.findall(r'<time datetime="([^"]+)"', body.text)
    api = await client.get(
        f"/v1/applications/{app_id}/timeseries",
        params={"event": "signup", "interval": "day", "from": span[0], "to": span[1]},
        headers=owner.headers,
    )
    points = api.json()["points"]
    assert trace["y"] == [p["value"] for p in points]
    assert [x.replace(" ", "T") + "Z" for x in trace["x"]] == [p["t"] for p in points]
    assert sum(trace["y"]) == 14

    # Without htmx the same address is a page of its own.
    alone = await browser.get(f"/dashboards/{dashboard_id}/panels/{panel_id}")
    assert "<html" in alone.text
    assert "Sign-ups" in alone.text


async def test_panel_actions(client: httpx.AsyncClient, make_org: Any, login: Any) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    dashboard = (
        await client.post("/v1/dashboards", json={"name": "D", "app_id": app_id}, headers=owner.headers)
    ).json()
    base = f"/v1/dashboards/{dashboard['id']}/panels"
    for title in ("A", "B"):
        await client.post(base, json={"title": title, "query": {"events": ["x"]}}, headers=owner.headers)
    browser = await login(owner)
    url = f"/dashboards/{dashboard['id']}"

    async def titles() -> list[str]:
        body = (await client.get(f"/v1/dashboards/{dashboard['id']}", headers=owner.headers)).json()
        return [p["title"] for p in body["panels"]]

    a_id = (await client.get(f"/v1/dashboards/{dashboard['id']}", headers=owner.headers)).json()["panels"][0]["id"]
    moved = await browser.post(f"{url}/panels/{a_id}/move", data={"_csrf_token": _csrf(browser), "direction": "down"})
    assert moved.status_code == 303
    assert await titles() == ["B", "A"]
    await browser.post(f"{url}/panels/{a_id}/move", data={"_csrf_token": _csrf(browser), "direction": "down"})
    assert await titles() == ["B", "A"]  # already last
    await browser.post(f"{url}/panels/{a_id}/duplicate", data={"_csrf_token": _csrf(browser)})
    assert await titles() == ["B", "A", "A (copy)"]

    edit = await browser.get(f"{url}/panels/{a_id}/edit")
    assert edit.status_code == 200
    assert 'value="A"' in edit.text
    saved = await _post(
        browser,
        f"{url}/panels/{a_id}",
        _panel_form(_csrf(browser), title="A2", chart_type="bar", events=["x", "y", ""], width="12"),
    )
    assert saved.status_code == 303, saved.text
    panel = (await client.get(f"{base}/{a_id}", headers=owner.headers)).json()
    assert (panel["title"], panel["chart_type"], panel["width"], panel["query"]["events"]) == (
        "A2",
        "bar",
        12,
        ["x", "y"],
    )

    await browser.post(f"{url}/panels/{a_id}/delete", data={"_csrf_token": _csrf(browser)})
    assert await titles() == ["B", "A (copy)"]

    renamed = await browser.post(url, data={"_csrf_token": _csrf(browser), "name": "Renamed", "app_id": app_id})
    assert renamed.status_code == 303
    deleted = await browser.post(f"{url}/delete", data={"_csrf_token": _csrf(browser)})
    assert deleted.status_code == 303
    assert (await client.get(f"/v1/dashboards/{dashboard['id']}", headers=owner.headers)).status_code == 404


async def test_viewers_read_but_see_no_write_controls(
    client: httpx.AsyncClient, make_org: Any, add_member: Any, login: Any
) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    dashboard = (
        await client.post("/v1/dashboards", json={"name": "D", "app_id": app_id}, headers=owner.headers)
    ).json()
    panel = (
        await client.post(f"/v1/dashboards/{dashboard['id']}/panels", json={"query": {}}, headers=owner.headers)
    ).json()
    viewer = await login(await add_member(owner, "viewer"))
    url = f"/dashboards/{dashboard['id']}"
    page = await viewer.get(url)
    assert page.status_code == 200
    assert "Count of all events" in page.text
    assert "/panels/new" not in page.text
    assert "/delete" not in page.text
    assert "data.csv" in page.text
    assert (await viewer.get(f"{url}/panels/{panel['id']}", headers=HX)).status_code == 200
    for path in (f"{url}/panels/new", f"{url}/edit", f"{url}/panels/{panel['id']}/edit"):
        assert (await viewer.get(path)).status_code == 403
    response = await viewer.post(f"{url}/panels/{panel['id']}/delete", data={"_csrf_token": _csrf(viewer)})
    assert response.status_code == 403
    assert (await client.get(f"/v1/dashboards/{dashboard['id']}", headers=owner.headers)).json()["panels"] != []


async def test_a_panel_whose_application_is_gone_says_so(client: httpx.AsyncClient, make_org: Any, login: Any) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    dashboard = (await client.post("/v1/dashboards", json={"name": "All"}, headers=owner.headers)).json()
    panel = (
        await client.post(
            f"/v1/dashboards/{dashboard['id']}/panels", json={"query": {"app_id": app_id}}, headers=owner.headers
        )
    ).json()
    await client.delete(f"/v1/applications/{app_id}", headers=owner.headers)
    browser = await login(owner)
    body = await browser.get(f"/dashboards/{dashboard['id']}/panels/{panel['id']}", headers=HX)
    assert body.status_code == 200
    assert "no longer exists" in body.text
    assert f"/panels/{panel['id']}/edit" in body.text
    alone = await browser.get(f"/dashboards/{dashboard['id']}/panels/{panel['id']}")
    assert alone.status_code == 200
    assert "no longer exists" in alone.text


async def test_a_live_refresh_takes_no_result_older_than_the_events_it_is_for(
    client: httpx.AsyncClient, make_org: Any, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cache that would hold the first answer for the whole test, however slow the machine.
    monkeypatch.setattr(analytics.cache, "ttl_s", 300)
    owner = await make_org()
    app = (await client.post("/v1/applications", json={"name": "Live", "type": "web"}, headers=owner.headers)).json()
    dashboard = (
        await client.post("/v1/dashboards", json={"name": "Now", "app_id": app["id"]}, headers=owner.headers)
    ).json()
    body = {"chart_type": "number", "query": {"events": ["order"], "range": "1h"}}
    panel = (await client.post(f"/v1/dashboards/{dashboard['id']}/panels", json=body, headers=owner.headers)).json()
    browser = await login(owner)
    url = f"/dashboards/{dashboard['id']}/panels/{panel['id']}"

    async def shown(headers: dict[str, str]) -> int:
        return int(_figure((await browser.get(url, headers={**HX, **headers})).text)["data"][0]["value"])

    async def store(count: int) -> None:
        events = [{"event": "order", "distinct_id": f"u{i}"} for i in range(count)]
        await client.post("/v1/events/batch", json={"events": events}, headers={"X-API-Key": app["ingest_key"]})

    await store(1)
    assert await shown({}) == 1
    await store(2)
    stored_at = datetime.now(UTC).isoformat()
    assert await shown({}) == 1  # a plain fetch may be answered from the cache
    assert await shown({"X-Nexus-Refresh": stored_at}) == 3  # a live refresh for those events may not
    assert await shown({"X-Nexus-Refresh": stored_at}) == 3  # ...but from a result computed since
    assert await shown({"X-Nexus-Refresh": "not a time"}) == 3


async def _signups_dashboard(
    client: httpx.AsyncClient, owner: Any, started_app: Litestar, panels: int = 1
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A dashboard of big numbers of sign-ups over the last 24 hours, `panels` of them, over
    sign-ups an hour before today began (1) and each day before (2, 3, 4)."""
    app_id = await _app(client, owner)
    today = day_start(0)
    await insert_events(
        started_app,
        app_id,
        owner.org_id,
        [event("signup", today - timedelta(days=d, hours=1)) for d in range(4) for _ in range(d + 1)],
    )
    dashboard = (
        await client.post("/v1/dashboards", json={"name": "Growth", "app_id": app_id}, headers=owner.headers)
    ).json()
    body = {"chart_type": "number", "query": {"events": ["signup"], "range": "24h", "interval": "hour"}}
    url = f"/v1/dashboards/{dashboard['id']}/panels"
    return dashboard, [(await client.post(url, json=body, headers=owner.headers)).json() for _ in range(panels)]


async def test_a_dashboard_viewed_over_another_range(
    client: httpx.AsyncClient, make_org: Any, login: Any, started_app: Litestar
) -> None:
    owner = await make_org()
    dashboard, [panel] = await _signups_dashboard(client, owner, started_app)
    browser = await login(owner)
    url = f"/dashboards/{dashboard['id']}"
    panel_url = f"{url}/panels/{panel['id']}"

    async def shown(query: str = "") -> int:
        return int(_figure((await browser.get(panel_url + query, headers=HX)).text)["data"][0]["value"])

    page = await browser.get(url, params={"range": "7d"})
    assert page.status_code == 200
    assert '<option value="7d" selected>Last 7 days</option>' in page.text
    assert f'hx-get="{panel_url}?range=7d"' in page.text  # the panel is fetched over the week...
    assert f'href="/v1/dashboards/{dashboard["id"]}/panels/{panel["id"]}/data.csv?range=7d"' in page.text
    assert "Last 7 days" in page.text  # ...and says so under its title
    assert await shown("?range=7d") == 1 + 2 + 3 + 4
    assert await shown() < 10  # nothing was saved: on its own it is still the last 24 hours
    saved = (await client.get(f"/v1/dashboards/{dashboard['id']}", headers=owner.headers)).json()
    assert saved["panels"][0]["query"]["range"] == "24h"

    # The API gives the same numbers over the same range, and its CSV too.
    data = await client.get(
        f"/v1/dashboards/{dashboard['id']}/panels/{panel['id']}/data", params={"range": "7d"}, headers=owner.headers
    )
    assert data.status_code == 200
    assert data.json()["totals"][0]["value"] == 10
    csv = await client.get(
        f"/v1/dashboards/{dashboard['id']}/panels/{panel['id']}/data.csv",
        params={"range": "7d"},
        headers=owner.headers,
    )
    assert csv.text.strip().splitlines()[-1].endswith(",10")

    # "Each panel's range" is the empty choice; anything else is refused, never a 500.
    assert '<option value="" selected>' in (await browser.get(url, params={"range": ""})).text
    assert (await browser.get(url, params={"range": "2w"})).status_code == 400
    assert (await browser.get(panel_url, params={"range": "2w"}, headers=HX)).status_code == 400
    refused = await client.get(
        f"/v1/dashboards/{dashboard['id']}/panels/{panel['id']}/data", params={"range": "2w"}, headers=owner.headers
    )
    assert refused.status_code == 400
    assert "error" in refused.json()


async def test_a_dashboard_viewed_over_fixed_times(
    client: httpx.AsyncClient, make_org: Any, login: Any, started_app: Litestar
) -> None:
    owner = await make_org()
    dashboard, [panel, other] = await _signups_dashboard(client, owner, started_app, panels=2)
    panels_url = f"/v1/dashboards/{dashboard['id']}/panels"
    today = day_start(0)
    browser = await login(owner)
    url = f"/dashboards/{dashboard['id']}"
    panel_url = f"{url}/panels/{panel['id']}"
    # Two days ago and the day before (the picker's datetime-local fields: no offset, UTC).
    start, end = (
        (today - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        (today - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
    )
    over = urlencode({"from": f"{start}:00Z", "to": f"{end}:00Z"})

    page = await browser.get(url, params={"range": "custom", "from": start, "to": end})
    assert page.status_code == 200
    html = page.text.replace("&amp;", "&")
    assert '<option value="custom" selected>Custom…</option>' in html
    assert f'value="{start}"' in html  # the fields keep the times
    assert f'hx-get="{panel_url}?{over}"' in html
    assert f'href="/v1/dashboards/{dashboard["id"]}/panels/{panel["id"]}/data.csv?{over}"' in html
    shown = _figure((await browser.get(f"{panel_url}?{over}", headers=HX)).text)
    assert int(shown["data"][0]["value"]) == 3 + 2

    data = await client.get(f"{panels_url}/{panel['id']}/data?{over}", headers=owner.headers)
    assert data.status_code == 200
    assert data.json()["totals"][0]["value"] == 5
    csv = await client.get(f"{panels_url}/{panel['id']}/data.csv?{over}", headers=owner.headers)
    assert csv.text.strip().splitlines()[-1].endswith(",5")

    # The panel tools bring the dashboard back over the same times.
    assert f'action="{url}/panels/{other["id"]}/move?{over}"' in html
    moved = await browser.post(
        f"{url}/panels/{other['id']}/move?{over}", data={"_csrf_token": _csrf(browser), "direction": "up"}
    )
    assert moved.status_code in (302, 303)
    assert moved.headers["location"] == f"{url}?{over}#panel-{other['id']}"
    # ...and so does the builder: its links, its form, and saving.
    assert f'href="{url}/panels/{other["id"]}/edit?{over}"' in html
    assert f'href="{url}/panels/new?{over}"' in html
    edit = (await browser.get(f"{url}/panels/{panel['id']}/edit?{over}")).text.replace("&amp;", "&")
    assert f'action="{url}/panels/{panel["id"]}?{over}"' in edit
    saved = await _post(
        browser, f"{url}/panels/{panel['id']}?{over}", _panel_form(_csrf(browser), chart_type="number", title="S")
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{url}?{over}"

    # Unclear times are refused, never a 500, and a refused tool changes nothing.
    for params in ({"range": "custom"}, {"range": "custom", "from": end, "to": start}, {"from": start}):
        assert (await browser.get(url, params=params)).status_code == 400
    both = await client.get(
        f"{panels_url}/{panel['id']}/data", params={"range": "7d", "from": start, "to": end}, headers=owner.headers
    )
    assert both.status_code == 400
    assert both.json()["error"]["code"] == "invalid_range"
    refused = await browser.post(
        f"{url}/panels/{panel['id']}/delete?from=yesterday&to=today", data={"_csrf_token": _csrf(browser)}
    )
    assert refused.status_code == 400
    kept = (await client.get(f"/v1/dashboards/{dashboard['id']}", headers=owner.headers)).json()
    assert [p["id"] for p in kept["panels"]] == [other["id"], panel["id"]]


async def test_a_dashboard_beside_the_previous_period(
    client: httpx.AsyncClient, make_org: Any, login: Any, started_app: Litestar
) -> None:
    owner = await make_org()
    dashboard, [panel] = await _signups_dashboard(client, owner, started_app)
    browser = await login(owner)
    url = f"/dashboards/{dashboard['id']}"
    today = day_start(0)
    # The day before yesterday (2 sign-ups), beside the day before it (3).
    times = {
        "from": (today - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "to": (today - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    page = await browser.get(url, params={"range": "custom", **times, "compare": "1"})
    assert page.status_code == 200
    html = page.text.replace("&amp;", "&")
    assert 'name="compare" value="1" data-submit-on-change checked' in html
    over = urlencode({"from": times["from"] + ":00Z", "to": times["to"] + ":00Z"}) + "&compare=1"
    assert f'hx-get="{url}/panels/{panel["id"]}?{over}"' in html
    assert f'action="{url}/panels/{panel["id"]}/duplicate?{over}"' in html

    [indicator] = _figure((await browser.get(f"{url}/panels/{panel['id']}?{over}", headers=HX)).text)["data"]
    assert (indicator["value"], indicator["mode"], indicator["delta"]["reference"]) == (2, "number+delta", 3)
    # Without it, the same panel is the number alone.
    [alone] = _figure((await browser.get(f"{url}/panels/{panel['id']}", headers=HX)).text)["data"]
    assert alone["mode"] == "number"
    assert (await browser.get(url, params={"compare": "perhaps"})).status_code == 400
    # The data API says the same: the panel's total, and with compare=1 the period before's.
    data_url = f"/v1/dashboards/{dashboard['id']}/panels/{panel['id']}/data"
    fixed = {"from": times["from"] + ":00Z", "to": times["to"] + ":00Z"}
    data = (await client.get(data_url, params={**fixed, "compare": "1"}, headers=owner.headers)).json()
    assert data["totals"][0]["value"] == 2
    previous = data["previous"]
    assert (previous["from"], previous["to"]) == (
        (today - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        fixed["from"],
    )
    assert (previous["totals"][0]["value"], previous["series"]) == (3, [])
    assert (await client.get(data_url, params=fixed, headers=owner.headers)).json()["previous"] is None
    odd = await client.get(data_url, params={"compare": "perhaps"}, headers=owner.headers)
    assert (odd.status_code, odd.json()["error"]["code"]) == (400, "invalid_parameter")

    # So does the CSV: the total beside the one before; a chart's buckets beside theirs.
    async def csv_rows() -> list[str]:
        csv = await client.get(f"{data_url}.csv", params={**fixed, "compare": "1"}, headers=owner.headers)
        assert csv.status_code == 200
        return csv.text.strip().splitlines()

    assert await csv_rows() == ["event,value,previous", "signup,2,3"]
    line = await client.patch(
        f"/v1/dashboards/{dashboard['id']}/panels/{panel['id']}", json={"chart_type": "line"}, headers=owner.headers
    )
    assert line.status_code == 200
    rows = await csv_rows()
    assert rows[0] == "time,signup,previous time,previous signup"
    assert len(rows) == 1 + 24
    late = (today - timedelta(days=1, hours=1), today - timedelta(days=2, hours=1))
    assert rows[-1] == f"{iso(late[0])},2,{iso(late[1])},3"
    odd_csv = await client.get(f"{data_url}.csv", params={"compare": "perhaps"}, headers=owner.headers)
    assert odd_csv.status_code == 400


async def test_a_dashboard_filtered_by_a_property(
    client: httpx.AsyncClient, make_org: Any, login: Any, started_app: Litestar
) -> None:
    owner = await make_org()
    app_id = await _app(client, owner)
    recent = datetime.now(UTC) - timedelta(hours=1)
    plans = ["pro"] * 3 + ["free"] * 5
    await insert_events(
        started_app,
        app_id,
        owner.org_id,
        [event("signup", recent, f"u{i}", {"plan": plan}) for i, plan in enumerate(plans)],
    )
    dashboard = (
        await client.post("/v1/dashboards", json={"name": "Plans", "app_id": app_id}, headers=owner.headers)
    ).json()
    body = {"chart_type": "number", "query": {"events": ["signup"], "range": "24h", "interval": "hour"}}
    panel = (await client.post(f"/v1/dashboards/{dashboard['id']}/panels", json=body, headers=owner.headers)).json()
    browser = await login(owner)
    url = f"/dashboards/{dashboard['id']}"

    page = await browser.get(url, params={"range": "24h", "where": "plan", "is": "pro"})
    assert page.status_code == 200
    html = page.text.replace("&amp;", "&")
    over = "range=24h&where=plan&is=pro"
    assert f'hx-get="{url}/panels/{panel["id"]}?{over}"' in html
    assert 'value="plan"' in html  # the fields keep the filter...
    assert '<option value="plan">' in html  # ...and suggest the properties seen
    assert f'href="{url}?range=24h">Clear filter</a>' in html
    assert f'action="{url}/panels/{panel["id"]}/delete?{over}"' in html

    async def shown(query: str) -> int:
        return int(
            _figure((await browser.get(f"{url}/panels/{panel['id']}?{query}", headers=HX)).text)["data"][0]["value"]
        )

    assert await shown(over) == 3
    assert await shown("where=plan&is=free") == 5
    assert await shown("") == 8  # nothing was saved
    # Other comparisons: the select beside the property keeps them, the note says them.
    assert await shown("where=plan&op=neq&is=pro") == 5
    assert await shown("where=plan&op=contains&is=FR") == 5
    assert await shown("where=plan&op=is_set") == 8
    assert await shown("where=missing&op=is_set") == 0
    unlike = (await browser.get(url, params={"where": "plan", "op": "neq", "is": "pro"})).text
    assert '<option value="neq" selected>is not</option>' in unlike
    assert "Every panel counts only the events where plan is not pro." in unlike
    saved = (await client.get(f"/v1/dashboards/{dashboard['id']}", headers=owner.headers)).json()
    assert saved["panels"][0]["query"]["filters"] == []
    # The API and the page's CSV link give the same numbers.
    data_url = f"/v1/dashboards/{dashboard['id']}/panels/{panel['id']}/data"
    assert f'href="{data_url}.csv?{over}"' in html
    data = await client.get(data_url, params={"where": "plan", "is": "pro"}, headers=owner.headers)
    assert data.json()["totals"][0]["value"] == 3
    data = await client.get(data_url, params={"where": "plan", "op": "neq", "is": "pro"}, headers=owner.headers)
    assert data.json()["totals"][0]["value"] == 5
    odd = await client.get(data_url, params={"where": "plan", "op": "like", "is": "pro"}, headers=owner.headers)
    assert (odd.status_code, odd.json()["error"]["code"]) == (400, "invalid_filter")
    csv = await client.get(f"{data_url}.csv?{over}", headers=owner.headers)
    assert csv.text.strip().splitlines()[-1].endswith(",3")
    # Half a filter is refused, never a 500.
    assert (await browser.get(url, params={"where": "plan"})).status_code == 400
    half = await client.get(data_url, params={"is": "pro"}, headers=owner.headers)
    assert (half.status_code, half.json()["error"]["code"]) == (400, "invalid_filter")
    # A chart with nothing to show says so, and what to try, instead of a flat line at 0.
    line = {"chart_type": "line", "query": {"events": ["signup"], "range": "24h", "interval": "hour"}}
    chart = (await client.post(f"/v1/dashboards/{dashboard['id']}/panels", json=line, headers=owner.headers)).json()
    empty = (await browser.get(f"{url}/panels/{chart['id']}?where=plan&is=team", headers=HX)).text
    assert "No signup events where plan is team in this range." in empty
    assert "Try a longer range or another filter." in empty
    assert "chart__figure" not in empty
    assert "How to send events" not in empty  # the filter ruled them out, not the sending
    refunds = {"chart_type": "line", "query": {"events": ["refund"], "range": "24h", "interval": "hour"}}
    none = (await client.post(f"/v1/dashboards/{dashboard['id']}/panels", json=refunds, headers=owner.headers)).json()
    unsent = (await browser.get(f"{url}/panels/{none['id']}", headers=HX)).text
    assert "No refund events in this range." in unsent
    assert f'href="/applications/{app_id}/setup">How to send events</a>' in unsent
    assert _figure((await browser.get(f"{url}/panels/{chart['id']}?{over}", headers=HX)).text)["data"]
