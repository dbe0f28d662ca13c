"""How a dashboard is looked at, for a look without editing or saving anything: every panel
asked its question over one range instead of its own (a week instead of a day, or the week of
a launch), beside the period before it, or only of the events where a property has a value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, cast, get_args
from urllib.parse import urlencode

import msgspec
from litestar.di import NamedDependency
from litestar.params import QueryParameter, SkipValidation

from app.core.errors import ApiError
from app.domain.analytics.controllers import custom_times
from app.domain.analytics.schemas import Interval, Operator, PropertyFilter, QuerySpec, RangeName
from app.domain.analytics.timerange import MAX_BUCKETS, RANGE_LABELS, RANGES, STEP, usual_interval
from app.domain.dashboards.schemas import Panel

CUSTOM = "custom"
RangeParam = Annotated[
    RangeName | None,
    QueryParameter(
        name="range",
        description="The numbers over this range ending now instead of the panel's own (or, given `from` and "
        "`to` instead, over those times), as the dashboard page shows them when viewed over a range: the "
        "panel's interval is kept where it fits the range, else the range's usual one. Retention panels keep "
        "their weeks.",
    ),
]
# Fixed times to view a dashboard over (RFC 3339, or a datetime-local field's value, as UTC).
FromParam = Annotated[
    str | None,
    QueryParameter(
        name="from", max_length=64, description="With `to`, fixed times instead of a range ending now (RFC 3339)."
    ),
]
ToParam = Annotated[str | None, QueryParameter(name="to", max_length=64, description="The end of `from`'s range.")]
# Only the events where a property has a value: `where=plan&is=pro`; or compares otherwise with
# it (`where=price&op=gt&is=20`), or is there at all (`where=coupon&op=is_set`).
WhereParam = Annotated[
    str | None, QueryParameter(max_length=200, description="A property: only the events where it has the value `is`.")
]
IsParam = Annotated[str | None, QueryParameter(name="is", max_length=1000, description="The value of `where`.")]
OpParam = Annotated[
    str | None,
    QueryParameter(
        max_length=16,
        description="How `where` is compared with `is`: eq (the default), neq, contains, gt, lt; is_set takes no `is`.",
    ),
]
OPERATORS = get_args(Operator)
CompareParam = Annotated[
    str | None,
    QueryParameter(
        max_length=8,
        description="1: the same question over the period just before, as long, beside (`previous`); "
        "totals of a period still under way, up to the same moment.",
    ),
]
# The dashboard's range picker: no choice keeps each panel's own range; "custom" shows from/to.
CHOICES = [("", "Each panel's range"), *RANGE_LABELS.items(), (CUSTOM, "Custom…")]


@dataclass(frozen=True)
class Relative:
    """A named range ending now."""

    range_name: RangeName

    @property
    def choice(self) -> str:
        """The picker's value."""
        return self.range_name

    @property
    def query(self) -> str:
        """As a query string, which the pages and the API read alike."""
        return urlencode({"range": self.range_name})

    @property
    def span(self) -> timedelta:
        return RANGES[self.range_name]

    def asked(self, spec: QuerySpec, interval: Interval) -> QuerySpec:
        """`spec` over this range ending now, per `interval` (a pinned range gives way)."""
        return msgspec.structs.replace(spec, range=self.range_name, interval=interval, date_from=None, date_to=None)


@dataclass(frozen=True)
class Fixed:
    """Fixed times, UTC (`date_to` excluded)."""

    date_from: datetime
    date_to: datetime
    choice = CUSTOM

    @property
    def query(self) -> str:
        return urlencode({"from": _text(self.date_from), "to": _text(self.date_to)})

    @property
    def span(self) -> timedelta:
        return self.date_to - self.date_from

    def asked(self, spec: QuerySpec, interval: Interval) -> QuerySpec:
        """`spec` pinned to these times, per `interval`."""
        return msgspec.structs.replace(spec, interval=interval, date_from=self.date_from, date_to=self.date_to)


View = Relative | Fixed


def _text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def chosen(range_value: str | None, date_from: str | None = None, date_to: str | None = None) -> View | None:
    """The view a query string asks for (None: each panel's own range). `from` and `to` (RFC
    3339, or a datetime-local field's value, taken as UTC) give fixed times; `range` then may
    only be "custom", the picker's value for them."""
    if date_from or date_to:
        if range_value not in (None, "", CUSTOM):
            raise ApiError(400, "invalid_range", "Give either `range` or `from` and `to`, not both.")
        start, end = custom_times(date_from, date_to)
        if start >= end:
            raise ApiError(400, "invalid_range", "`from` must be before `to`.")
        return Fixed(start, end)
    if not range_value:
        return None
    if range_value == CUSTOM:
        raise ApiError(400, "invalid_range", "Give both `from` and `to` for a custom range.")
    if range_value not in RANGES:
        raise ApiError(400, "invalid_range", f"`range` must be one of {', '.join(RANGES)}, or empty.")
    return Relative(cast(RangeName, range_value))


