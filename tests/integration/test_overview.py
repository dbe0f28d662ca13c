"""The application overview: KPI tiles, the live chart, ranges and comparison."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.domain.analytics.kpis import LIVE_WINDOW_S


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


async def test_kpi_fragment_refreshes(seeded: dict[str, Any]) -> None:
    fragment = await seeded["browser"].get(f"/applications/{seeded['app']['id']}/kpis")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'hx-trigger="every 10s"' in fragment.text


@pytest.mark.parametrize("query", ["range=1h", "range=24h&compare=true", "range=7d&interval=day", "range=30d"])
async def test_ranges_render_the_same_counts_as_the_timeseries_api(
    seeded: dict[str, Any], client: httpx.AsyncClient, query: str
) -> None:
    app = seeded["app"]
    fragment = await seeded["browser"].get(f"/applications/{app['id']}/chart?{query}")
    assert fragment.status_code == 200
    assert "data-live-app" not in fragment.text
    traces = _figure(fragment.text)["data"]
    assert sum(traces[0]["y"]) == 30
    if "compare" in query:
        assert [trace["name"] for trace in traces] == ["This period", "Previous period"]
        assert sum(traces[1]["y"]) == 0


async def test_bad_ranges_are_400(seeded: dict[str, Any]) -> None:
    base = f"/applications/{seeded['app']['id']}/chart"
    for query in (
        "range=custom",
        "range=custom&from=2026-01-02T00:00&to=2026-01-01T00:00",
        "range=1h&interval=week",
        "range=forever",
    ):
        response = await seeded["browser"].get(f"{base}?{query}", headers={"accept": "text/html"})
        assert response.status_code == 400, query


async def test_another_organisations_overview_is_404(
    seeded: dict[str, Any], make_org: Any, login: Any, started_app: Litestar
) -> None:
    stranger = await login(await make_org("Stranger"))
    for path in ("", "/kpis", "/chart?range=1h", "/setup"):
        assert (await stranger.get(f"/applications/{seeded['app']['id']}{path}")).status_code == 404, path
