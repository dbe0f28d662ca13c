"""The application's Health tab: each connection's status, latency history and uptime, live
updates as checks run, and a "Check now" button that runs one check inline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Template

from app.core import audit
from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.pages import render
from app.domain.applications import service as applications
from app.domain.connections import health
from app.domain.connections import health_queries as queries
from app.domain.connections.service import not_found
from app.worker import TaskContext
from components.health_chart import latency_figure, uptime_percent

HISTORY = timedelta(hours=24)
STATUS_KINDS = {"healthy": "success", "degraded": "warning", "failing": "danger", "pending": "neutral"}


def connection_view(row: dict[str, Any], checks: list[dict[str, Any]]) -> dict[str, Any]:
    """What the connection card shows: the row, its last day of checks as a chart, uptime."""
    failed = sum(1 for check in checks if not check["ok"])
    summary = (
        f"Latency of {len(checks)} checks in the last 24 hours, {failed} failed."
        if checks
        else "No checks in the last 24 hours."
    )
    return {
        **row,
        "status_kind": STATUS_KINDS.get(row["status"], "neutral"),
        "checks": len(checks),
        "uptime": uptime_percent(checks),
        "figure": latency_figure(checks) if checks else None,
        "summary": summary,
    }


def task_context(state: State) -> TaskContext:
    """What a background check has, from the web process's own state."""
    return TaskContext(
        engines=state.engines,
        settings=state.settings,
        box=state.secret_box,
        outbound=state.outbound,
        hub=state.live_hub,
        queue=state.queue,
    )


class HealthPages(Controller):
    path = "/applications/{app_id:uuid}/health"
    include_in_schema = False
    guards = [requires(Permission.READ)]

    @get("/")
    async def index(
        self, request: Request[Any, Any, Any], app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        app = applications.to_application(await applications.get(db, principal, str(app_id)), state.secret_box)
        rows = await queries.for_app(db, principal.org_id, str(app_id))
        since = datetime.now(UTC) - HISTORY
        checks = await queries.history(db, principal.org_id, [row["id"] for row in rows], since)
        by_connection: dict[str, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
        for check in checks:
            by_connection[check["connection_id"]].append(check)
        views = [connection_view(row, by_connection[row["id"]]) for row in rows]
        return render(
            request,
            "pages/health/index.html",
            nav="applications",
            application=app,
            tab="health",
            connections=views,
            interval_minutes=max(1, round(state.settings.worker.health_interval_s / 60)),
        )

    @post("/{connection_id:uuid}/check", guards=[requires(Permission.WRITE)])
    async def check_now(
        self,
        request: Request[Any, Any, Any],
        app_id: FromPath[UUID],
        connection_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
    ) -> Template:
        app = await applications.get(db, principal, str(app_id))
        if await queries.one(db, principal.org_id, str(app_id), str(connection_id)) is None:
            raise not_found()
        outcome = await health.check(task_context(state), principal.org_id, str(connection_id))
        async with db.transaction():
            details = {"status": outcome.status if outcome else "skipped", "app_id": app["id"]}
            await audit.record(db, principal, "connection.checked", "connection", str(connection_id), request, details)
        row = await queries.one(db, principal.org_id, str(app_id), str(connection_id))
        if row is None:
            raise not_found()
        checks = await queries.history(db, principal.org_id, [row["id"]], datetime.now(UTC) - HISTORY)
        return render(
            request,
            "pages/health/_connection.html",
            application={"id": app["id"], "name": app["name"]},
            connection=connection_view(row, checks),
            checked=outcome is not None,
        )
