"""Each application's events per hour over the last day, for the applications list (a total
and a sparkline per row). One query over the hourly totals for all the listed applications;
shaped with polars; no other I/O."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from app.domain.analytics.queries import GRAINS, ROLLUP_TABLE, TOTALS
from app.domain.analytics.timerange import bucket_count, relative
from app.engines.clickhouse import AnalyticsStore, query_frame, time_param

# `app`, not `app_id`: an alias named like the column would shadow it in WHERE.
_PER_HOUR = f"""
SELECT toString(app_id) AS app, hour, sum(events) AS events
FROM {ROLLUP_TABLE}
WHERE org_id = {{org_id:UUID}} AND app_id IN {{apps:Array(UUID)}} AND grain = {GRAINS[TOTALS]}
  AND hour >= {{start:DateTime('UTC')}} AND hour < {{end:DateTime('UTC')}}
GROUP BY app, hour
"""


async def per_hour(store: AnalyticsStore, org_id: str, app_ids: list[str], now: datetime) -> dict[str, list[int]]:
    """Events per hour of the last day, oldest first, for each of `app_ids` (of `org_id`);
    every hour present, 0 where there were none."""
    if not app_ids:
        return {}
    start, end = relative("24h", "hour", now)  # the current (partial) hour the last
    hours = bucket_count(start, end, "hour")
    params = {"org_id": org_id, "apps": app_ids, "start": time_param(start), "end": time_param(end)}
    frame = await query_frame(store, _PER_HOUR, params)
    # ClickHouse sends DateTime to Arrow as UInt32 seconds; the hour's index in the window.
    slots = frame.select(
        "app", ((pl.col("hour").cast(pl.Int64) - int(start.timestamp())) // 3600).alias("slot"), "events"
    )
    counts = {app_id: [0] * hours for app_id in app_ids}
    for app_id, slot, events in slots.iter_rows():
        if app_id in counts and 0 <= slot < hours:
            counts[app_id][slot] = int(events)
    return counts
