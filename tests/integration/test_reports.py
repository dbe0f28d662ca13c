"""Application reports: JSON and CSV from the API, the page, and the self-contained HTML download."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import polars as pl
import pytest
from litestar import Litestar
from standardwebhooks import Webhook

from app.domain.reports import build
from app.domain.reports.tasks import send_weekly_reports
from tests.integration.analytics_data import event, insert_events
from tests.integration.test_webhook_delivery import Receiver, receiver  # noqa: F401 - the receiver fixture

HOURS = 7 * 24  # the default period, up to the last complete hour
BEFORE = 24  # a day of history before it: the previous period's tail and the detector's baseline


async def _app_with_history(started_app: Litestar, client: httpx.AsyncClient, owner: Any) -> tuple[str, datetime, int]:
    """Steady traffic (7 page views and 3 signups an hour) and one spike hour; returns the
    application, the spike's hour and how many events fall in the default period."""
    response = await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=owner.headers)
    assert response.status_code == 201, response.text
    app_id = str(response.json()["id"])
    last_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    spike = last_hour - timedelta(hours=40)
    rows = []
    for h in range(HOURS + BEFORE):
        hour = last_hour - timedelta(hours=h)
        at = hour + timedelta(minutes=30)
        rows += [event("page_view", at, f"u{i % 5}") for i in range(7)]
        rows += [event("signup", at, f"u{i}") for i in range(3)]
        if hour == spike:
            rows += [event("page_view", at, f"spiker{i}") for i in range(190)]
    await insert_events(started_app, app_id, owner.org_id, rows)
    async with started_app.state.engines.postgres.pool.connection() as conn:
        await conn.execute(
            """INSERT INTO insights (org_id, app_id, type, severity, title)
               VALUES (%s, %s, 'performance', 'high', 'Checkout got slower')""",
            (owner.org_id, app_id),
        )
    return app_id, spike, HOURS * 10 + 190


async def test_json_report_has_kpis_top_events_anomalies_insights_and_forecast(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, add_member: Any
) -> None:
    owner = await make_org()
    app_id, spike, total = await _app_with_history(started_app, client, owner)
    viewer = await add_member(owner, "viewer")  # reading a report needs only READ
    response = await client.get(f"/v1/applications/{app_id}/report", headers=viewer.headers)
    assert response.status_code == 200, response.text
    report = response.json()

    assert report["app_name"] == "Shop"
    kpis = report["kpis"]
    assert kpis["events"] == total == HOURS * 10 + 190
    assert kpis["users"] == 5 + 190  # u0..u4 (signups reuse u0..u2) and the spike's visitors
    assert kpis["events_change"] == pytest.approx((total - BEFORE * 10) / (BEFORE * 10))
    assert kpis["requests"] == 0
    assert kpis["error_rate"] is None
    assert sum(day["events"] for day in report["daily"]) == total
    assert len(report["daily"]) in (7, 8)  # the period's calendar days, quiet ones included
    assert [(e["event"], e["events"]) for e in report["top_events"]] == [
        ("page_view", HOURS * 7 + 190),
        ("signup", HOURS * 3),
    ]
    [anomaly] = report["anomalies"]
    assert anomaly["t"].startswith(spike.strftime("%Y-%m-%dT%H:00:00"))
    assert anomaly["direction"] == "spike"
    assert anomaly["value"] == 200
    assert anomaly["expected"] == 10
    assert len(report["forecast"]) == 24
    assert all(p["lower"] <= p["forecast"] <= p["upper"] for p in report["forecast"])
    assert [i["title"] for i in report["insights"]] == ["Checkout got slower"]


