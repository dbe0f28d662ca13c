"""Browser pages for panels: the no-code builder (with a live preview), a panel's body
(loaded lazily by htmx) or the panel alone, and the panel tools (move, duplicate, delete)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.core.auth import Permission, Principal, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.errors import ApiError
from app.core.pages import flash, redirect, render
from app.domain.analytics import anomaly_service, timerange
from app.domain.analytics import service as analytics
from app.domain.analytics.funnels import WINDOW_LABELS
from app.domain.analytics.schemas import ALL_EVENTS, Mode, SeenName
from app.domain.applications import queries as applications
from app.domain.dashboards import forms, panel_runs, service, viewing
from app.domain.dashboards.schemas import TOTAL_CHARTS, Panel, PanelOptions
from app.domain.dashboards.views import (
    AnyRequest,
    can_write,
    error_field,
    fragment,
    organisation_apps,
    panel_body,
)
from components.panel import (
    AGGREGATION_LABELS,
    CHART_LABELS,
    INTERVAL_LABELS,
    OPERATOR_LABELS,
    panel_view,
)

WIDTHS = [("3", "Quarter"), ("4", "Third"), ("6", "Half"), ("8", "Two thirds"), ("12", "Full width")]
HEIGHTS = [("3", "Short"), ("4", "Medium"), ("6", "Tall")]


async def _overlays(
    state: State, result: panel_runs.PanelResult, chart_type: str, options: PanelOptions
) -> anomaly_service.Overlays | None:
    """The expected band, anomalies and forecast a line or area panel asked for."""
    wanted = options.show_anomalies or options.show_forecast
    if not wanted or chart_type not in ("line", "area") or not isinstance(result, analytics.TrendResult):
        return None
    return await anomaly_service.overlays(
        state.engines.clickhouse,
        result,
        anomalies=options.show_anomalies,
        forecast_ahead=options.show_forecast,
        now=datetime.now(UTC),
    )


class PanelPages(Controller):
    path = "/dashboards"
    include_in_schema = False
    guards = [requires(Permission.READ)]

    # The panel builder ---------------------------------------------------------------------

    async def _builder(
        self,
        request: AnyRequest,
        db: Db,
        principal: Principal,
        state: State,
        dashboard: dict[str, Any],
        panel: Panel | None,
        values: dict[str, Any],
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Template:
        apps = [] if dashboard["app_id"] else await organisation_apps(db, principal)
        app_id = dashboard["app_id"] or values.get("app_id") or (apps[0]["id"] if apps else None)
        event_names: list[SeenName] = []
        property_names: list[SeenName] = []
        if app_id and await applications.get(db, principal.org_id, app_id) is not None:
            store = state.engines.clickhouse
            event_names = await analytics.event_names(store, app_id, principal.org_id)
            property_names = await analytics.property_names(store, app_id, principal.org_id)
        return render(
            request,
            "pages/dashboards/panel_form.html",
            nav="dashboards",
            status_code=status_code,
            dashboard=dashboard,
            over=_viewed_over(request),
            panel=panel,
            apps=apps,
            values=forms.padded(values),
            errors=errors,
            event_names=event_names,
            property_names=property_names,
            aggregations=list(AGGREGATION_LABELS.items()),
            operators=list(OPERATOR_LABELS.items()),
            intervals=[(k, v.removeprefix("per ").capitalize()) for k, v in INTERVAL_LABELS.items()],
            ranges=list(timerange.RANGE_LABELS.items()),
            chart_types=list(CHART_LABELS.items()),
            funnel_windows=list(WINDOW_LABELS.items()),
            widths=WIDTHS,
            heights=HEIGHTS,
            all_events=ALL_EVENTS,
        )

    async def _submitted(self, request: AnyRequest) -> dict[str, Any]:
        form = await request.form()
        pairs = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
        return forms.values_from_form(forms.FormLike(pairs))

    @get("/{dashboard_id:uuid}/panels/new", guards=[requires(Permission.WRITE)])
    async def new_panel(
        self, request: AnyRequest, dashboard_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        row, _ = await service.get(db, principal, str(dashboard_id))
        return await self._builder(request, db, principal, state, row, None, dict(forms.DEFAULTS), {})

    @post("/{dashboard_id:uuid}/panels", guards=[requires(Permission.WRITE)])
    async def create_panel(
        self, request: AnyRequest, dashboard_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template | Redirect:
        back = _dashboard_url(request, dashboard_id)
        row, _ = await service.get(db, principal, str(dashboard_id))
        values = await self._submitted(request)
        data, errors = forms.parse(values)
        if data is None:
            return await self._builder(request, db, principal, state, row, None, values, errors, 400)
        fields = {k: v for k, v in msgspec.structs.asdict(data).items() if k != "query"}
        try:
            await service.add_panel(db, principal, str(dashboard_id), fields, data.query, request)
        except ApiError as exc:
            return await self._builder(request, db, principal, state, row, None, values, error_field(exc), 400)
        flash(request, "success", "Panel added.")
        return redirect(back)

    @post("/{dashboard_id:uuid}/panels/preview", guards=[requires(Permission.WRITE)])
    async def preview(
        self, request: AnyRequest, dashboard_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        """The builder's live preview: the unsaved form's chart (a fragment)."""
        row, _ = await service.get(db, principal, str(dashboard_id))
        data, errors = forms.parse(await self._submitted(request))
        if data is None:
            return fragment(request, error=next(iter(errors.values())))
        spec = data.query
        app_id = row["app_id"] or spec.app_id
        if app_id is None or await applications.get(db, principal.org_id, app_id) is None:
            return fragment(request, error="Choose an application to preview.")
        if data.chart_type in ("funnel", "retention"):
            try:
                people = await panel_runs.run_people_chart(
                    state.engines.clickhouse, data.chart_type, spec, app_id, principal.org_id
                )
            except ApiError as exc:
                return fragment(request, error=exc.message)
            return fragment(request, body=panel_body(people, data.chart_type), chart_id="preview")
        mode: Mode = "total" if data.chart_type in TOTAL_CHARTS else "series"
        try:
            query = timerange.resolve(spec, app_id, principal.org_id, datetime.now(UTC), mode)
        except timerange.RangeError as exc:
            return fragment(request, error=str(exc))
        result = await analytics.run(state.engines.clickhouse, query)
        extra = await _overlays(state, result, data.chart_type, data.options)
        return fragment(request, body=panel_body(result, data.chart_type, extra), chart_id="preview")

    # One panel ----------------------------------------------------------------------------

    @get("/{dashboard_id:uuid}/panels/{panel_id:uuid}")
    async def panel(
        self,
        request: AnyRequest,
        dashboard_id: FromPath[UUID],
        panel_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
    ) -> Template:
        """htmx: the panel's body (its chart, loaded lazily); a browser: the panel alone.
        As saved, or as its dashboard is looked at (the query string: viewing.py)."""
        store = state.engines.clickhouse
        dashboard, row = await service.get_panel(db, principal, str(dashboard_id), str(panel_id))
        looking = viewing.viewing(request.query_params)
        panel = looking.applied(service.to_panel(row))
        body, error = None, None
        newer_than = panel_runs.refreshed_after(request.headers)
        try:
            result = await panel_runs.run_panel(db, store, principal, dashboard, panel, newer_than=newer_than)
            extra = await _overlays(state, result, panel.chart_type, panel.options)
            earlier = await panel_runs.previous_period(store, result, newer_than) if looking.compare else None
            body = panel_body(result, panel.chart_type, extra, earlier)
        except ApiError as exc:
            if exc.status_code == 404:
                raise
            error = exc.message
        edit_url = f"/dashboards/{dashboard_id}/panels/{panel_id}/edit" if can_write(principal) else None
        app_id = panel_runs.panel_app_id(dashboard, panel.query)
        setup_url = f"/applications/{app_id}/setup" if app_id else None
        if request.headers.get("hx-request") == "true":
            return fragment(request, body=body, chart_id=panel.id, error=error, edit_url=edit_url, setup_url=setup_url)
        return render(
            request,
            "pages/dashboards/panel.html",
            nav="dashboards",
            dashboard=dashboard,
            panel=panel_view(panel, dashboard, over=looking.suffix),
            body=body,
            error=error,
            edit_url=edit_url,
            setup_url=setup_url,
            can_write=can_write(principal),
        )

    @get("/{dashboard_id:uuid}/panels/{panel_id:uuid}/edit", guards=[requires(Permission.WRITE)])
    async def edit_panel(
        self,
        request: AnyRequest,
        dashboard_id: FromPath[UUID],
        panel_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
    ) -> Template:
        dashboard, row = await service.get_panel(db, principal, str(dashboard_id), str(panel_id))
        panel = service.to_panel(row)
        return await self._builder(request, db, principal, state, dashboard, panel, forms.values_from_panel(panel), {})

    @post("/{dashboard_id:uuid}/panels/{panel_id:uuid}", guards=[requires(Permission.WRITE)])
    async def update_panel(
        self,
        request: AnyRequest,
        dashboard_id: FromPath[UUID],
        panel_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
    ) -> Template | Redirect:
        back = _dashboard_url(request, dashboard_id)
        dashboard, row = await service.get_panel(db, principal, str(dashboard_id), str(panel_id))
        panel = service.to_panel(row)
        values = await self._submitted(request)
        data, errors = forms.parse(values)
        if data is None:
            return await self._builder(request, db, principal, state, dashboard, panel, values, errors, 400)
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if k != "position"}
        try:
            await service.update_panel(db, principal, str(dashboard_id), str(panel_id), changes, request)
        except ApiError as exc:
            return await self._builder(request, db, principal, state, dashboard, panel, values, error_field(exc), 400)
        flash(request, "success", "Panel saved.")
        return redirect(back)

    @post("/{dashboard_id:uuid}/panels/{panel_id:uuid}/duplicate", guards=[requires(Permission.WRITE)])
    async def duplicate_panel(
        self,
        request: AnyRequest,
        dashboard_id: FromPath[UUID],
        panel_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
    ) -> Redirect:
        back = _dashboard_url(request, dashboard_id)
        row = await service.duplicate_panel(db, principal, str(dashboard_id), str(panel_id), request)
        flash(request, "success", "Panel duplicated; the copy is right after it.")
        return redirect(f"{back}#panel-{row['id']}")

    @post("/{dashboard_id:uuid}/panels/{panel_id:uuid}/move", guards=[requires(Permission.WRITE)])
    async def move_panel(
        self,
        request: AnyRequest,
        dashboard_id: FromPath[UUID],
        panel_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
    ) -> Redirect:
        back = _dashboard_url(request, dashboard_id)
        await service.get_panel(db, principal, str(dashboard_id), str(panel_id))
        form = await request.form()
        offset = {"up": -1, "down": 1}.get(str(form.get("direction", "")), 0)
        if offset:
            await service.move_panel(db, principal, str(dashboard_id), str(panel_id), offset, request)
        return redirect(f"{back}#panel-{panel_id}")

    @post("/{dashboard_id:uuid}/panels/{panel_id:uuid}/delete", guards=[requires(Permission.WRITE)])
    async def delete_panel(
        self,
        request: AnyRequest,
        dashboard_id: FromPath[UUID],
        panel_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
    ) -> Redirect:
        back = _dashboard_url(request, dashboard_id)
        await service.delete_panel(db, principal, str(dashboard_id), str(panel_id), request)
        flash(request, "success", "Panel deleted.")
        return redirect(back)


def _viewed_over(request: AnyRequest) -> str:
    """The query string ("?range=7d&compare=1", or "") of how the dashboard was looked at: the
    panel tools and the builder carry it in their URLs (components/panel.py), so that they
    bring the dashboard back as it was. Read before anything changes: a bad one changes nothing."""
    return viewing.viewing(request.query_params).suffix


def _dashboard_url(request: AnyRequest, dashboard_id: UUID | str) -> str:
    return f"/dashboards/{dashboard_id}{_viewed_over(request)}"
