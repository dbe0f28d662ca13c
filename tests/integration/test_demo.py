"""Demo traffic on the real engines: applications, history without duplicates, live ticks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar

from app import bootstrap
from app.domain.dashboards import service as dashboards
from app.domain.dashboards.panel_runs import run_panel
from app.domain.demo import queries
from app.domain.demo.apps import admin_principal
from app.domain.demo.dashboards import STARTER_PANELS, dashboard_name
from app.domain.demo.profiles import PROFILES
from app.domain.demo.runner import DemoApp, DemoTraffic, ensure_demo, submit_live
from app.domain.demo.shape import OPENING_DELAY, to_ms
from app.settings import Settings


async def _count(started_app: Litestar, table: str, app_id: str) -> int:
    result = await started_app.state.engines.clickhouse.query_arrow(
        f"SELECT count() AS n FROM {table} WHERE app_id = {{a:UUID}}", {"a": app_id}
    )
    return int(result.column("n")[0].as_py())


async def _hourly(started_app: Litestar, app_id: str) -> int:
    result = await started_app.state.engines.clickhouse.query_arrow(
        "SELECT sum(events) AS n FROM events_rollup WHERE app_id = {a:UUID} AND grain = 3", {"a": app_id}
    )
    return int(result.column("n")[0].as_py() or 0)


async def _demo_rows(started_app: Litestar, settings: Settings) -> list[dict[str, Any]]:
    async with started_app.state.engines.postgres.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT org_id::text AS org_id FROM users WHERE lower(email) = lower(%s)", (settings.admin.email,)
        )
        admin = await cursor.fetchone()
        return await queries.demo_apps(conn, admin["org_id"])


async def _dashboards(started_app: Litestar) -> list[dict[str, Any]]:
    async with started_app.state.engines.postgres.pool.connection() as conn:
        cursor = await conn.execute("SELECT id::text AS id, name, app_id::text AS app_id FROM dashboards")
        return await cursor.fetchall()


async def _check_starter_dashboards(started_app: Litestar, apps: list[DemoApp], now: datetime) -> None:
    engines, settings = started_app.state.engines, started_app.state.settings
    by_app = {row["app_id"]: row for row in await _dashboards(started_app)}
    assert sorted(by_app) == sorted(app.app_id for app in apps)
    async with engines.postgres.pool.connection() as conn:
        admin = await admin_principal(conn, settings.admin.email)
        assert admin is not None
        for app in apps:
            dashboard_row = by_app[app.app_id]
            assert dashboard_row["name"] == dashboard_name(app.profile)
            dashboard, panel_rows = await dashboards.get(conn, admin, dashboard_row["id"])
            panels = [dashboards.to_panel(row) for row in panel_rows]
            assert [p.title for p in panels] == [p.title for p in STARTER_PANELS]
            results = [await run_panel(conn, engines.clickhouse, admin, dashboard, p, now) for p in panels]
            # The first panel charts pageviews over the last 24 hours: the history's two hours.
            assert sum(point.value for s in results[0].series() for point in s.points) > 0  # type: ignore[union-attr]


@pytest.fixture
async def no_demo_apps(started_app: Litestar) -> None:
    """The admin's organisation (other tests empty PostgreSQL), without demo applications."""
    await bootstrap.ensure_admin(started_app.state.engines, started_app.state.settings)
    async with started_app.state.engines.postgres.pool.connection() as conn:
        await conn.execute("DELETE FROM applications WHERE settings ? 'demo'")
        await conn.execute("DELETE FROM dashboards")


