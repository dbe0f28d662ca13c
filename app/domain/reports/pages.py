"""Report pages: the report in the app, and its downloads (self-contained HTML, CSV)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.errors import ApiError
from app.core.pages import render
from app.domain.applications import service as applications
from app.domain.reports import render as output
from app.domain.reports import service
from app.domain.reports.controllers import csv_response


def _form_values(start: datetime, end: datetime) -> dict[str, str]:
    """The period as the form's date inputs show it (`to` inclusive, so the day before the end)."""
    return {"from": start.date().isoformat(), "to": (end - timedelta(microseconds=1)).date().isoformat()}


class ReportPages(Controller):
    path = "/applications"
    include_in_schema = False
    guards = [requires(Permission.READ)]

    @get("/{app_id:uuid}/report")
    async def page(
        self,
        request: Request[Any, Any, Any],
        app_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        date_from: Annotated[str | None, QueryParameter(name="from", max_length=64)] = None,
        date_to: Annotated[str | None, QueryParameter(name="to", max_length=64)] = None,
    ) -> Template:
        app = await applications.get(db, principal, str(app_id))
        values = {"from": date_from or "", "to": date_to or ""}
        try:
            start, end = service.resolve_period(date_from, date_to)
        except ApiError as exc:
            context = {"application": app, "values": values, "error": exc.message, "report": None}
            return render(request, "pages/reports/report.html", nav="applications", status_code=400, **context)
        report, series = await service.build_report(state.engines.clickhouse, db, principal.org_id, app, start, end)
        query = f"from={start.isoformat()}&to={end.isoformat()}".replace("+", "%2B")
        return render(
            request,
            "pages/reports/report.html",
            nav="applications",
            application=app,
            values=_form_values(start, end),
            error=None,
            report=report,
            figures=output.figures(series, report),
            query=query,
        )

    @get("/{app_id:uuid}/report.html")
    async def download_html(
        self,
        app_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        date_from: Annotated[str | None, QueryParameter(name="from", max_length=64)] = None,
        date_to: Annotated[str | None, QueryParameter(name="to", max_length=64)] = None,
    ) -> Template:
        app = await applications.get(db, principal, str(app_id))
        start, end = service.resolve_period(date_from, date_to)
        report, series = await service.build_report(state.engines.clickhouse, db, principal.org_id, app, start, end)
        name = f"report-{report.app_id}-{start:%Y%m%d}-{end:%Y%m%d}.html"
        return Template(
            template_name="pages/reports/document.html",
            context={
                "report": report,
                "figures": {key: output.script_json(fig) for key, fig in output.figures(series, report).items()},
                "plotly_js": output.plotly_js(),
            },
            media_type="text/html",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    @get("/{app_id:uuid}/report.csv")
    async def download_csv(
        self,
        app_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        date_from: Annotated[str | None, QueryParameter(name="from", max_length=64)] = None,
        date_to: Annotated[str | None, QueryParameter(name="to", max_length=64)] = None,
    ) -> Response[str]:
        app = await applications.get(db, principal, str(app_id))
        start, end = service.resolve_period(date_from, date_to)
        report, _ = await service.build_report(state.engines.clickhouse, db, principal.org_id, app, start, end)
        return csv_response(report)
