"""Insights API: filters and paging, every triage action in history and audit, roles, isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.domain.insights import service
from app.domain.insights.schemas import InsightDraft
from app.worker import TaskContext
from tests.integration.test_bad_input import assert_error

pytestmark = pytest.mark.engines


def ctx_of(app: Litestar) -> TaskContext:
    state = app.state
    return {"engines": state.engines, "hub": state.live_hub, "queue": state.queue, "settings": state.settings}


def draft(fingerprint: str = "volume:spike", severity: str = "high", **changes: Any) -> InsightDraft:
    fields: dict[str, Any] = {
        "fingerprint": fingerprint,
        "type": "business",
        "severity": severity,
        "title": f"Condition {fingerprint}",
        "description": "Event volume spiked.",
        "recommendation": "Check the traffic.",
        "confidence": 0.8,
        "impact": "Many events",
        "data": {"value": 100.0, "detector": "rolling_mad", "series": []},
    }
    return InsightDraft(**{**fields, **changes})


async def make_app(client: httpx.AsyncClient, owner: Any, name: str = "Shop") -> str:
    response = await client.post("/v1/applications", json={"name": name, "type": "web"}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def history_kinds(client: httpx.AsyncClient, member: Any, insight_id: str) -> list[str]:
    response = await client.get(f"/v1/insights/{insight_id}", headers=member.headers)
    assert response.status_code == 200, response.text
    return [event["kind"] for event in response.json()["history"]]


async def audit_actions(app: Litestar, org_id: str, insight_id: str) -> list[str]:
    async with app.state.engines.postgres.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT action FROM audit_log WHERE org_id = %s AND target_id = %s ORDER BY created_at",
            (org_id, insight_id),
        )
        return [row["action"] for row in await cursor.fetchall()]


async def test_list_filters_search_and_pages(started_app: Litestar, client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    shop, blog = await make_app(client, owner, "Shop"), await make_app(client, owner, "Blog")
    ctx = ctx_of(started_app)
    for n in range(5):
        await service.observe(ctx, owner.org_id, shop, draft(f"latency:GET /p{n}", "medium", type="performance"))
    await service.observe(ctx, owner.org_id, blog, draft("volume:drop", "critical", title="Traffic stopped"))

    everything = (await client.get("/v1/insights", headers=owner.headers)).json()
    assert len(everything["items"]) == 6
    assert everything["next_cursor"] is None
    first = everything["items"][0]
    assert {
        "id",
        "app_id",
        "type",
        "severity",
        "title",
        "description",
        "recommendation",
        "confidence",
        "impact",
        "status",
        "data",
        "created_at",
    } <= set(first)

    async def ids(**params: str) -> set[str]:
        response = await client.get("/v1/insights", params=params, headers=owner.headers)
        assert response.status_code == 200, response.text
        return {item["title"] for item in response.json()["items"]}

    assert await ids(severity="critical") == {"Traffic stopped"}
    assert await ids(type="performance") == {f"Condition latency:GET /p{n}" for n in range(5)}
    assert await ids(app_id=blog) == {"Traffic stopped"}
    assert await ids(q="stopped") == {"Traffic stopped"}
    assert await ids(q="100%") == set()  # LIKE wildcards are literal
    assert await ids(status="resolved") == set()
    assert len(await ids(status="new")) == 6

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/insights", params=params, headers=owner.headers)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 6
    assert len(set(seen)) == 6

    assert_error(await client.get("/v1/insights?severity=urgent", headers=owner.headers), 400)
    assert_error(await client.get("/v1/insights?app_id=nope", headers=owner.headers), 400, "invalid_filter")
    assert_error(await client.get("/v1/insights?cursor=garbage", headers=owner.headers), 400, "invalid_cursor")


async def test_every_triage_action_is_in_history_and_audit(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, add_member: Any
) -> None:
    owner = await make_org()
    support = await add_member(owner, "support")
    app_id = await make_app(client, owner)
    insight = await service.observe(ctx_of(started_app), owner.org_id, app_id, draft())
    iid = insight["id"]
    h = support.headers

    response = await client.post(f"/v1/insights/{iid}/acknowledge", headers=h)
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    assert_error(await client.post(f"/v1/insights/{iid}/acknowledge", headers=h), 409, "invalid_transition")

    response = await client.post(f"/v1/insights/{iid}/assign", json={"assignee_id": support.user_id}, headers=h)
    assert response.status_code == 200
    assert response.json()["assignee_id"] == support.user_id
    mine = (await client.get("/v1/insights?assignee=me", headers=h)).json()["items"]
    assert [item["id"] for item in mine] == [iid]
    stranger = "00000000-0000-0000-0000-000000000001"
    assert_error(await client.post(f"/v1/insights/{iid}/assign", json={"assignee_id": stranger}, headers=h), 400)

    until = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    response = await client.post(f"/v1/insights/{iid}/snooze", json={"until": until}, headers=h)
    assert response.status_code == 200
    assert response.json()["snoozed_until"] is not None
    past = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    assert_error(await client.post(f"/v1/insights/{iid}/snooze", json={"until": past}, headers=h), 400)
    assert_error(await client.post(f"/v1/insights/{iid}/snooze", json={}, headers=h), 400, "invalid_snooze")
    open_now = (await client.get("/v1/insights?status=open", headers=h)).json()["items"]
    assert open_now == []  # snoozed: out of the inbox
    assert len((await client.get("/v1/insights?status=snoozed", headers=h)).json()["items"]) == 1

    response = await client.post(f"/v1/insights/{iid}/comment", json={"body": "Looking into it"}, headers=h)
    assert response.status_code == 201
    assert_error(await client.post(f"/v1/insights/{iid}/comment", json={"body": "  "}, headers=h), 400)

    response = await client.post(f"/v1/insights/{iid}/resolve", json={"note": "Bot blocked"}, headers=h)
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    assert response.json()["snoozed_until"] is None
    assert response.json()["resolved_at"] is not None
    assert_error(await client.post(f"/v1/insights/{iid}/dismiss", headers=h), 409, "invalid_transition")
    response = await client.post(f"/v1/insights/{iid}/reopen", headers=h)
    assert response.status_code == 200
    assert response.json()["status"] == "new"
    response = await client.post(f"/v1/insights/{iid}/dismiss", headers=h)
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"

    detail = (await client.get(f"/v1/insights/{iid}", headers=h)).json()
    assert [e["kind"] for e in detail["history"]] == [
        "created",
        "acknowledged",
        "assigned",
        "snoozed",
        "commented",
        "resolved",
        "reopened",
        "dismissed",
    ]
    resolved = next(e for e in detail["history"] if e["kind"] == "resolved")
    assert resolved["body"] == "Bot blocked"
    assert resolved["actor_id"] == support.user_id
    assert await audit_actions(started_app, owner.org_id, iid) == [
        "insight.acknowledge",
        "insight.assign",
        "insight.snooze",
        "insight.comment",
        "insight.resolve",
        "insight.reopen",
        "insight.dismiss",
    ]


async def test_bulk_actions_report_each_insight(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any
) -> None:
    owner = await make_org()
    app_id = await make_app(client, owner)
    ctx = ctx_of(started_app)
    first = await service.observe(ctx, owner.org_id, app_id, draft("a"))
    second = await service.observe(ctx, owner.org_id, app_id, draft("b"))
    await client.post(f"/v1/insights/{second['id']}/resolve", headers=owner.headers)
    missing = "00000000-0000-0000-0000-0000000000aa"
    body = {"ids": [first["id"], second["id"], missing, "not-an-id"], "action": "acknowledge"}
    response = await client.post("/v1/insights/bulk", json=body, headers=owner.headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["updated"] == [first["id"]]
    assert {f["id"]: f["code"] for f in result["failed"]} == {
        second["id"]: "invalid_transition",
        missing: "not_found",
        "not-an-id": "not_found",
    }
    assert_error(
        await client.post("/v1/insights/bulk", json={"ids": [], "action": "resolve"}, headers=owner.headers), 400
    )
    assert_error(
        await client.post("/v1/insights/bulk", json={"ids": [first["id"]], "action": "explode"}, headers=owner.headers),
        400,
    )


async def test_viewers_read_but_cannot_triage_and_other_orgs_see_nothing(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, add_member: Any
) -> None:
    owner = await make_org()
    viewer = await add_member(owner, "viewer")
    app_id = await make_app(client, owner)
    iid = (await service.observe(ctx_of(started_app), owner.org_id, app_id, draft()))["id"]

    assert (await client.get(f"/v1/insights/{iid}", headers=viewer.headers)).status_code == 200
    for action in ("acknowledge", "resolve", "dismiss"):
        assert_error(await client.post(f"/v1/insights/{iid}/{action}", headers=viewer.headers), 403)
    assert_error(await client.post(f"/v1/insights/{iid}/comment", json={"body": "hi"}, headers=viewer.headers), 403)
    assert_error(await client.post("/v1/insights/evaluate", headers=viewer.headers), 403)

    other = await make_org("Globex")
    assert_error(await client.get(f"/v1/insights/{iid}", headers=other.headers), 404)
    assert_error(await client.post(f"/v1/insights/{iid}/acknowledge", headers=other.headers), 404)
    assert (await client.get("/v1/insights", headers=other.headers)).json()["items"] == []
    assert (await client.get(f"/v1/insights?app_id={app_id}", headers=other.headers)).json()["items"] == []
    assert await history_kinds(client, owner, iid) == ["created"]


async def test_observe_updates_instead_of_duplicating_and_snooze_wakes_on_escalation(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, login: Any
) -> None:
    owner = await make_org()
    app_id = await make_app(client, owner)
    ctx = ctx_of(started_app)
    iid = (await service.observe(ctx, owner.org_id, app_id, draft(severity="medium")))["id"]
    same = await service.observe(ctx, owner.org_id, app_id, draft(severity="medium", data={"value": 105.0}))
    assert same["id"] == iid
    assert await history_kinds(client, owner, iid) == ["created"]  # a 5 % move is not material
    await service.observe(ctx, owner.org_id, app_id, draft(severity="medium", data={"value": 300.0}))
    assert await history_kinds(client, owner, iid) == ["created", "updated"]
    # The page says what changed: the number, since the severity did not move.
    page = (await (await login(owner)).get(f"/insights/{iid}")).text
    assert "saw it change (105 → 300)" in page  # from the last observation
    assert "medium → medium" not in page

    response = await client.post(f"/v1/insights/{iid}/snooze", json={"until_escalates": True}, headers=owner.headers)
    assert response.status_code == 200
    await service.observe(ctx, owner.org_id, app_id, draft(severity="medium", data={"value": 300.0}))
    assert (await client.get(f"/v1/insights/{iid}", headers=owner.headers)).json()["snoozed_until"] is not None
    await service.observe(ctx, owner.org_id, app_id, draft(severity="critical", data={"value": 900.0}))
    woken = (await client.get(f"/v1/insights/{iid}", headers=owner.headers)).json()
    assert woken["snoozed_until"] is None
    assert woken["severity"] == "critical"
    assert [e["kind"] for e in woken["history"]][-1] == "reopened"

    await service.recover(ctx, owner.org_id, app_id, "volume:spike", "Back to normal.")
    done = (await client.get(f"/v1/insights/{iid}", headers=owner.headers)).json()
    assert done["status"] == "resolved"
    assert done["history"][-1]["body"] == "Back to normal."
    assert done["history"][-1]["actor_id"] is None
    again = await service.observe(ctx, owner.org_id, app_id, draft())
    assert again["id"] != iid  # a recurrence is a new insight


async def test_a_snooze_that_ran_out_wakes(started_app: Litestar, client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    app_id = await make_app(client, owner)
    ctx = ctx_of(started_app)
    iid = (await service.observe(ctx, owner.org_id, app_id, draft()))["id"]
    until = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    await client.post(f"/v1/insights/{iid}/snooze", json={"until": until}, headers=owner.headers)
    assert await service.wake_snoozed(ctx, datetime.now(UTC)) == 0
    assert await service.wake_snoozed(ctx, datetime.now(UTC) + timedelta(minutes=6)) == 1
    detail = (await client.get(f"/v1/insights/{iid}", headers=owner.headers)).json()
    assert detail["snoozed_until"] is None
    assert detail["history"][-1]["kind"] == "reopened"


def csrf_of(html: str) -> str:
    return html.split('name="_csrf_token" value="')[1].split('"')[0]


async def test_inbox_and_insight_pages(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, login: Any
) -> None:
    owner = await make_org()
    browser = await login(owner)
    empty = await browser.get("/insights")
    assert empty.status_code == 200
    assert "Inbox zero" in empty.text
    assert 'aria-live="polite"' in empty.text

    app_id = await make_app(client, owner)
    ctx = ctx_of(started_app)
    series = [{"t": "2026-03-02T12:00:00+00:00", "value": 10.0, "expected": 9.0, "lower": 5.0, "upper": 13.0}]
    insight = await service.observe(
        ctx, owner.org_id, app_id, draft(data={"value": 10.0, "series": series, "metric": "events_per_minute"})
    )
    page = await browser.get("/insights")
    assert f'id="insight-row-{insight["id"]}"' in page.text
    block = await browser.get("/insights?q=Condition", headers={"HX-Request": "true", "HX-Target": "insight-list"})
    assert block.status_code == 200
    assert "<html" not in block.text
    assert insight["id"] in block.text
    none = await browser.get(
        "/insights?q=nothing-like-this", headers={"HX-Request": "true", "HX-Target": "insight-list"}
    )
    assert "Nothing matches these filters" in none.text

    detail = await browser.get(f"/insights/{insight['id']}")
    assert detail.status_code == 200
    assert "chart__figure" in detail.text
    assert "Expected range" in detail.text
    token = csrf_of(detail.text)
    acked = await browser.post(
        f"/insights/{insight['id']}/acknowledge",
        data={"_csrf_token": token},
        headers={"HX-Request": "true", "HX-Target": f"insight-row-{insight['id']}"},
    )
    assert acked.status_code == 200
    assert "Acknowledged" in acked.text
    snoozed = await browser.post(
        f"/insights/{insight['id']}/snooze", data={"_csrf_token": token, "snooze": "escalates"}
    )
    assert snoozed.status_code == 303
    commented = await browser.post(f"/insights/{insight['id']}/comment", data={"_csrf_token": token, "body": "On it"})
    assert commented.status_code == 303
    bulk = await browser.post("/insights/bulk", data={"_csrf_token": token, "action": "resolve", "ids": insight["id"]})
    assert bulk.status_code == 303
    assert await history_kinds(client, owner, insight["id"]) == [
        "created",
        "acknowledged",
        "snoozed",
        "commented",
        "resolved",
    ]
    forged = await browser.post(f"/insights/{insight['id']}/reopen", data={"_csrf_token": "forged"})
    assert forged.status_code == 403


async def test_a_dismissed_condition_stays_quiet_unless_it_gets_worse(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any
) -> None:
    owner = await make_org()
    app_id = await make_app(client, owner)
    ctx = ctx_of(started_app)
    first = await service.observe(ctx, owner.org_id, app_id, draft(severity="medium"))
    await client.post(f"/v1/insights/{first['id']}/dismiss", json={"note": "Marketing push"}, headers=owner.headers)
    quiet = await service.observe(ctx, owner.org_id, app_id, draft(severity="medium"))
    assert quiet["id"] == first["id"]
    assert quiet["status"] == "dismissed"
    assert (await client.get("/v1/insights?status=open", headers=owner.headers)).json()["items"] == []
    worse = await service.observe(ctx, owner.org_id, app_id, draft(severity="critical"))
    assert worse["id"] != first["id"]
    assert worse["status"] == "new"
