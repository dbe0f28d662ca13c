"""GET /v1/applications/{id}/anomalies: events posted through the ingest API, a spike found."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.integration.analytics_data import day_start, iso
from tests.integration.test_bad_input import assert_error

pytestmark = pytest.mark.engines

SPIKE_MINUTE = 150
POINT_KEYS = {"t", "value", "expected", "lower", "upper", "score", "anomaly"}


def _figure(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" class="chart__figure">(.*?)</script>', html, re.S)
    assert match, html
    return dict(json.loads(match.group(1)))


async def _app(client: httpx.AsyncClient, owner: Any) -> dict[str, str]:
    response = await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return {"id": response.json()["id"], "key": response.json()["ingest_key"]}


async def _post_minutes(client: httpx.AsyncClient, key: str, counts: list[int], start: Any) -> None:
    """`counts[m]` pageviews in minute m after `start`, through POST /v1/events/batch."""
    events = [
        {"event": "pageview", "distinct_id": f"u{i}", "timestamp": iso(start + timedelta(minutes=m, seconds=i % 50))}
        for m, count in enumerate(counts)
        for i in range(count)
    ]
    response = await client.post("/v1/events/batch", json={"events": events}, headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": len(events), "rejected": []}


async def test_a_spike_is_flagged_with_its_band_and_explanation(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    app = await _app(client, owner)
    start = day_start(1)
    counts = [4 + m % 3 for m in range(180)]  # 4, 5, 6, 4, 5, 6, ...
    counts[SPIKE_MINUTE] = 60
    await _post_minutes(client, app["key"], counts, start)

    end = start + timedelta(minutes=180)
    # Only the last hour is asked for: the two hours before it warm the baseline.
    response = await client.get(
        f"/v1/applications/{app['id']}/anomalies",
        params={
            "event": "pageview",
            "interval": "minute",
            "from": iso(start + timedelta(minutes=120)),
            "to": iso(end),
        },
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["interval"] == "minute"
    points = body["points"]
    assert len(points) == 60
    assert all(set(point) == POINT_KEYS for point in points)
    assert points[0]["t"] == iso(start + timedelta(minutes=120))
    assert [p["value"] for p in points] == counts[120:]
    flagged = [p["t"] for p in points if p["anomaly"]]
    assert flagged == [iso(start + timedelta(minutes=SPIKE_MINUTE))]
    spike = points[SPIKE_MINUTE - 120]
    assert spike["expected"] == 5
    assert spike["lower"] < 5 < spike["upper"] < 60
    assert spike["score"] > 3
    # The band is there from the first point asked for: the history before `from` was read.
    assert all(p["expected"] is not None and p["upper"] is not None for p in points)
    explanation = body["explanation"]
    assert explanation["detector"] == "rolling_mad"
    assert explanation["baseline_window"] == 60
    assert explanation["sensitivity"] == 3.0

    timeseries = await client.get(
        f"/v1/applications/{app['id']}/timeseries",
        params={
            "event": "pageview",
            "interval": "minute",
            "from": points[0]["t"],
            "to": iso(start + timedelta(hours=3)),
        },
        headers=owner.headers,
    )
    assert [p["value"] for p in timeseries.json()["points"]] == [p["value"] for p in points]


async def test_hourly_uses_the_seasonal_baseline(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    app = await _app(client, owner)
    response = await client.get(
        f"/v1/applications/{app['id']}/anomalies", params={"interval": "hour"}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["points"]) in (24, 25)
    assert body["explanation"]["detector"] == "seasonal_mad"
    assert not any(p["anomaly"] for p in body["points"])  # nothing happened: nothing is unusual


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"interval": "week"}, None),
        ({"from": "yesterday"}, "invalid_parameter"),
        ({"interval": "minute", "from": "2025-01-01T00:00:00Z", "to": "2025-03-01T00:00:00Z"}, "invalid_range"),
        ({"from": "2025-01-02T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, "invalid_range"),
        ({"event": ""}, None),
    ],
)
async def test_bad_parameters_are_400(
    client: httpx.AsyncClient, make_org: Any, params: dict[str, str], code: str | None
) -> None:
    owner = await make_org()
    app = await _app(client, owner)
    response = await client.get(f"/v1/applications/{app['id']}/anomalies", params=params, headers=owner.headers)
    assert_error(response, 400, code)


async def test_another_organisations_application_is_not_found(client: httpx.AsyncClient, make_org: Any) -> None:
    victim = await make_org("Victim")
    app = await _app(client, victim)
    attacker = await make_org("Attacker")
    response = await client.get(f"/v1/applications/{app['id']}/anomalies", headers=attacker.headers)
    assert_error(response, 404, "not_found")
    unauthenticated = await client.get(f"/v1/applications/{app['id']}/anomalies")
    assert unauthenticated.status_code == 401


async def test_the_route_is_in_the_openapi_schema(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/v1/applications/{app_id}/anomalies"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"event", "interval", "from", "to"}


async def test_a_panel_can_show_its_expected_band_and_forecast(
    client: httpx.AsyncClient, make_org: Any, login: Any
) -> None:
    owner = await make_org()
    app = await _app(client, owner)
    # A fixed 40 hours back, not yesterday's midnight: the band needs a day of hours since the
    # first value to learn from, and at 01:00 yesterday's midnight is only 25 hours behind.
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=40)
    await _post_minutes(client, app["key"], [3] * 60, start)
    dashboard = (
        await client.post("/v1/dashboards", json={"name": "Ops", "app_id": app["id"]}, headers=owner.headers)
    ).json()
    url = f"/v1/dashboards/{dashboard['id']}/panels"
    query = {"events": ["pageview"], "interval": "hour", "range": "7d"}
    plain = await client.post(url, json={"query": query}, headers=owner.headers)
    assert plain.json()["options"] == {"show_anomalies": False, "show_forecast": False}
    options = {"show_anomalies": True, "show_forecast": True}
    created = await client.post(url, json={"query": query, "options": options}, headers=owner.headers)
    assert created.status_code == 201, created.text
    assert created.json()["options"] == options
    unknown = await client.post(url, json={"query": query, "options": {"show_everything": True}}, headers=owner.headers)
    assert unknown.status_code == 400
    panel_id = created.json()["id"]
    patched = await client.patch(f"{url}/{panel_id}", json={"options": {"show_anomalies": True}}, headers=owner.headers)
    assert patched.json()["options"] == {"show_anomalies": True, "show_forecast": False}

    browser = await login(owner)
    body = await browser.get(f"/dashboards/{dashboard['id']}/panels/{panel_id}", headers={"HX-Request": "true"})
    assert body.status_code == 200
    names = [trace["name"] for trace in _figure(body.text)["data"]]
    # The application's first hour is where its history begins, not a spike over the empty
    # days before it: the band is drawn from the hours since, and nothing is flagged.
    assert names == ["Expected range (upper)", "Expected range", "pageview"]
    plain_body = await browser.get(
        f"/dashboards/{dashboard['id']}/panels/{plain.json()['id']}", headers={"HX-Request": "true"}
    )
    assert [trace["name"] for trace in _figure(plain_body.text)["data"]] == ["pageview"]

    # The builder: the toggles are shown for line and area charts, and saved from the form.
    edit = await browser.get(f"/dashboards/{dashboard['id']}/panels/{panel_id}/edit")
    assert re.search(r'name="show_anomalies" value="1" checked', edit.text)
    assert not re.search(r'name="show_forecast" value="1" checked', edit.text)
    assert "Show expected band and anomalies" in edit.text
    form = {
        "_csrf_token": browser.cookies.get("nexus_csrf", ""),
        "events": "pageview",
        "aggregation": "count",
        "chart_type": "line",
        "range": "7d",
        "interval": "hour",
        "width": "6",
        "height": "4",
        "show_forecast": "1",
    }
    saved = await browser.post(f"/dashboards/{dashboard['id']}/panels/{panel_id}", data=form)
    assert saved.status_code == 303, saved.text
    stored = await client.get(f"{url}/{panel_id}", headers=owner.headers)
    assert stored.json()["options"] == {"show_anomalies": False, "show_forecast": True}
    body = await browser.get(f"/dashboards/{dashboard['id']}/panels/{panel_id}", headers={"HX-Request": "true"})
    figure = _figure(body.text)
    assert [trace["name"] for trace in figure["data"]] == [
        "Forecast range (upper)",
        "Forecast range",
        "pageview",
        "Forecast",
    ]
    assert figure["data"][-1]["line"]["dash"] == "dash"