async def test_csv_parses_into_kpis_daily_and_top_events(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any
) -> None:
    owner = await make_org()
    app_id, _, total = await _app_with_history(started_app, client, owner)
    response = await client.get(f"/v1/applications/{app_id}/report?format=csv", headers=owner.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert set(rows[0]) == {"section", "date", "name", "metric", "value"}
    kpis = {row["metric"]: row["value"] for row in rows if row["section"] == "kpi"}
    assert int(kpis["events"]) == total
    assert kpis["error_rate"] == ""
    daily = [row for row in rows if row["section"] == "daily" and row["metric"] == "events"]
    assert sum(int(row["value"]) for row in daily) == total
    datetime.strptime(daily[0]["date"], "%Y-%m-%d")
    top = [
        (row["name"], int(row["value"])) for row in rows if row["section"] == "top_event" and row["metric"] == "events"
    ]
    assert top[0] == ("page_view", HOURS * 7 + 190)


async def test_html_download_is_self_contained_with_charts_and_kpis(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, login: Any
) -> None:
    owner = await make_org()
    app_id, _, total = await _app_with_history(started_app, client, owner)
    browser = await login(owner)
    page = await browser.get(f"/applications/{app_id}/report")
    assert page.status_code == 200, page.text
    assert 'id="chart-report-events"' in page.text
    assert "Checkout got slower" in page.text
    assert f"{total:,}" in page.text

    response = await browser.get(f"/applications/{app_id}/report.html")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert 'attachment; filename="report-' in response.headers["content-disposition"]
    html = response.text
    assert "<script src=" not in html
    assert "<link" not in html
    assert "Plotly.newPlot" in html
    assert len(html) > 1_000_000
    for chart in ("chart-events", "chart-daily", "chart-top"):
        assert f'id="{chart}"' in html
    assert f"{total:,}" in html
    assert "Checkout got slower" in html
    assert "page_view" in html

    csv_download = await browser.get(f"/applications/{app_id}/report.csv?from=2020-01-01&to=2020-01-07")
    assert csv_download.status_code == 200
    kpis = {r["metric"]: r["value"] for r in csv.DictReader(io.StringIO(csv_download.text)) if r["section"] == "kpi"}
    assert kpis["events"] == "0"


async def test_event_names_cannot_inject_script_into_the_download(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, login: Any
) -> None:
    owner = await make_org()
    response = await client.post("/v1/applications", json={"name": "Evil", "type": "web"}, headers=owner.headers)
    app_id = response.json()["id"]
    at = datetime.now(UTC) - timedelta(hours=2)
    await insert_events(started_app, app_id, owner.org_id, [event("</script><script>alert(1)</script>", at)])
    html = (await (await login(owner)).get(f"/applications/{app_id}/report.html")).text
    assert "<script>alert(1)" not in html


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("from=yesterday", "invalid_parameter"),
        ("from=2025-02-01&to=2025-01-01", "invalid_range"),
        ("from=2024-01-01&to=2025-01-01", "invalid_range"),
        ("format=pdf", "invalid_request"),
    ],
)
async def test_bad_periods_are_400(client: httpx.AsyncClient, make_org: Any, query: str, code: str) -> None:
    owner = await make_org()
    app_id = (
        await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=owner.headers)
    ).json()["id"]
    response = await client.get(f"/v1/applications/{app_id}/report?{query}", headers=owner.headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code


async def test_other_organisations_get_404(client: httpx.AsyncClient, make_org: Any, login: Any) -> None:
    acme, globex = await make_org("Acme"), await make_org("Globex")
    app_id = (await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=acme.headers)).json()[
        "id"
    ]
    assert (await client.get(f"/v1/applications/{app_id}/report", headers=globex.headers)).status_code == 404
    browser = await login(globex)
    for suffix in ("report", "report.html", "report.csv"):
        assert (await browser.get(f"/applications/{app_id}/{suffix}")).status_code == 404


async def test_weekly_report_goes_to_subscribed_webhooks(
    started_app: Litestar,
    client: httpx.AsyncClient,
    make_org: Any,
    receiver: Receiver,  # noqa: F811 - the fixture imported above
) -> None:
    owner, quiet = await make_org("Acme"), await make_org("Globex")
    app_id, _, total = await _app_with_history(started_app, client, owner)
    body = {"url": receiver.url, "events": ["report.weekly"]}
    hook = (await client.post("/v1/webhooks", json=body, headers=owner.headers)).json()
    other = {"url": receiver.url, "events": ["insight.created"]}  # not subscribed: gets nothing
    assert (await client.post("/v1/webhooks", json=other, headers=quiet.headers)).status_code == 201

    state = started_app.state
    assert await send_weekly_reports({"engines": state.engines, "queue": state.queue}) == 1
    for _ in range(100):
        if receiver.requests:
            break
        await asyncio.sleep(0.1)
    [(headers, payload)] = receiver.requests
    message = Webhook(hook["secret"]).verify(payload, headers)
    assert message["type"] == "report.weekly"
    assert message["data"]["app_id"] == app_id
    assert message["data"]["kpis"]["events"] == total


def test_hours_before_the_first_event_are_not_a_baseline() -> None:
    start = datetime(2025, 3, 3, tzinfo=UTC)
    values = [0.0] * 48 + [10.0] * 48 + [90.0] + [10.0] * 10
    hours = [start + timedelta(hours=h) for h in range(len(values))]
    [anomaly] = build.anomalies(pl.DataFrame({"t": hours, "value": values}), start)
    assert anomaly.t == hours[96]
    assert anomaly.direction == "spike"
