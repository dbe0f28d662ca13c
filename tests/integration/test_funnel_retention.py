"""Funnel and retention panels end to end: events with known paths written to the real
store (chDB), panels added through the API and the builder, exact numbers read back from
the panel data route, the CSV and the lazily loaded panel body; bad settings are 400s."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from litestar import Litestar

from app.domain.analytics.retention import WEEK, monday
from tests.integration.analytics_data import event, insert_events
from tests.integration.test_bad_input import assert_error

pytestmark = pytest.mark.engines

FUNNEL_7D = {"range": "7d", "interval": "day"}
FUNNEL = {"steps": ["pageview", "signup", "purchase"], "window": "1h"}
HX = {"HX-Request": "true"}


async def _setup(client: httpx.AsyncClient, owner: Any) -> tuple[str, str]:
    created = await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=owner.headers)
    app_id = str(created.json()["id"])
    dashboard = await client.post("/v1/dashboards", json={"name": "Growth", "app_id": app_id}, headers=owner.headers)
    return app_id, str(dashboard.json()["id"])


async def _add(client: httpx.AsyncClient, owner: Any, dashboard_id: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/v1/dashboards/{dashboard_id}/panels", json=body, headers=owner.headers)


async def _data(client: httpx.AsyncClient, owner: Any, dashboard_id: str, created: httpx.Response) -> Any:
    url = f"/v1/dashboards/{dashboard_id}/panels/{created.json()['id']}/data"
    return (await client.get(url, headers=owner.headers)).json()


def _paths(start: datetime) -> list[tuple[str, datetime, str, dict[str, Any]]]:
    """Known paths: u1 completes within the hour; u2 buys too late; u3 buys before signing
    up (reaches signup only); u4 only views; u5 never views (not in the funnel)."""
    pro = {"plan": "pro"}
    minutes = lambda m: start + timedelta(minutes=m)  # noqa: E731
    return [
        event("pageview", minutes(0), "u1", pro),
        event("signup", minutes(5), "u1", pro),
        event("purchase", minutes(10), "u1", pro),
        event("pageview", minutes(0), "u2"),
        event("signup", minutes(5), "u2"),
        event("purchase", minutes(125), "u2"),
        event("pageview", minutes(0), "u3"),
        event("purchase", minutes(5), "u3"),
        event("signup", minutes(10), "u3"),
        event("pageview", minutes(0), "u4", pro),
        event("signup", minutes(0), "u5"),
        event("purchase", minutes(3), "u5"),
    ]


async def test_funnel_panel_counts_people_per_step(
    client: httpx.AsyncClient, make_org: Any, started_app: Litestar, login: Any
) -> None:
    owner = await make_org()
    app_id, dashboard_id = await _setup(client, owner)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    await insert_events(started_app, app_id, owner.org_id, _paths(start))

    created = await _add(
        client,
        owner,
        dashboard_id,
        {"chart_type": "funnel", "query": {**FUNNEL_7D, "funnel": FUNNEL}},
    )
    assert created.status_code == 201, created.text
    panel = created.json()
    assert panel["query"]["funnel"] == FUNNEL
    base = f"/v1/dashboards/{dashboard_id}/panels/{panel['id']}"

    data = (await client.get(f"{base}/data", headers=owner.headers)).json()
    assert data["chart_type"] == "funnel"
    assert [(s["event"], s["users"], s["dropped"]) for s in data["funnel"]] == [
        ("pageview", 4, 0),
        ("signup", 3, 1),
        ("purchase", 1, 2),
    ]
    assert [s["step_conversion"] for s in data["funnel"]] == [100.0, 75.0, 33.33]
    assert data["overall_conversion"] == 25.0
    assert data["series"] == []
    assert data["retention"] is None

    # A wider window lets u2's late purchase count; filters apply to every step.
    wide = await _add(
        client,
        owner,
        dashboard_id,
        {"chart_type": "funnel", "query": {"range": "7d", "interval": "day", "funnel": {**FUNNEL, "window": "1d"}}},
    )
    wide_data = (
        await client.get(f"/v1/dashboards/{dashboard_id}/panels/{wide.json()['id']}/data", headers=owner.headers)
    ).json()
    assert [s["users"] for s in wide_data["funnel"]] == [4, 3, 2]
    pro = await _add(
        client,
        owner,
        dashboard_id,
        {
            "chart_type": "funnel",
            "query": {"range": "7d", "funnel": FUNNEL, "filters": [{"property": "plan", "value": "pro"}]},
        },
    )
    pro_data = (
        await client.get(f"/v1/dashboards/{dashboard_id}/panels/{pro.json()['id']}/data", headers=owner.headers)
    ).json()
    assert [s["users"] for s in pro_data["funnel"]] == [2, 1, 1]

    exported = await client.get(f"{base}/data.csv", headers=owner.headers)
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["step", "event", "users", "conversion %", "step conversion %", "dropped"]
    assert rows[1:] == [
        ["1", "pageview", "4", "100.0", "100.0", "0"],
        ["2", "signup", "3", "75.0", "75.0", "1"],
        ["3", "purchase", "1", "25.0", "33.33", "2"],
    ]

    browser = await login(owner)
    body = await browser.get(f"/dashboards/{dashboard_id}/panels/{panel['id']}", headers=HX)
    assert body.status_code == 200
    assert '"type":"funnel"' in body.text.replace(" ", "")
    assert "Overall conversion <strong>25%</strong> (1 of 4 people) · within 1 hour" in body.text
    page = await browser.get(f"/dashboards/{dashboard_id}")
    assert "Funnel: pageview → signup → purchase" in page.text


async def test_retention_panel_builds_weekly_cohorts(
    client: httpx.AsyncClient, make_org: Any, started_app: Litestar, login: Any
) -> None:
    owner = await make_org()
    app_id, dashboard_id = await _setup(client, owner)
    this_week = monday(datetime.now(UTC))
    week = lambda n, user, name="pageview": event(name, this_week - n * WEEK + timedelta(hours=1), user)  # noqa: E731
    await insert_events(
        started_app,
        app_id,
        owner.org_id,
        [
            # Cohort two weeks ago: a, b, c. a comes back both weeks, b once.
            week(2, "a"),
            week(2, "b"),
            week(2, "c"),
            week(1, "a"),
            week(0, "a"),
            week(1, "b"),
            week(1, "b", "purchase"),
            # Last week: d (back this week with a purchase only). This week: e, f.
            week(1, "d"),
            week(0, "d", "purchase"),
            week(0, "e"),
            week(0, "f"),
            # Seen first five weeks ago: in no cohort, though active now.
            week(5, "old"),
            week(0, "old"),
        ],
    )
    created = await _add(
        client,
        owner,
        dashboard_id,
        {"chart_type": "retention", "query": {"retention": {"weeks": 3}}},
    )
    assert created.status_code == 201, created.text
    base = f"/v1/dashboards/{dashboard_id}/panels/{created.json()['id']}"
    data = (await client.get(f"{base}/data", headers=owner.headers)).json()
    assert data["interval"] == "week"
    cohorts = [(c["cohort"], c["size"], c["users"], c["percent"]) for c in data["retention"]]
    assert cohorts == [
        ((this_week - 2 * WEEK).date().isoformat(), 3, [3, 2, 1], [100.0, 66.67, 33.33]),
        ((this_week - WEEK).date().isoformat(), 1, [1, 1, None], [100.0, 100.0, None]),
        (this_week.date().isoformat(), 2, [2, None, None], [100.0, None, None]),
    ]

    # Returning only by purchase: b in week 1 of the first cohort, d in week 1 of the second.
    by_purchase = await _add(
        client,
        owner,
        dashboard_id,
        {"chart_type": "retention", "query": {"retention": {"weeks": 3, "return_event": "purchase"}}},
    )
    bought = (
        await client.get(f"/v1/dashboards/{dashboard_id}/panels/{by_purchase.json()['id']}/data", headers=owner.headers)
    ).json()
    assert [c["users"] for c in bought["retention"]] == [[3, 1, 0], [1, 1, None], [2, None, None]]

    exported = await client.get(f"{base}/data.csv", headers=owner.headers)
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["cohort", "size", "week 0", "week 0 %", "week 1", "week 1 %", "week 2", "week 2 %"]
    assert rows[1] == [(this_week - 2 * WEEK).date().isoformat(), "3", "3", "100.0", "2", "66.67", "1", "33.33"]

    browser = await login(owner)
    body = await browser.get(f"/dashboards/{dashboard_id}/panels/{created.json()['id']}", headers=HX)
    assert body.status_code == 200
    assert '<caption class="sr-only">Retention of 6 people in 3 weekly cohorts.' in body.text
    assert 'title="2 of 3 people in week 1"' in body.text
    assert "66.67%" in body.text


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"chart_type": "funnel", "query": {"funnel": {"steps": ["pageview"]}}}, "validation_error"),
        ({"chart_type": "funnel", "query": {"funnel": {"steps": ["a", "b"], "window": "3d"}}}, "validation_error"),
        ({"chart_type": "funnel", "query": {"funnel": {"steps": ["a", "a"]}}}, "validation_error"),
        ({"chart_type": "funnel", "query": {"events": ["a"]}}, "validation_error"),
        ({"chart_type": "retention", "query": {}}, "validation_error"),
        ({"chart_type": "retention", "query": {"retention": {"weeks": 20}}}, "validation_error"),
        ({"chart_type": "pie", "query": {}}, "validation_error"),
    ],
)
async def test_bad_funnel_and_retention_settings_are_400(
    client: httpx.AsyncClient, make_org: Any, body: dict[str, Any], code: str
) -> None:
    owner = await make_org()
    _, dashboard_id = await _setup(client, owner)
    error = assert_error(await _add(client, owner, dashboard_id, body), 400)
    assert error["code"]


async def test_changing_a_panel_to_a_funnel_needs_its_steps(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    _, dashboard_id = await _setup(client, owner)
    panel = (await _add(client, owner, dashboard_id, {"query": {"events": ["signup"]}})).json()
    url = f"/v1/dashboards/{dashboard_id}/panels/{panel['id']}"
    refused = await client.patch(url, json={"chart_type": "funnel"}, headers=owner.headers)
    assert_error(refused, 400, "invalid_panel")
    changed = await client.patch(
        url, json={"chart_type": "funnel", "query": {"range": "7d", "funnel": FUNNEL}}, headers=owner.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["chart_type"] == "funnel"


async def test_build_a_funnel_in_the_browser(client: httpx.AsyncClient, make_org: Any, login: Any) -> None:
    owner = await make_org()
    _, dashboard_id = await _setup(client, owner)
    browser = await login(owner)
    form = await browser.get(f"/dashboards/{dashboard_id}/panels/new")
    assert form.status_code == 200
    assert 'name="funnel_steps"' in form.text
    assert 'data-show-values="funnel"' in form.text
    csrf = browser.cookies.get("nexus_csrf", "")
    pairs = [
        ("_csrf_token", csrf),
        ("title", ""),
        ("chart_type", "funnel"),
        ("range", "7d"),
        ("interval", "hour"),
        ("events", "*"),
        ("aggregation", "count"),
        ("funnel_steps", "pageview"),
        ("funnel_steps", ""),
        ("funnel_window", "1d"),
        ("width", "6"),
        ("height", "4"),
    ]
    headers = {"content-type": "application/x-www-form-urlencoded"}
    refused = await browser.post(f"/dashboards/{dashboard_id}/panels", content=urlencode(pairs), headers=headers)
    assert refused.status_code == 400
    assert "Choose 2 to 8 steps" in refused.text
    pairs[8] = ("funnel_steps", "signup")
    preview = await browser.post(
        f"/dashboards/{dashboard_id}/panels/preview", content=urlencode(pairs), headers={**headers, **HX}
    )
    # The funnel ran: with no events yet, it says nobody took its first step.
    assert "Nobody did pageview in this range." in preview.text
    saved = await browser.post(f"/dashboards/{dashboard_id}/panels", content=urlencode(pairs), headers=headers)
    assert saved.status_code == 303, saved.text
    panels = (await client.get(f"/v1/dashboards/{dashboard_id}", headers=owner.headers)).json()["panels"]
    assert panels[0]["chart_type"] == "funnel"
    assert panels[0]["query"]["funnel"] == {"steps": ["pageview", "signup"], "window": "1d"}
    edit = await browser.get(f"/dashboards/{dashboard_id}/panels/{panels[0]['id']}/edit")
    assert 'value="signup"' in edit.text
