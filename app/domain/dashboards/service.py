"""Dashboards rules: dashboards and their panels, which application a panel may chart,
panel order. Every change runs in one transaction together with its audit-log entry. (The
data behind a panel: panel_runs.py.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from psycopg import AsyncConnection

from app.core import audit
from app.core.auth import Principal
from app.core.errors import ApiError
from app.domain.analytics import timerange
from app.domain.analytics.schemas import QuerySpec
from app.domain.applications import queries as applications
from app.domain.dashboards import queries
from app.domain.dashboards.schemas import MAX_PANELS, Dashboard, DashboardSummary, Panel, check_kind

Conn = AsyncConnection[Any]
Request = ASGIConnection[Any, Any, Any, Any] | None  # None: the platform itself acts (demo)
Row = dict[str, Any]
DASHBOARD_FIELDS = ("id", "name", "description", "app_id", "created_by", "created_at", "updated_at")


# Rows → API shapes ------------------------------------------------------------------------


def to_panel(row: Row) -> Panel:
    return msgspec.convert({**row, "query": msgspec.convert(row["query"], QuerySpec)}, Panel)


def to_dashboard(row: Row, panel_rows: list[Row]) -> Dashboard:
    return Dashboard(**{k: row[k] for k in DASHBOARD_FIELDS}, panels=[to_panel(p) for p in panel_rows])


def to_summary(row: Row) -> DashboardSummary:
    return msgspec.convert(row, DashboardSummary)


def stored_query(spec: QuerySpec) -> dict[str, Any]:
    encoded: dict[str, Any] = msgspec.to_builtins(spec)
    return encoded


# Errors ------------------------------------------------------------------------------------


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "No such dashboard.")


def _panel_not_found() -> ApiError:
    return ApiError(404, "not_found", "No such panel.")


def _unknown_application() -> ApiError:
    return ApiError(
        400, "unknown_application", "Your organisation has no application with this id.", [{"key": "app_id"}]
    )


# Dashboards --------------------------------------------------------------------------------


async def _check_application(conn: Conn, principal: Principal, app_id: str | None) -> None:
    if app_id is not None and await applications.get(conn, principal.org_id, app_id) is None:
        raise _unknown_application()


async def get(conn: Conn, principal: Principal, dashboard_id: str) -> tuple[Row, list[Row]]:
    row = await queries.get(conn, principal.org_id, dashboard_id)
    if row is None:
        raise _not_found()
    return row, await queries.panels(conn, principal.org_id, dashboard_id)


async def create(conn: Conn, principal: Principal, fields: dict[str, Any], request: Request) -> Row:
    fields = {**fields, "app_id": str(fields["app_id"]) if fields.get("app_id") else None}
    async with conn.transaction():
        await _check_application(conn, principal, fields["app_id"])
        row = await queries.create(conn, principal.org_id, principal.user_id, fields)
        details = {"name": fields["name"], "app_id": fields["app_id"]}
        await audit.record(conn, principal, "dashboard.created", "dashboard", row["id"], request, details)
    return row


async def update(conn: Conn, principal: Principal, dashboard_id: str, changes: dict[str, Any], request: Request) -> Row:
    if changes.get("app_id") is not None:
        changes = {**changes, "app_id": str(changes["app_id"])}
    async with conn.transaction():
        if "app_id" in changes:
            await _check_application(conn, principal, changes["app_id"])
        row = await queries.update(conn, principal.org_id, dashboard_id, changes)
        if row is None:
            raise _not_found()
        await audit.record(conn, principal, "dashboard.updated", "dashboard", dashboard_id, request, changes)
    return row


async def delete(conn: Conn, principal: Principal, dashboard_id: str, request: Request) -> None:
    async with conn.transaction():
        if not await queries.delete(conn, principal.org_id, dashboard_id):
            raise _not_found()
        await audit.record(conn, principal, "dashboard.deleted", "dashboard", dashboard_id, request)


# Panels ------------------------------------------------------------------------------------


async def _locked(conn: Conn, principal: Principal, dashboard_id: str) -> Row:
    """The dashboard, locked for the rest of the transaction (panel order changes queue up)."""
    row = await queries.get(conn, principal.org_id, dashboard_id, lock=True)
    if row is None:
        raise _not_found()
    return row


async def _checked_query(conn: Conn, principal: Principal, dashboard: Row, spec: QuerySpec) -> QuerySpec:
    """The spec as stored: on a dashboard of one application `app_id` is implied (and
    must not name another); on an organisation-wide one it is required and must be ours.
    Its range must fit a chart."""
    if dashboard["app_id"] is not None:
        if spec.app_id is not None and spec.app_id != dashboard["app_id"]:
            raise ApiError(
                400,
                "app_mismatch",
                "This dashboard charts one application; leave `query.app_id` out.",
                [{"key": "query.app_id"}],
            )
        spec = msgspec.structs.replace(spec, app_id=None)
    elif spec.app_id is None:
        raise ApiError(
            400,
            "app_required",
            "This dashboard is for the whole organisation; say which application the panel charts in `query.app_id`.",
            [{"key": "query.app_id"}],
        )
    else:
        await _check_application(conn, principal, spec.app_id)
    try:
        timerange.resolve(spec, "", "", datetime.now(UTC))
    except timerange.RangeError as exc:
        raise ApiError(400, "invalid_range", str(exc), [{"key": "query.interval"}]) from exc
    return spec


async def get_panel(conn: Conn, principal: Principal, dashboard_id: str, panel_id: str) -> tuple[Row, Row]:
    dashboard = await queries.get(conn, principal.org_id, dashboard_id)
    if dashboard is None:
        raise _not_found()
    row = await queries.panel(conn, principal.org_id, dashboard_id, panel_id)
    if row is None:
        raise _panel_not_found()
    return dashboard, row


async def add_panel(
    conn: Conn, principal: Principal, dashboard_id: str, fields: dict[str, Any], spec: QuerySpec, request: Request
) -> Row:
    async with conn.transaction():
        dashboard = await _locked(conn, principal, dashboard_id)
        spec = await _checked_query(conn, principal, dashboard, spec)
        count = await queries.count_panels(conn, principal.org_id, dashboard_id)
        if count >= MAX_PANELS:
            raise ApiError(409, "too_many_panels", f"A dashboard holds at most {MAX_PANELS} panels.")
        position = count if fields.get("position") is None else min(int(fields["position"]), count)
        await queries.make_room(conn, principal.org_id, dashboard_id, position)
        row = await queries.insert_panel(
            conn, principal.org_id, dashboard_id, {**fields, "position": position, "query": stored_query(spec)}
        )
        details = {"dashboard_id": dashboard_id, "title": fields["title"], "chart_type": fields["chart_type"]}
        await audit.record(conn, principal, "panel.created", "panel", row["id"], request, details)
    return row


async def update_panel(
    conn: Conn,
    principal: Principal,
    dashboard_id: str,
    panel_id: str,
    changes: dict[str, Any],
    request: Request,
) -> Row:
    async with conn.transaction():
        dashboard = await _locked(conn, principal, dashboard_id)
        if "chart_type" in changes or "query" in changes:
            await _check_kind_change(conn, principal, dashboard_id, panel_id, changes)
        if isinstance(changes.get("query"), QuerySpec):
            changes = {
                **changes,
                "query": stored_query(await _checked_query(conn, principal, dashboard, changes["query"])),
            }
        row = await queries.update_panel(conn, principal.org_id, dashboard_id, panel_id, changes)
        if row is None:
            raise _panel_not_found()
        details = {"dashboard_id": dashboard_id, "fields": sorted(changes)}
        await audit.record(conn, principal, "panel.updated", "panel", panel_id, request, details)
    return row


async def _check_kind_change(
    conn: Conn, principal: Principal, dashboard_id: str, panel_id: str, changes: dict[str, Any]
) -> None:
    """A PATCH may change the chart or the query alone: the pair must still fit."""
    current = await queries.panel(conn, principal.org_id, dashboard_id, panel_id)
    if current is None:
        raise _panel_not_found()
    query = changes.get("query") or msgspec.convert(current["query"], QuerySpec)
    try:
        check_kind(changes.get("chart_type") or current["chart_type"], query)
    except ValueError as exc:
        raise ApiError(400, "invalid_panel", str(exc)[0].upper() + str(exc)[1:] + ".", [{"key": "query"}]) from exc


async def delete_panel(conn: Conn, principal: Principal, dashboard_id: str, panel_id: str, request: Request) -> None:
    async with conn.transaction():
        await _locked(conn, principal, dashboard_id)
        row = await queries.delete_panel(conn, principal.org_id, dashboard_id, panel_id)
        if row is None:
            raise _panel_not_found()
        await queries.close_gap(conn, principal.org_id, dashboard_id, row["position"])
        details = {"dashboard_id": dashboard_id, "title": row["title"]}
        await audit.record(conn, principal, "panel.deleted", "panel", panel_id, request, details)


async def duplicate_panel(conn: Conn, principal: Principal, dashboard_id: str, panel_id: str, request: Request) -> Row:
    """A copy placed right after the original."""
    async with conn.transaction():
        await _locked(conn, principal, dashboard_id)
        original = await queries.panel(conn, principal.org_id, dashboard_id, panel_id)
        if original is None:
            raise _panel_not_found()
        if await queries.count_panels(conn, principal.org_id, dashboard_id) >= MAX_PANELS:
            raise ApiError(409, "too_many_panels", f"A dashboard holds at most {MAX_PANELS} panels.")
        position = original["position"] + 1
        await queries.make_room(conn, principal.org_id, dashboard_id, position)
        title = (original["title"] + " (copy)")[:120] if original["title"] else ""
        row = await queries.insert_panel(
            conn, principal.org_id, dashboard_id, {**original, "title": title, "position": position}
        )
        details = {"dashboard_id": dashboard_id, "source_panel_id": panel_id}
        await audit.record(conn, principal, "panel.duplicated", "panel", row["id"], request, details)
    return row


async def reorder(
    conn: Conn, principal: Principal, dashboard_id: str, panel_ids: list[str], request: Request
) -> list[Row]:
    """Set the order of every panel at once; the list must name each panel exactly once."""
    async with conn.transaction():
        await _locked(conn, principal, dashboard_id)
        current = [row["id"] for row in await queries.panels(conn, principal.org_id, dashboard_id)]
        if len(panel_ids) != len(set(panel_ids)) or set(panel_ids) != set(current):
            raise ApiError(
                400,
                "invalid_order",
                "List every panel of this dashboard exactly once, in the order you want.",
                [{"key": "panel_ids", "expected": len(current)}],
            )
        await queries.set_positions(conn, principal.org_id, dashboard_id, panel_ids)
        await audit.record(
            conn, principal, "dashboard.panels_reordered", "dashboard", dashboard_id, request, {"panel_ids": panel_ids}
        )
        return await queries.panels(conn, principal.org_id, dashboard_id)


async def move_panel(
    conn: Conn, principal: Principal, dashboard_id: str, panel_id: str, offset: int, request: Request
) -> None:
    """One place earlier (-1) or later (+1); nothing happens at either end."""
    async with conn.transaction():
        await _locked(conn, principal, dashboard_id)
        order = [row["id"] for row in await queries.panels(conn, principal.org_id, dashboard_id)]
        if panel_id not in order:
            raise _panel_not_found()
        index = order.index(panel_id)
        target = index + offset
        if not 0 <= target < len(order):
            return
        order[index], order[target] = order[target], order[index]
        await queries.set_positions(conn, principal.org_id, dashboard_id, order)
        details = {"dashboard_id": dashboard_id, "position": target}
        await audit.record(conn, principal, "panel.moved", "panel", panel_id, request, details)