@pytest.mark.usefixtures("no_demo_apps")
async def test_demo_creates_three_apps_with_history_once_and_live_ticks(started_app: Litestar) -> None:
    engines, settings = started_app.state.engines, started_app.state.settings
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)

    apps = await ensure_demo(engines, settings, window=timedelta(hours=2), now=now)

    assert sorted(app.profile.key for app in apps) == sorted(p.key for p in PROFILES)
    rows = await _demo_rows(started_app, settings)
    assert {row["name"] for row in rows} == {p.name for p in PROFILES}
    assert all(row["status"] == "active" for row in rows)
    assert all(row["demo"]["filled_until"] == now.isoformat() for row in rows)
    assert all(row["demo"]["filled_from"] == (now - timedelta(hours=2)).isoformat() for row in rows)
    # Each opens with a traffic spike a few minutes after it was made.
    opening = now + OPENING_DELAY
    assert all(row["demo"]["opening_at"] == opening.isoformat() for row in rows)
    assert {app.profile.opening_ms for app in apps} == {to_ms(opening)}
    hour = (now, now + timedelta(hours=1))
    openings = [a.kind for app in apps for a in app.generator().anomalies(*hour) if a.start == opening]
    assert openings == ["spike"] * len(apps)
    events = {app.app_id: await _count(started_app, "events", app.app_id) for app in apps}
    metrics = {app.app_id: await _count(started_app, "performance_metrics", app.app_id) for app in apps}
    for app in apps:
        expected = app.generator().events(now - timedelta(hours=2), now).num_rows
        assert events[app.app_id] == expected > 0
        assert metrics[app.app_id] > 0
        assert await _hourly(started_app, app.app_id) == expected  # the rollup saw every event
    # History reads as received when it happened: no ingestion delay on the application page.
    for table in ("events", "performance_metrics"):
        delay = await engines.clickhouse.query_arrow(
            f"SELECT max(received_at - timestamp) AS d FROM {table} WHERE app_id IN {{a:Array(UUID)}}",
            {"a": [app.app_id for app in apps]},
        )
        assert delay.column("d")[0].as_py() == 0

    # Each application comes with a starter dashboard whose every panel runs.
    await _check_starter_dashboards(started_app, apps, now)

    # Again (a restart at the same moment): nothing is added, nothing created.
    again = await ensure_demo(engines, settings, window=timedelta(hours=2), now=now)
    assert sorted(app.app_id for app in again) == sorted(app.app_id for app in apps)
    assert {app.app_id: await _count(started_app, "events", app.app_id) for app in apps} == events
    assert {app.app_id: await _count(started_app, "performance_metrics", app.app_id) for app in apps} == metrics
    assert len(await _dashboards(started_app)) == len(apps)

    # A deleted starter dashboard stays deleted; a demo application from before there were
    # starter dashboards (no mark in its settings) gets one at the next start.
    async with engines.postgres.pool.connection() as conn:
        await conn.execute("DELETE FROM dashboards")
        await conn.execute(
            "UPDATE applications SET settings = settings #- '{demo,starter_dashboard}' WHERE id = %s",
            (apps[0].app_id,),
        )
    await ensure_demo(engines, settings, window=timedelta(hours=2), now=now)
    assert [row["app_id"] for row in await _dashboards(started_app)] == [apps[0].app_id]

    # A restart a little later catches up just the missing minutes.
    later = now + timedelta(minutes=3)
    await ensure_demo(engines, settings, window=timedelta(hours=2), now=later)
    for app in apps:
        added = app.generator().events(now, later).num_rows
        assert await _count(started_app, "events", app.app_id) == events[app.app_id] + added
        events[app.app_id] += added

    # One live tick goes through the group-commit writers.
    tick = await submit_live(
        apps, later, later + timedelta(minutes=2), started_app.state.event_writer, started_app.state.metric_writer
    )
    assert tick > 0
    assert sum([await _count(started_app, "events", app.app_id) for app in apps]) == sum(events.values()) + tick


@pytest.mark.usefixtures("no_demo_apps")
async def test_a_chunk_stored_before_a_crash_is_not_stored_again(started_app: Litestar) -> None:
    engines, settings = started_app.state.engines, started_app.state.settings
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    apps = await ensure_demo(engines, settings, window=timedelta(hours=1), now=now)
    before = {app.app_id: await _count(started_app, "events", app.app_id) for app in apps}
    # The progress record is lost (as if the process died between insert and record).
    async with engines.postgres.pool.connection() as conn:
        await queries.record_filled(conn, [app.app_id for app in apps], "filled_from", now)
    again: list[DemoApp] = await ensure_demo(engines, settings, window=timedelta(hours=1), now=now)
    assert all(app.filled_from == now - timedelta(hours=1) for app in again)
    assert {app.app_id: await _count(started_app, "events", app.app_id) for app in apps} == before


@pytest.mark.usefixtures("no_demo_apps")
async def test_background_task_runs_live_in_one_process_only_and_stops_cleanly(started_app: Litestar) -> None:
    engines, settings = started_app.state.engines, started_app.state.settings
    writers = (started_app.state.event_writer, started_app.state.metric_writer)
    first = DemoTraffic(engines, settings, *writers, window=timedelta(minutes=30), tick_s=0.2)
    second = DemoTraffic(engines, settings, *writers, window=timedelta(minutes=30), tick_s=0.2)
    first.start()
    for _ in range(100):
        await asyncio.sleep(0.1)
        if first.apps:
            break
    second.start()  # waits on the advisory lock the first holds
    started = datetime.now(UTC)
    await asyncio.sleep(2.5)
    assert len(first.apps) == 3
    assert second.apps == []
    await asyncio.wait_for(second.stop(), 5)
    await asyncio.wait_for(first.stop(), 5)
    rows = await _demo_rows(started_app, settings)
    # The live loop ran and recorded how far it got on the way out.
    assert all(datetime.fromisoformat(row["demo"]["filled_until"]) >= started for row in rows)
    for app in first.apps:
        since = datetime.fromisoformat(next(r for r in rows if r["id"] == app.app_id)["demo"]["filled_from"])
        until = datetime.fromisoformat(next(r for r in rows if r["id"] == app.app_id)["demo"]["filled_until"])
        assert await _count(started_app, "events", app.app_id) == app.generator().events(since, until).num_rows
