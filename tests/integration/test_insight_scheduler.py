"""The scheduler over real engines: request metrics become latency and error insights, per
organisation; "Evaluate now" runs it as a job; a tick over many applications stays quick."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.domain.insights import scheduler
from tests.integration.analytics_data import insert_events
from tests.integration.test_insights_api import ctx_of, make_app

pytestmark = pytest.mark.engines


async def insert_metrics(app: Litestar, app_id: str, org_id: str, rows: list[tuple[datetime, str, int, float]]) -> None:
    lines = [
        json.dumps(
            {
                "app_id": app_id,
                "org_id": org_id,
                "uuid": str(uuid.uuid4()),
                "endpoint": endpoint,
                "method": "GET",
                "status_code": status,
                "duration_ms": duration,
                "timestamp": at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            }
        )
        for at, endpoint, status, duration in rows
    ]
    columns = "app_id, org_id, uuid, endpoint, method, status_code, duration_ms, timestamp"
    await app.state.engines.clickhouse.command(
        f"INSERT INTO performance_metrics ({columns}) FORMAT JSONEachRow\n" + "\n".join(lines)
    )


def requests(end: datetime, *, slow_recent: bool, failing_recent: bool) -> list[tuple[datetime, str, int, float]]:
    """Two endpoints, ten requests a minute each for three hours; the last five minutes of
    /checkout optionally slow (2.5 s) and failing (one in four)."""
    rows = []
    for minute in range(180):
        at = end - timedelta(minutes=180 - minute)
        recent = minute >= 175
        for i in range(10):
            moment = at + timedelta(seconds=i * 5)
            rows.append((moment, "/home", 200, 40.0 + i))
            slow = recent and slow_recent
            failed = recent and failing_recent and i % 4 == 0
            rows.append((moment, "/checkout", 503 if failed else 200, 2500.0 + i if slow else 120.0 + i))
    return rows


async def test_slow_and_failing_requests_become_insights_of_their_organisation_only(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any
) -> None:
    acme, globex = await make_org("Acme"), await make_org("Globex")
    shop = await make_app(client, acme, "Shop")
    calm = await make_app(client, globex, "Calm")
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    await insert_metrics(started_app, shop, acme.org_id, requests(end, slow_recent=True, failing_recent=True))
    await insert_metrics(started_app, calm, globex.org_id, requests(end, slow_recent=False, failing_recent=False))

    ctx = ctx_of(started_app)
    report = await scheduler.tick(ctx, now=end, org_ids=[acme.org_id, globex.org_id])
    assert report.organisations == 2
    assert report.created == 2, report

    items = (await client.get("/v1/insights", headers=acme.headers)).json()["items"]
    by_fingerprint = {item["fingerprint"]: item for item in items}
    assert set(by_fingerprint) == {"latency:GET /checkout", "errors:rate"}
    latency = by_fingerprint["latency:GET /checkout"]
    assert latency["type"] == "performance"
    assert latency["severity"] == "high"
    assert latency["data"]["value"] >= 2500
    assert latency["data"]["series"], "the evidence carries the per-minute p95"
    errors = by_fingerprint["errors:rate"]
    assert errors["type"] == "technical"
    assert errors["data"]["value"] == pytest.approx(15 / 100)  # 15 of the 100 recent requests
    assert (await client.get("/v1/insights", headers=globex.headers)).json()["items"] == []

    # Back to normal in the next five minutes: both resolve themselves.
    later = end + timedelta(minutes=5)
    fine = [
        (end + timedelta(minutes=m, seconds=i * 5), path, 200, 100.0)
        for m in range(5)
        for i in range(10)
        for path in ("/home", "/checkout")
    ]
    await insert_metrics(started_app, shop, acme.org_id, fine)
    report = await scheduler.tick(ctx, now=later, org_ids=[acme.org_id])
    assert report.resolved == 2, report
    assert (await client.get("/v1/insights?status=open", headers=acme.headers)).json()["items"] == []


async def test_evaluate_now_runs_the_tick_as_a_job(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any, add_member: Any
) -> None:
    owner = await make_org()
    await make_app(client, owner)
    member = await add_member(owner, "member")
    assert (await client.post("/v1/insights/evaluate", headers=member.headers)).status_code == 403
    response = await client.post("/v1/insights/evaluate", headers=owner.headers)
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    for _ in range(100):
        job = (await client.get(f"/v1/jobs/{job_id}", headers=owner.headers)).json()
        if job["status"] in ("completed", "failed"):
            break
        await asyncio.sleep(0.1)
    assert job["status"] == "completed", job
    assert job["progress"] == 100


async def test_one_tick_over_a_hundred_applications(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any
) -> None:
    """Every application of every organisation is evaluated in one tick (bench/insights_tick.py times it)."""
    owners = [await make_org(f"Org{n}") for n in range(4)]
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    apps = []
    for n in range(100):
        owner = owners[n % 4]
        app_id = await make_app(client, owner, f"App {n}")
        apps.append(app_id)
        rows = [("pageview", end - timedelta(minutes=m), "u", {}) for m in range(1, 151) for _ in range(3)]
        await insert_events(started_app, app_id, owner.org_id, rows)
    report = await scheduler.tick(ctx_of(started_app), now=end, org_ids=[o.org_id for o in owners])
    assert report.applications == 100
    assert report.failed_organisations == []
    assert report.created == 0  # steady traffic: nothing to report


def visits(start: datetime, end: datetime, users: int, signup_every: int, tag: str) -> list[Any]:
    """`users` visitors spread over [start, end); every `signup_every`-th signs up two minutes
    after arriving (0: nobody does)."""
    span = (end - start) / users
    rows = []
    for n in range(users):
        arrived = start + span * n
        rows.append(("pageview", arrived, f"{tag}{n}", {}))
        if signup_every and n % signup_every == 0:
            rows.append(("signup", arrived + timedelta(minutes=2), f"{tag}{n}", {}))
    return rows


async def test_a_conversion_drop_is_judged_on_settled_visits(
    started_app: Litestar, client: httpx.AsyncClient, make_org: Any
) -> None:
    owner = await make_org()
    dropped, fresh = await make_app(client, owner, "Dropped"), await make_app(client, owner, "Fresh")
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    settled, hour_before = end - timedelta(minutes=30), end - timedelta(minutes=90)
    # Both: five hours converting one visitor in five.
    for app_id in (dropped, fresh):
        await insert_events(
            started_app, app_id, owner.org_id, visits(end - timedelta(hours=6), hour_before, 400, 5, "b")
        )
    # Dropped: the settled hour converts one in fifty.
    await insert_events(started_app, dropped, owner.org_id, visits(hour_before, settled, 100, 50, "d"))
    # Fresh: the settled hour is normal; the last half hour's visitors have not converted yet.
    await insert_events(started_app, fresh, owner.org_id, visits(hour_before, settled, 100, 5, "f"))
    await insert_events(started_app, fresh, owner.org_id, visits(settled, end, 60, 0, "n"))

    report = await scheduler.tick(ctx_of(started_app), now=end, org_ids=[owner.org_id])

    assert report.failed_organisations == []
    listed = await client.get("/v1/insights", params={"status": "open"}, headers=owner.headers)
    opened = [(i["app_id"], i["fingerprint"], i["data"]["value"]) for i in listed.json()["items"]]
    assert opened == [(dropped, "conversion:signup", 0.02)]
