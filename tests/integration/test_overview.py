"""The application overview: KPI tiles, the live chart, ranges and comparison."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.domain.analytics.kpis import LIVE_WINDOW_S
from app.domain.applications.overview import AVERAGE_S

VOID_ELEMENTS = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@pytest.fixture
async def seeded(client: httpx.AsyncClient, make_org: Any, login: Any) -> dict[str, Any]:
    owner = await make_org()
    app = (await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=owner.headers)).json()
    events = [{"event": "pageview", "distinct_id": f"u{i % 7}"} for i in range(30)]
    await client.post("/v1/events/batch", json={"events": events}, headers={"X-API-Key": app["ingest_key"]})
    metrics = [
        {"endpoint": "/api/x", "method": "GET", "status_code": 500 if i < 2 else 200, "duration_ms": 10 * (i + 1)}
        for i in range(20)
    ]
    await client.post("/v1/performance/batch", json={"metrics": metrics}, headers={"X-API-Key": app["ingest_key"]})
    return {"app": app, "browser": await login(owner), "owner": owner}


def _tile(html: str, tile_id: str) -> str:
    return html.split(f'id="{tile_id}"')[1].split(">", 1)[1].split("<", 1)[0].strip()


def _figure(html: str) -> dict[str, Any]:
    raw = html.split('<script type="application/json" class="chart__figure">')[1].split("</script>")[0]
    return json.loads(raw)  # type: ignore[no-any-return]


async def test_overview_shows_tiles_and_a_live_chart(seeded: dict[str, Any]) -> None:
    browser, app = seeded["browser"], seeded["app"]
    page = await browser.get(f"/applications/{app['id']}")
    assert page.status_code == 200
    assert _tile(page.text, "kpi-events-per-min") == "30"
    assert _tile(page.text, "kpi-active-users") == "7"
    assert _tile(page.text, "kpi-events-today") == "30"
    assert _tile(page.text, "kpi-error-rate") == "10.0%"
    assert _tile(page.text, "kpi-p95") == "190 ms"
    assert f'data-live-app="{app["id"]}"' in page.text
    figure = _figure(page.text)
    assert len(figure["data"][0]["y"]) == LIVE_WINDOW_S
    assert sum(figure["data"][0]["y"]) == 30
    # The line of the average per second over the last AVERAGE_S seconds, at every second.
    bars, average = figure["data"]
    assert (average["name"], average["meta"]["window"]) == (f"{AVERAGE_S}-second average", AVERAGE_S)
    assert average["x"] == bars["x"]
    for i in (0, AVERAGE_S // 2, LIVE_WINDOW_S - 1):
        window = bars["y"][max(0, i + 1 - AVERAGE_S) : i + 1]
        assert average["y"][i] == pytest.approx(sum(window) / len(window), abs=0.005)


def _tile_text(html: str, tile_id: str) -> str:
    """A tile's words as read: label, value, change and hint."""
    block = html.split(f'id="{tile_id}-label"')[1].split('<div class="kpi">')[0].split("</div>\n  </div>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", block.split(">", 1)[1]).split())


async def test_tiles_compare_with_the_same_time_yesterday(client: httpx.AsyncClient, make_org: Any, login: Any) -> None:
    owner = await make_org()
    app = (await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=owner.headers)).json()
    key = {"X-API-Key": app["ingest_key"]}
    now = datetime.now(UTC)
    then = now - timedelta(days=1, seconds=20)  # in yesterday's minute, five minutes and day so far
    today = [{"event": "pageview", "distinct_id": f"u{i % 3}"} for i in range(6)]
    yesterday = [{"event": "pageview", "distinct_id": f"y{i}", "timestamp": then.isoformat()} for i in range(4)]
    await client.post("/v1/events/batch", json={"events": today + yesterday}, headers=key)
    metrics = [
        {"endpoint": "/x", "method": "GET", "status_code": 500 if i < 1 else 200, "duration_ms": 100.0}
        for i in range(10)
    ] + [
        {
            "endpoint": "/x",
            "method": "GET",
            "status_code": 500 if i < 3 else 200,
            "duration_ms": 80.0,
            "timestamp": (now - timedelta(days=1, minutes=10)).isoformat(),
        }
        for i in range(10)
    ]
    await client.post("/v1/performance/batch", json={"metrics": metrics}, headers=key)

    html = (await (await login(owner)).get(f"/applications/{app['id']}/kpis")).text
    assert _tile_text(html, "kpi-events-per-min") == "Events per minute 6 Up +50.0% last 60 seconds · yesterday 4"
    assert _tile_text(html, "kpi-active-users") == "Active users 3 Down -25.0% last 5 minutes · yesterday 4"
    # Just after midnight, yesterday's events fall before that day's 00:00: nothing to compare.
    if then.date() == (now - timedelta(days=1)).date():
        assert _tile_text(html, "kpi-events-today") == "Events today 6 Up +50.0% since 00:00 UTC · yesterday 4"
    else:
        assert _tile_text(html, "kpi-events-today") == "Events today 6 since 00:00 UTC"
    # Fewer errors is better (green); a share changes in percentage points.
    assert _tile_text(html, "kpi-error-rate") == "Error rate 10.0% Down -20.0 pt 5xx share, last hour · yesterday 30.0%"
    assert "kpi__delta kpi__delta--good" in html.split('id="kpi-error-rate"')[1]
    assert _tile_text(html, "kpi-p95") == "p95 response time 100 ms Up +25.0% last hour · yesterday 80 ms"


