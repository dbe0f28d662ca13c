"""Queries API (API.md "Queries"): time series, their anomalies and the names seen, per application."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, QueryParameter

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.errors import ApiError
from app.domain.analytics import anomaly_service, service, timerange
from app.domain.analytics.schemas import ALL_EVENTS, Interval, NameList, TrendQuery
from app.domain.analytics.schemas import Timeseries as TimeseriesOut
from app.domain.applications import service as applications

EventParam = Annotated[str, QueryParameter(min_length=1, max_length=200, description="An event name, or * for all")]


def parse_time(value: str | None, name: str) -> datetime | None:
    """RFC 3339 (`Z` or an offset); a `+` that arrived as a space (unencoded) is forgiven."""
    if value is None or value == "":
        return None
    text = value.strip()
    if len(text) > 19 and text[-6] == " ":  # "...T10:00:00 02:00": the + became a space
        text = text[:-6] + "+" + text[-5:]
    try:
        return timerange.as_utc(datetime.fromisoformat(text))
    except ValueError as exc:
        raise ApiError(
            400,
            "invalid_parameter",
            f"`{name}` is not an RFC 3339 time, like 2025-01-31T00:00:00Z.",
            [{"key": name, "source": "query", "message": "expected an RFC 3339 date-time"}],
        ) from exc


def custom_times(date_from: str | None, date_to: str | None) -> tuple[datetime, datetime]:
    """A custom range's `from` and `to` (parse_time), both required."""
    start, end = parse_time(date_from, "from"), parse_time(date_to, "to")
    if start is None or end is None:
        raise ApiError(400, "invalid_range", "Give both `from` and `to` for a custom range.")
    return start, end


def resolve_range(date_from: str | None, date_to: str | None, interval: Interval) -> tuple[datetime, datetime]:
    """The API's from/to (defaults: ending now, a span that suits the interval), widened to whole buckets."""
    end = parse_time(date_to, "to") or datetime.now(UTC)
    start = parse_time(date_from, "from") or end - timerange.DEFAULT_SPAN[interval]
    try:
        return timerange.aligned(start, end, interval)
    except timerange.RangeError as exc:
        raise ApiError(400, "invalid_range", str(exc), [{"key": "from", "source": "query"}]) from exc


def event_query(
    app_id: str, org_id: str, event: str, interval: Interval, date_from: str | None, date_to: str | None
) -> TrendQuery:
    """The count of one event (or `*`) per bucket that /timeseries and /anomalies answer."""
    start, end = resolve_range(date_from, date_to, interval)
    return TrendQuery(
        app_id=app_id,
        org_id=org_id,
        date_from=start,
        date_to=end,
        events=(event.strip() or ALL_EVENTS,),
        interval=interval,
    )


class AnalyticsController(Controller):
    path = "/v1/applications"
    tags = ["queries"]
    guards = [requires(Permission.READ)]

    @get(
        "/{app_id:uuid}/timeseries",
        summary="Events per time bucket",
        description="Counts of one event (or `*`, all events) per minute, hour or day between `from` and `to` "
        "(RFC 3339; default: the last hour, day or 30 days, by interval). The range is widened to whole "
        "buckets; buckets are UTC; empty buckets are 0.",
    )
    async def timeseries(
        self,
        app_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        event: EventParam = ALL_EVENTS,
        interval: FromQuery[Interval] = "hour",
        date_from: Annotated[str | None, QueryParameter(name="from", max_length=64)] = None,
        date_to: Annotated[str | None, QueryParameter(name="to", max_length=64)] = None,
    ) -> TimeseriesOut:
        await applications.get(db, principal, str(app_id))
        query = event_query(str(app_id), principal.org_id, event, interval, date_from, date_to)
        result = await service.run(state.engines.clickhouse, query)
        [series] = result.series()  # one event (or all of them): one series
        return TimeseriesOut(interval=interval, points=series.points)

    @get(
        "/{app_id:uuid}/anomalies",
        summary="Events per time bucket, with the expected band and the unusual buckets",
        description="The timeseries of `event` (parameters as for `/timeseries`), each point with `expected`, "
        "`lower`/`upper` (the band outside which a point is unusual), a robust z `score` and `anomaly`. The "
        "baseline is the median of the preceding points (hourly: the same hour of the week over the previous "
        "three weeks), so history before `from` is read too; `explanation` says how it was decided. The bucket "
        "still filling up is never flagged.",
    )
    async def anomalies(
        self,
        app_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        event: EventParam = ALL_EVENTS,
        interval: FromQuery[Interval] = "hour",
        date_from: Annotated[str | None, QueryParameter(name="from", max_length=64)] = None,
        date_to: Annotated[str | None, QueryParameter(name="to", max_length=64)] = None,
    ) -> anomaly_service.Anomalies:
        await applications.get(db, principal, str(app_id))
        query = event_query(str(app_id), principal.org_id, event, interval, date_from, date_to)
        return await anomaly_service.anomalies(state.engines.clickhouse, query, datetime.now(UTC))

    @get("/{app_id:uuid}/event-names", summary="Event names seen in the last 30 days, most frequent first")
    async def event_names(self, app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State) -> NameList:
        await applications.get(db, principal, str(app_id))
        return NameList(items=await service.event_names(state.engines.clickhouse, str(app_id), principal.org_id))

    @get(
        "/{app_id:uuid}/property-names",
        summary="Property names seen in a sample of the last 7 days' events, most frequent first",
    )
    async def property_names(
        self, app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> NameList:
        await applications.get(db, principal, str(app_id))
        return NameList(items=await service.property_names(state.engines.clickhouse, str(app_id), principal.org_id))
