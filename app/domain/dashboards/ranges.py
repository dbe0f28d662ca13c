"""A dashboard viewed over one range: every panel asked its question over that range instead
of its own, for a look (a week instead of a day) without editing or saving anything."""

from __future__ import annotations

from typing import cast

import msgspec

from app.core.errors import ApiError
from app.domain.analytics.schemas import RangeName
from app.domain.analytics.timerange import MAX_BUCKETS, RANGE_LABELS, RANGES, STEP, USUAL_INTERVAL
from app.domain.dashboards.schemas import Panel

# The dashboard's range picker: no choice keeps each panel's own range.
CHOICES = [("", "Each panel's range"), *RANGE_LABELS.items()]


def chosen(value: str | None) -> RangeName | None:
    """The picker's choice from the query string: empty is each panel's own range."""
    if not value:
        return None
    if value not in RANGES:
        raise ApiError(400, "invalid_range", f"`range` must be one of {', '.join(RANGES)}, or empty.")
    return cast(RangeName, value)


def viewed_over(panel: Panel, range_name: RangeName | None) -> Panel:
    """The panel as asked over `range_name` ending now (None: as saved). A pinned range gives
    way too. The panel keeps its interval unless that makes fewer than two points or more than
    a chart holds over the new range (per day over the last hour, per minute over a month);
    then it takes the range's usual one. Retention panels keep theirs: their range is a number
    of weekly cohorts, not a span of time."""
    if range_name is None or panel.chart_type == "retention":
        return panel
    spec = panel.query
    buckets = RANGES[range_name] / STEP[spec.interval]
    interval = spec.interval if 2 <= buckets <= MAX_BUCKETS else USUAL_INTERVAL[range_name]
    query = msgspec.structs.replace(spec, range=range_name, interval=interval, date_from=None, date_to=None)
    return msgspec.structs.replace(panel, query=query)