async def test_kpi_fragment_refreshes(seeded: dict[str, Any]) -> None:
    fragment = await seeded["browser"].get(f"/applications/{seeded['app']['id']}/kpis")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'hx-trigger="every 10s"' in fragment.text
    # One root, the element swapped: the ingest health line inside it is replaced, not added
    # again beside it on every refresh.
    roots = _top_level_elements(fragment.text)
    assert roots == [("div", "overview-kpis")]
    assert fragment.text.count('id="ingest-health"') == 1


def _top_level_elements(html: str) -> list[tuple[str, str | None]]:
    """(tag, id) of each element at the top of an HTML fragment."""
    found: list[tuple[str, str | None]] = []
    depth = 0

    class Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            nonlocal depth
            if depth == 0:
                found.append((tag, dict(attrs).get("id")))
            if tag not in VOID_ELEMENTS:
                depth += 1

        def handle_endtag(self, tag: str) -> None:
            nonlocal depth
            depth -= 1

    Parser().feed(html)
    return found


@pytest.mark.parametrize("query", ["range=1h", "range=24h&compare=true", "range=7d&interval=day", "range=30d"])
async def test_ranges_render_the_same_counts_as_the_timeseries_api(
    seeded: dict[str, Any], client: httpx.AsyncClient, query: str
) -> None:
    app = seeded["app"]
    fragment = await seeded["browser"].get(f"/applications/{app['id']}/chart?{query}")
    assert fragment.status_code == 200
    assert "data-live-app" not in fragment.text
    figure = _figure(fragment.text)
    traces = figure["data"]
    assert sum(traces[0]["y"]) == 30
    # The range runs up to now: its last bucket is marked as still filling, on this period only.
    [shade] = figure["layout"]["shapes"]
    assert shade["name"] == "under way"
    assert traces[0]["hovertemplate"][-1].startswith("%{y:,d} so far")
    if "compare" in query:
        # As on dashboards: the period before as a dotted line in the series' colour.
        assert [trace["name"] for trace in traces] == ["Events", "Previous period"]
        assert sum(traces[1]["y"]) == 0
        assert (traces[1]["line"]["dash"], traces[1]["meta"]) == ("dot", {"series": 0, "role": "previous"})
        assert isinstance(traces[1]["hovertemplate"], str)  # a whole bucket: not "so far"


async def test_bad_ranges_are_400(seeded: dict[str, Any]) -> None:
    base = f"/applications/{seeded['app']['id']}/chart"
    for query in (
        "range=custom",
        "range=custom&from=2026-01-02T00:00&to=2026-01-01T00:00",
        "range=custom&from=yesterday&to=2026-01-01T00:00",
        "range=1h&interval=week",
        "range=forever",
    ):
        response = await seeded["browser"].get(f"{base}?{query}", headers={"accept": "text/html"})
        assert response.status_code == 400, query


async def test_another_organisations_overview_is_404(
    seeded: dict[str, Any], make_org: Any, login: Any, started_app: Litestar
) -> None:
    stranger = await login(await make_org("Stranger"))
    for path in ("", "/kpis", "/chart?range=1h", "/setup", "/requests"):
        assert (await stranger.get(f"/applications/{seeded['app']['id']}{path}")).status_code == 404, path


