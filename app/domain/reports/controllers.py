"""Reports API: `GET /v1/applications/{id}/report?from=&to=&format=json|csv`."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, QueryParameter

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.domain.applications import service as applications
from app.domain.reports import render, service
from app.domain.reports.schemas import Report


def csv_response(report: Report) -> Response[str]:
    name = f"report-{report.app_id}-{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}.csv"
    return Response(
        render.to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


class ReportController(Controller):
    path = "/v1/applications"
    tags = ["reports"]
    guards = [requires(Permission.READ)]

    @get(
        "/{app_id:uuid}/report",
        summary="An application's report for a period",
        description="KPIs (with the change against the previous period), daily events and users, top events, "
        "unusual hours, insights opened in the period and the next day's forecast. `from`/`to` are dates "
        "(`to` inclusive) or RFC 3339 times; default the last 7 days. `format=csv` gives one tidy table.",
    )
    async def report(
        self,
        app_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        date_from: Annotated[str | None, QueryParameter(name="from", max_length=64)] = None,
        date_to: Annotated[str | None, QueryParameter(name="to", max_length=64)] = None,
        format: FromQuery[Literal["json", "csv"]] = "json",
    ) -> Report | Response[str]:
        app = await applications.get(db, principal, str(app_id))
        start, end = service.resolve_period(date_from, date_to)
        report, _ = await service.build_report(state.engines.clickhouse, db, principal.org_id, app, start, end)
        return csv_response(report) if format == "csv" else report
