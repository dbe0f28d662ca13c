"""The period before a panel's, on the real store: totals compared up to the same moment."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from litestar import Litestar

from app.domain.analytics import queries, timerange
from app.domain.analytics import service as analytics
from app.domain.analytics.schemas import QuerySpec
from app.domain.dashboards.panel_runs import previous_period
from tests.integration.analytics_data import event, insert_events


async def test_a_total_under_way_is_compared_up_to_the_same_moment(started_app: Litestar) -> None:
    store = started_app.state.engines.clickhouse
    app_id, org_id = str(uuid.uuid4()), str(uuid.uuid4())
    # Half past an hour, two hours ago: the last day's last bucket is half gone.
    now = datetime.now(UTC).replace(minute=30, second=0, microsecond=0) - timedelta(hours=2)
    day_before = now - timedelta(days=1)
    await insert_events(
        started_app,
        app_id,
        org_id,
        [
            event("signup", now - timedelta(minutes=5), "u1"),  # this period
            event("signup", day_before - timedelta(minutes=10), "u2"),  # the day before, by this moment
            event("signup", day_before + timedelta(minutes=10), "u3"),  # the day before, later than it
        ],
    )
    spec = QuerySpec(events=["signup"], range="24h", interval="hour")

    total = await analytics.run(store, timerange.resolve(spec, app_id, org_id, now, "total"))
    assert total.query.date_to > now  # the range ends with the hour under way
    earlier = await previous_period(store, total, now=now)
    assert earlier is not None
    assert (earlier.query.date_from, earlier.query.date_to) == (total.query.date_from - timedelta(days=1), day_before)
    assert earlier.frame["value"].to_list() == [1]
    # Over a week the rollup would answer, but it holds whole hours: the raw events do.
    week = QuerySpec(events=["signup"], range="7d", interval="day")
    weekly = await analytics.run(store, timerange.resolve(week, app_id, org_id, now, "total"))
    before_week = await previous_period(store, weekly, now=now)
    assert before_week is not None
    assert before_week.source == queries.EVENTS
    assert before_week.query.date_to == now - (weekly.query.date_to - weekly.query.date_from)

    # A chart keeps the whole period before: its last point is the one still filling.
    series = await analytics.run(store, timerange.resolve(spec, app_id, org_id, now))
    whole = await previous_period(store, series, now=now)
    assert whole is not None
    assert whole.query.date_to == series.query.date_from
    assert sum(whole.frame["value"].to_list()) == 2
    # A period already over is compared whole, as before.
    past = await analytics.run(store, timerange.resolve(spec, app_id, org_id, now - timedelta(days=3), "total"))
    assert (await previous_period(store, past, now=now)).query.date_to == past.query.date_from  # type: ignore[union-attr]
