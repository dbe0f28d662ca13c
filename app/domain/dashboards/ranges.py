"""A dashboard viewed over one range: every panel asked its question over that range instead
of its own, for a look (a week instead of a day, or the week of a launch) without editing or
saving anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, cast
from urllib.parse import urlencode

import msgspec
from litestar.params import QueryParameter

from app.core.errors import ApiError
from app.domain.analytics.controllers import parse_time
from app.domain.analytics.schemas import RangeName
from app.domain.analytics.timerange import MAX_BUCKETS, RANGE_LABELS, RANGES, STEP, USUAL_INTERVAL, usual_interval
from app.domain.dashboards.schemas import Panel

CUSTOM = "custom"
# Fixed times to view a dashboard over (RFC 3339, or a datetime-local field's value, as UTC).
FromParam = Annotated[
    str | None,
    QueryParameter(
        name="from", max_length=64, description="With `to`, fixed times instead of a range ending now (RFC 3339)."
    ),
]
ToParam = Annotated[str | None, QueryParameter(name="to", max_length=64, description="The end of `from`'s range.")]
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


@dataclass(frozen=True)
class Fixed:
    """Fixed times, UTC (`date_to` excluded)."""

    date_from: datetime
    date_to: datetime
    choice = CUSTOM

    @property
    def query(self) -> str:
        return urlencode({"from": _text(self.date_from), "to": _text(self.date_to)})


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
        start, end = parse_time(date_from, "from"), parse_time(date_to, "to")
        if start is None or end is None:
            raise ApiError(400, "invalid_range", "Give both `from` and `to` for a custom range.")
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


def query_string(view: View | None, compare: bool) -> str:
    """How the dashboard is viewed, for the URLs of its panels and tools: the range (none:
    each panel's own) and whether beside the previous period; "" when as saved."""
    parts = [view.query] if view else []
    if compare:
        parts.append("compare=1")
    return "&".join(parts)


def viewed_over(panel: Panel, view: View | None) -> Panel:
    """The panel as asked over `view` (None: as saved). A pinned range gives way too. The
    panel keeps its interval unless that makes fewer than two points or more than a chart
    holds over the new range (per day over the last hour, per minute over a month); then it
    takes the range's usual one. Retention panels keep theirs: their range is a number of
    weekly cohorts, not a span of time."""
    if view is None or panel.chart_type == "retention":
        return panel
    spec = panel.query
    if isinstance(view, Relative):
        span, usual = RANGES[view.range_name], USUAL_INTERVAL[view.range_name]
    else:
        span = view.date_to - view.date_from
        usual = usual_interval(span)
    interval = spec.interval if 2 <= span / STEP[spec.interval] <= MAX_BUCKETS else usual
    if isinstance(view, Relative):
        query = msgspec.structs.replace(spec, range=view.range_name, interval=interval, date_from=None, date_to=None)
    else:
        query = msgspec.structs.replace(spec, interval=interval, date_from=view.date_from, date_to=view.date_to)
    return msgspec.structs.replace(panel, query=query)
