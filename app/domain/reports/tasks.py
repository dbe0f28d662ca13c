"""The weekly report: every Monday, each application's last 7 days as a `report.weekly` webhook."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from app.domain.reports import queries, service
from app.domain.webhooks.service import emit_event

WEEKLY_EVENT = "report.weekly"


async def send_weekly_reports(ctx: dict[str, Any]) -> int:
    """Emit one `report.weekly` per application of each subscribed organisation; returns how many."""
    pool = ctx["engines"].postgres.pool
    store = ctx["engines"].clickhouse
    start, end = service.resolve_period(None, None, now=datetime.now(UTC))
    sent = 0
    async with pool.connection() as conn:
        orgs = await queries.weekly_subscribers(conn)
    for org_id in orgs:
        async with pool.connection() as conn:
            apps = await queries.applications_of(conn, org_id)
            reports = [(await service.build_report(store, conn, org_id, app, start, end))[0] for app in apps]
        for report in reports:
            await emit_event(pool, ctx["queue"], org_id, WEEKLY_EVENT, msgspec.to_builtins(report))
            sent += 1
    return sent