async def test_requests_section_charts_the_last_hour_and_lists_the_slowest_endpoints(
    seeded: dict[str, Any], client: httpx.AsyncClient
) -> None:
    app = seeded["app"]
    slow = [{"endpoint": "/api/report", "method": "POST", "status_code": 200, "duration_ms": 900.0}] * 3
    await client.post("/v1/performance/batch", json={"metrics": slow}, headers={"X-API-Key": app["ingest_key"]})

    page = await seeded["browser"].get(f"/applications/{app['id']}")
    assert f'hx-get="/applications/{app["id"]}/requests" hx-trigger="load"' in page.text  # loaded lazily
    fragment = await seeded["browser"].get(f"/applications/{app['id']}/requests")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'hx-trigger="every 30s"' in fragment.text
    p95, median, errors = _figure(fragment.text)["data"]
    assert [p95["name"], median["name"], errors["name"]] == ["p95", "Median", "Server errors"]
    assert sum(errors["y"]) == 2
    # 23 requests in an hour is sparse: five-minute steps, each present (empty ones as gaps).
    assert len(errors["y"]) in (12, 13)
    assert max(value for value in p95["y"] if value is not None) >= 900
    rows = fragment.text.split('id="overview-endpoints-body"')[1]
    assert rows.index("POST /api/report") < rows.index("GET /api/x")  # slowest first
    assert "2 <span" in rows.split("GET /api/x")[1]  # its two 5xx


async def test_busy_requests_are_charted_per_minute_and_none_say_what_to_do(
    client: httpx.AsyncClient, make_org: Any, login: Any
) -> None:
    owner = await make_org()
    browser = await login(owner)
    busy, quiet = [
        (await client.post("/v1/applications", json={"name": name, "type": "web"}, headers=owner.headers)).json()
        for name in ("Busy", "Quiet")
    ]
    # Requests in 50 of the last 60 minutes: busy enough for a step a minute.
    now = datetime.now(UTC)
    metrics = [
        {
            "endpoint": "/api/y",
            "method": "GET",
            "status_code": 200,
            "duration_ms": 5.0,
            "timestamp": (now - timedelta(minutes=i)).isoformat(),
        }
        for i in range(50)
    ]
    await client.post("/v1/performance/batch", json={"metrics": metrics}, headers={"X-API-Key": busy["ingest_key"]})

    traces = _figure((await browser.get(f"/applications/{busy['id']}/requests")).text)["data"]
    assert len(traces[0]["x"]) == 60
    assert sum(traces[2]["y"]) == 0

    empty = await browser.get(f"/applications/{quiet['id']}/requests")
    assert empty.status_code == 200
    assert "No requests in the last hour" in empty.text
    assert f'href="/applications/{quiet["id"]}/setup"' in empty.text


async def test_the_applications_list_shows_each_ones_last_day(
    client: httpx.AsyncClient, make_org: Any, login: Any, started_app: Litestar
) -> None:
    owner = await make_org()
    for name in ("Busy", "Quiet"):
        await client.post("/v1/applications", json={"name": name, "type": "web"}, headers=owner.headers)
    [busy] = [
        app
        for app in (await client.get("/v1/applications", headers=owner.headers)).json()["items"]
        if app["name"] == "Busy"
    ]
    now = datetime.now(UTC)
    events = [
        {"event": "pageview", "distinct_id": f"u{i}", "timestamp": (now - timedelta(hours=hours)).isoformat()}
        for i, hours in enumerate([0, 0, 0, 5, 5, 23, 30])  # the last one is older than a day
    ]
    await client.post("/v1/events/batch", json={"events": events}, headers={"X-API-Key": busy["ingest_key"]})
    # Another organisation's events never reach this list.
    other = await make_org("Other")
    stranger = (
        await client.post("/v1/applications", json={"name": "Busy", "type": "web"}, headers=other.headers)
    ).json()
    await client.post("/v1/events/batch", json={"events": events}, headers={"X-API-Key": stranger["ingest_key"]})

    page = (await (await login(owner)).get("/applications")).text
    rows = {name: page.split(f">{name}</a>")[1].split("</tr>")[0] for name in ("Busy", "Quiet")}
    assert ">6</span>" in rows["Busy"]
    assert 'aria-label="Events per hour over the last day (whole hours); 6 in all"' in rows["Busy"]
    # A point per whole hour: the hour under way (3 of the 6 events) is in the total, not the line.
    points = rows["Busy"].split('points="')[1].split('"')[0].split()
    assert len(points) == 23
    assert "None yet" in rows["Quiet"]
    assert "<svg" not in rows["Quiet"]