def viewed_over(panel: Panel, view: View | None) -> Panel:
    """The panel as asked over `view` (None: as saved). A pinned range gives way too. The
    panel keeps its interval unless that makes fewer than two points or more than a chart
    holds over the new range (per day over the last hour, per minute over a month); then it
    takes the range's usual one. Retention panels keep theirs: their range is a number of
    weekly cohorts, not a span of time."""
    if view is None or panel.chart_type == "retention":
        return panel
    spec = panel.query
    fits = 2 <= view.span / STEP[spec.interval] <= MAX_BUCKETS
    query = view.asked(spec, spec.interval if fits else usual_interval(view.span))
    return msgspec.structs.replace(panel, query=query)


@dataclass(frozen=True)
class Viewing:
    """How a dashboard is looked at, none of it saved: over one range (None: each panel's
    own), beside the previous period or not, and only over the events where one property
    has one value (`where`)."""

    view: View | None = None
    compare: bool = False
    where: PropertyFilter | None = None

    @property
    def query(self) -> str:
        """As a query string for the URLs of the panels and their tools ("" when as saved)."""
        parts = [self.view.query] if self.view else []
        if self.compare:
            parts.append("compare=1")
        if self.where is not None:
            parts.append(urlencode(filter_params(self.where)))
        return "&".join(parts)

    @property
    def suffix(self) -> str:
        """`query` as the end of a URL: "?range=7d&compare=1", or "" when as saved."""
        return f"?{self.query}" if self.query else ""

    def applied(self, panel: Panel) -> Panel:
        """The panel asked over this view's range, and of the events `where` keeps."""
        panel = viewed_over(panel, self.view)
        return panel if self.where is None else filtered(panel, [self.where])


def filtered(panel: Panel, filters: Sequence[PropertyFilter]) -> Panel:
    """The panel asked only of the events that also pass `filters` (a dashboard's filter, an
    embed token's locked params)."""
    query = msgspec.structs.replace(panel.query, filters=[*panel.query.filters, *filters])
    return msgspec.structs.replace(panel, query=query)


def viewing(params: Mapping[str, str]) -> Viewing:
    """How a page's query string asks to look at the dashboard (its range may be "custom")."""
    return _looked(
        params.get("range"),
        params.get("from"),
        params.get("to"),
        params.get("where"),
        params.get("is"),
        params.get("op"),
        params.get("compare"),
    )


def compared(value: str | None) -> bool:
    """Whether `compare` asks for the previous period beside."""
    if value not in (None, "", "1", "true"):
        raise ApiError(400, "invalid_parameter", "`compare` is 1 or absent.")
    return bool(value)


def where_filter(name: str | None, value: str | None, operator: str | None = None) -> PropertyFilter | None:
    """`where`, `is` and `op` as a filter: None when no property or value is given (a
    comparison chosen alone filters nothing)."""
    operator = operator or "eq"
    if operator not in OPERATORS:
        raise ApiError(400, "invalid_filter", f"`op` must be one of {', '.join(OPERATORS)}.")
    if operator == "is_set":
        value = None  # (a value left in the form's field means nothing here)
        if not name:
            return None
    elif not name and not value:
        return None
    elif not name or not value:
        raise ApiError(400, "invalid_filter", "Give both a property (`where`) and its value (`is`) to filter by.")
    try:
        return msgspec.convert({"property": name.strip(), "operator": operator, "value": value}, PropertyFilter)
    except msgspec.ValidationError as exc:
        raise ApiError(400, "invalid_filter", f"That filter is not usable: {exc}.") from exc


def filter_params(where: PropertyFilter) -> dict[str, str]:
    """A filter as the query parameters where_filter reads (eq, the default, left out)."""
    params = {"where": where.property}
    if where.operator != "eq":
        params["op"] = where.operator
    if where.operator != "is_set":
        params["is"] = where.text_value()
    return params


def looked_at(
    range_name: RangeParam = None,
    date_from: FromParam = None,
    date_to: ToParam = None,
    where: WhereParam = None,
    is_: IsParam = None,
    op: OpParam = None,
    compare: CompareParam = None,
) -> Viewing:
    """The panel API's view of a dashboard, from the same query parameters as its page (a
    Litestar dependency: they are documented, and checked, with the routes that use it)."""
    return _looked(range_name, date_from, date_to, where, is_, op, compare)


def _looked(
    range_value: str | None,
    date_from: str | None,
    date_to: str | None,
    where: str | None,
    is_: str | None,
    op: str | None,
    compare: str | None,
) -> Viewing:
    """How a dashboard is looked at, from its query parameters; 400 for anything unclear."""
    return Viewing(chosen(range_value, date_from, date_to), compared(compare), where_filter(where, is_, op))


# Handler parameter type for looked_at (made here, so nothing to check again: Litestar's
# signature model cannot check a union of dataclasses anyway).
Looking = NamedDependency[SkipValidation[Viewing]]
