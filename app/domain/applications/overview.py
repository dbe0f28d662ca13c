"""The application overview: KPI tiles, a live chart that moves every second, and the same
chart over a chosen range (optionally beside the previous period); below them, the last
hour of the application's API requests (response times, server errors, slowest endpoints)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import polars as pl
from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.errors import ApiError
from app.core.pages import render
from app.domain.analytics import api_requests, kpis, timerange
from app.domain.analytics import service as analytics
from app.domain.analytics.controllers import custom_times
from app.domain.analytics.schemas import Interval, TrendQuery
from app.domain.applications import service
from components import charts, kpi_tiles
from components.requests_chart import requests_figure, requests_summary

OverviewRange = Literal["live", "15m", "1h", "24h", "7d", "30d", "custom"]
RANGE_CHOICES = [("live", "Live")] + [(name, label) for name, label in timerange.RANGE_LABELS.items() if name != "90d"]
RANGE_CHOICES.append(("custom", "Custom"))


# The live chart's average line: over this many seconds.
AVERAGE_S = 10


def live_figure(per_second: pl.DataFrame) -> dict[str, Any]:
    """A bar per second, and a line of the average over the last AVERAGE_S seconds. At a
    quiet hour most seconds hold no event or one: the bars show each second as it is, and
    the line is what shows traffic rising or falling (static/js/live.js extends both)."""
    frame = per_second.rename({"events": "value"}).with_columns(pl.lit("Events per second").alias("series"))
    figure = charts.series_figure(frame.select("t", "series", "value"), "bar", "minute", integral=True)
    figure["layout"]["xaxis"]["tickformat"] = "%H:%M:%S"
    figure["data"][0]["marker"] = {"opacity": 0.6}  # the line in front reads first
    name = f"{AVERAGE_S}-second average"
    average = frame["value"].rolling_mean(window_size=AVERAGE_S, min_samples=1).round(2)
    figure["data"].append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": name,
            "x": figure["data"][0]["x"],
            "y": average.to_list(),
            "line": {"width": 2},
            "hovertemplate": f"%{{y:,.1f}}<extra>{name}</extra>",
            "meta": {"series": 1, "role": "average", "window": AVERAGE_S},
        }
    )
    figure["layout"].update(showlegend=True, hovermode="x unified")
    return figure


class OverviewPages(Controller):
    path = "/applications"
    include_in_schema = False
    guards = [requires(Permission.READ)]

    @get("/{app_id:uuid}")
    async def overview(
        self, request: Request[Any, Any, Any], app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        app = service.to_application(await service.get(db, principal, str(app_id)), state.secret_box)
        store = state.engines.clickhouse
        return render(
            request,
            "pages/applications/overview.html",
            nav="applications",
            application=app,
            **_kpi_context(await kpis.kpis(store, str(app_id))),
            figure=live_figure(await kpis.per_second(store, str(app_id))),
            ranges=RANGE_CHOICES,
            selected="live",
            live=True,
            app_id=str(app_id),
        )

    @get("/{app_id:uuid}/kpis")
    async def tiles(
        self, request: Request[Any, Any, Any], app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        await service.get(db, principal, str(app_id))
        figures = await kpis.kpis(state.engines.clickhouse, str(app_id))
        return render(request, "pages/applications/_kpis.html", **_kpi_context(figures), app_id=str(app_id))

    @get("/{app_id:uuid}/requests")
    async def requests_section(
        self, request: Request[Any, Any, Any], app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        await service.get(db, principal, str(app_id))
        store, args = state.engines.clickhouse, (str(app_id), principal.org_id)
        # The last hour in whole minutes, the current minute the last.
        start, end = timerange.relative("1h", "minute", datetime.now(UTC))
        steps = await api_requests.over_time(store, *args, start, end)
        endpoints = await api_requests.endpoints(store, *args, start, end)
        return render(
            request,
            "pages/applications/_requests.html",
            app_id=str(app_id),
            figure=requests_figure(steps),
            summary=requests_summary(steps),
            total=int(steps["requests"].sum()),
            endpoints=endpoints.to_dicts(),
        )

    @get("/{app_id:uuid}/chart")
    async def chart(
        self,
        request: Request[Any, Any, Any],
        app_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        range: FromQuery[OverviewRange] = "live",
        interval: FromQuery[str | None] = None,
        compare: FromQuery[bool] = False,
        date_from: Annotated[str | None, QueryParameter(name="from", max_length=64)] = None,
        date_to: Annotated[str | None, QueryParameter(name="to", max_length=64)] = None,
    ) -> Template:
        await service.get(db, principal, str(app_id))
        store = state.engines.clickhouse
        if range == "live":
            figure = live_figure(await kpis.per_second(store, str(app_id)))
            return render(request, "pages/applications/_chart.html", figure=figure, live=True, application_id=app_id)
        now = datetime.now(UTC)  # the range's end and the bucket marked as still under way
        try:
            if range == "custom":
                first, last = custom_times(date_from, date_to)
                step = _interval(interval) or timerange.usual_interval(last - first)
                start, end = timerange.aligned(first, last, step)
            else:
                step = _interval(interval) or timerange.USUAL_INTERVAL[range]
                start, end = timerange.relative(range, step, now)
        except timerange.RangeError as exc:
            raise ApiError(400, "invalid_range", str(exc)) from exc
        query = TrendQuery(app_id=str(app_id), org_id=principal.org_id, date_from=start, date_to=end, interval=step)
        frame = (await analytics.run(store, query)).frame.with_columns(pl.lit("Events").alias("series"))
        figure = charts.series_figure(frame.select("t", "series", "value"), "line", step, integral=True)
        if compare:  # drawn as on dashboards: a dotted line of the period before, on this period's times
            span = end - start
            earlier = TrendQuery(
                app_id=str(app_id), org_id=principal.org_id, date_from=start - span, date_to=start, interval=step
            )
            previous = (await analytics.run(store, earlier)).frame.with_columns(pl.col("t") + span)
            figure = charts.with_previous_period(figure, previous, integral=True)
        figure = charts.with_bucket_under_way(figure, start, end, step, now)
        return render(request, "pages/applications/_chart.html", figure=figure, live=False, application_id=app_id)


def _kpi_context(figures: kpis.Kpis) -> dict[str, Any]:
    """What pages/applications/_kpis.html draws: the tiles and the ingestion health line."""
    return {"tiles": kpi_tiles.tiles(figures), "health": figures}


def _interval(value: str | None) -> Interval | None:
    """The picker's interval; its "Auto" choice sends an empty value."""
    if not value:
        return None
    if value not in timerange.STEP:
        raise ApiError(400, "invalid_parameter", "interval must be minute, hour or day.")
    return value  # type: ignore[return-value]  # checked against the intervals just above
