"""`GET /embed/<token>`: a panel or dashboard, chrome-less, live, for customers' iframes.

The token is the only credential. Its `params` are locked filters (property = value)
added to every panel's query; the viewer cannot change them. The page may be framed only
by the organisation's allowed origins (CSP frame-ancestors).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Template

from app.core.auth import Permission, Principal
from app.core.deps import Db
from app.core.errors import ApiError
from app.domain.analytics.schemas import PropertyFilter
from app.domain.dashboards import panel_runs
from app.domain.dashboards import service as dashboards
from app.domain.dashboards.schemas import Panel
from app.domain.dashboards.viewing import filtered
from app.domain.dashboards.views import panel_body
from app.domain.embeds import service
from app.domain.embeds.tokens import EmbedGrant, EmbedTokenError
from components.panel import live_settings, panel_title

PUBLIC = {"exclude_from_auth": True, "skip_session": True}


def frame_ancestors(origins: list[str]) -> dict[str, str]:
    return {"Content-Security-Policy": "frame-ancestors " + (" ".join(origins) if origins else "'none'")}


def _viewer(grant: EmbedGrant) -> Principal:
    """Read-only access to the granting organisation, for the query layer's checks."""
    return Principal(
        user_id="",
        org_id=grant.org_id,
        org_name="",
        email="",
        name="embed",
        role="viewer",
        permissions=frozenset({Permission.READ}),
        via="embed",
    )


def _locked(panel: Panel, params: dict[str, Any]) -> Panel:
    try:
        locked = [PropertyFilter(property=str(name), operator="eq", value=value) for name, value in params.items()]
    except (ValueError, TypeError) as exc:
        raise EmbedTokenError(401, f"The embed token's params are not usable filters: {exc}") from exc
    return filtered(panel, locked)


async def _grant(db: Db, state: State, token: str) -> tuple[EmbedGrant, list[str]]:
    try:
        return await service.grant_for(db, state.secret_box, token)
    except EmbedTokenError as exc:
        raise ApiError(exc.status, "embed_token_refused", exc.message) from exc


async def _panels(db: Db, state: State, grant: EmbedGrant) -> tuple[dict[str, Any], list[Panel]]:
    viewer = _viewer(grant)
    dashboard, rows = await dashboards.get(db, viewer, grant.dashboard_id)
    panels = [dashboards.to_panel(row) for row in rows]
    if grant.kind == "panel":
        panels = [panel for panel in panels if panel.id == grant.resource_id]
    return dashboard, [_locked(panel, grant.params) for panel in panels]


class EmbedPages(Controller):
    path = "/embed"
    include_in_schema = False

    @get("/{token:str}", opt=PUBLIC)
    async def widget(self, request: Request[Any, Any, Any], token: FromPath[str], db: Db, state: State) -> Template:
        grant, origins = await _grant(db, state, token)
        dashboard, panels = await _panels(db, state, grant)
        bodies, now = [], datetime.now(UTC)
        for panel in panels:
            result = await panel_runs.run_panel(db, state.engines.clickhouse, _viewer(grant), dashboard, panel)
            body = panel_body(result, panel.chart_type)
            title = panel_title(panel)
            bodies.append(
                {"panel": panel, "title": title, "body": body, **live_settings(panel.query, panel.chart_type, now)}
            )
        return Template(
            template_name="pages/embeds/widget.html",
            context={
                "dashboard": dashboard,
                "bodies": bodies,
                "token": token,
                "app_id": grant.app_id,
                "principal": None,
                "flashes": [],
            },
            headers=frame_ancestors(origins),
        )

    @get("/{token:str}/panels/{panel_id:uuid}", opt=PUBLIC)
    async def panel(
        self, request: Request[Any, Any, Any], token: FromPath[str], panel_id: FromPath[UUID], db: Db, state: State
    ) -> Template:
        """One panel's body again, for the live refresh (the token is checked every time)."""
        grant, origins = await _grant(db, state, token)
        dashboard, panels = await _panels(db, state, grant)
        chosen = next((p for p in panels if p.id == str(panel_id)), None)
        if chosen is None:
            raise ApiError(404, "not_found", "No such panel in this embed.")
        newer_than = panel_runs.refreshed_after(request.headers)
        result = await panel_runs.run_panel(
            db, state.engines.clickhouse, _viewer(grant), dashboard, chosen, newer_than=newer_than
        )
        return Template(
            template_name="pages/dashboards/panel_body.html",
            context={
                "body": panel_body(result, chosen.chart_type),
                "chart_id": f"embed-{chosen.id}",
                "error": None,
                "edit_url": None,
            },
            headers=frame_ancestors(origins),
        )
