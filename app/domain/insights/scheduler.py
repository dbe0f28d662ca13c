"""The insight scheduler: every tick, judge every application of every organisation.

Per organisation, one ClickHouse query per metric covers all its applications (GROUP BY
app_id); polars and the detectors judge; `service.observe` / `service.recover` store the
outcome. An organisation whose evaluation fails is logged and skipped: the others still run.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import msgspec
import polars as pl
import structlog

from app.domain.analytics.anomaly import baseline_seconds
from app.domain.insights import detectors, detectors_funnel, detectors_perf, queries, service, signals
from app.engines.clickhouse import AnalyticsStore, query_frame
from app.worker import TaskContext

log = structlog.get_logger(__name__)

# Latency and errors: the last few complete minutes against the hours before them.
REQUESTS_RECENT = timedelta(minutes=5)
REQUESTS_BASE = timedelta(hours=3)
EVIDENCE_SPAN = timedelta(minutes=60)
FUNNEL_RECENT = timedelta(hours=1)
# Conversion is judged on visits at least this old: people who arrived in the last minutes
# have not had the time to sign up or buy yet, so judging them would make every latest hour
# look worse than its baseline (and every first start of the demo, whose backfill is still
# arriving, raise a false alarm).
FUNNEL_SETTLE = timedelta(minutes=30)
VOLUME_MARGIN = timedelta(minutes=30)
FUNNEL_BASE = timedelta(hours=6)

RECOVERY_NOTES = {
    "volume": "Recovered automatically: the latest minute's event volume is back within the expected band.",
    "latency": "Recovered automatically: the endpoint's p95 latency is back under target and near its baseline.",
    "errors": "Recovered automatically: the share of server errors is back to normal.",
    "conversion": "Recovered automatically: conversion is back near its baseline.",
}


class TickReport(msgspec.Struct, kw_only=True):
    organisations: int = 0
    applications: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    resolved: int = 0
    woken: int = 0
    failed_organisations: list[str] = msgspec.field(default_factory=list)
    duration_ms: float = 0.0


async def _fetch(store: AnalyticsStore, statement: tuple[str, signals.Params]) -> pl.DataFrame:
    frame = await query_frame(store, *statement)
    return frame.rename({"app": "app_id"}) if "app" in frame.columns else frame


def _epoch_minutes(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.from_epoch(pl.col("t").cast(pl.Int64), time_unit="s").dt.replace_time_zone("UTC").dt.cast_time_unit("ms")
    )


async def evaluate_organisation(
    store: AnalyticsStore, org_id: str, app_ids: list[str], end: datetime
) -> detectors.Verdicts:
    """Fetch every metric for the organisation's applications and run every detector.
    `end`: the end of the latest complete minute."""
    # The detector's own history need, plus a margin: the last point is scored only once both
    # its baseline window and its scale window are full.
    volume_start = end - timedelta(seconds=baseline_seconds(detectors.VOLUME_CONFIG, 60)) - VOLUME_MARGIN
    per_minute = await _fetch(store, signals.events_per_minute(org_id, app_ids, volume_start, end))
    if not per_minute.is_empty():
        per_minute = detectors.fill_minutes(_epoch_minutes(per_minute), volume_start, end)

    summary = await _fetch(
        store, signals.request_summary(org_id, app_ids, end - REQUESTS_BASE, end - REQUESTS_RECENT, end)
    )
    series = None
    if not summary.is_empty():
        series = _epoch_minutes(await _fetch(store, signals.request_series(org_id, app_ids, end - EVIDENCE_SPAN, end)))

    settled = end - FUNNEL_SETTLE
    funnel = await _fetch(
        store, signals.funnel_users(org_id, app_ids, settled - FUNNEL_BASE, settled - FUNNEL_RECENT, settled)
    )

    return detectors.merge(
        detectors.volume(per_minute),
        detectors_perf.latency(summary, series),
        detectors_perf.error_rate(summary, series),
        detectors_funnel.conversion(funnel),
    )


async def _apply(ctx: TaskContext, org_id: str, verdicts: detectors.Verdicts, report: TickReport) -> None:
    pool = ctx["engines"].postgres.pool
    assert pool is not None
    async with pool.connection() as conn:
        open_now = await queries.open_fingerprints(conn, org_id)
    for app_id, findings in verdicts.items():
        for draft in findings.drafts:
            outcome, _ = await service.observe_outcome(ctx, org_id, app_id, draft)
            if outcome == "created":
                report.created += 1
            elif outcome == "unchanged":
                report.unchanged += 1
            else:
                report.updated += 1
        seen = {draft.fingerprint for draft in findings.drafts}
        for fingerprint in dict.fromkeys(findings.recovered):
            if (app_id, fingerprint) in open_now and fingerprint not in seen:
                note = RECOVERY_NOTES.get(fingerprint.split(":", 1)[0], "Recovered automatically.")
                await service.recover(ctx, org_id, app_id, fingerprint, note)
                report.resolved += 1


async def tick(ctx: TaskContext, now: datetime | None = None, org_ids: list[str] | None = None) -> TickReport:
    """One evaluation round over every application (or those of `org_ids`)."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    end = now.astimezone(UTC).replace(second=0, microsecond=0)
    report = TickReport()
    report.woken = await service.wake_snoozed(ctx, now)

    pool = ctx["engines"].postgres.pool
    assert pool is not None
    async with pool.connection() as conn:
        apps = await queries.all_applications(conn)
    by_org: dict[str, list[str]] = defaultdict(list)
    for app in apps:
        if org_ids is None or app["org_id"] in org_ids:
            by_org[app["org_id"]].append(app["id"])

    store = ctx["engines"].clickhouse
    for org_id, app_ids in by_org.items():
        report.organisations += 1
        report.applications += len(app_ids)
        try:
            verdicts = await evaluate_organisation(store, org_id, app_ids, end)
            await _apply(ctx, org_id, verdicts, report)
        except Exception:  # one organisation's bad data must not stop everyone's insights
            log.exception("insights_tick_failed", org_id=org_id)
            report.failed_organisations.append(org_id)
    report.duration_ms = round(1000 * (time.perf_counter() - started), 1)
    log.info("insights_tick", **msgspec.structs.asdict(report))
    return report


def cron_expression(interval_s: int) -> str:
    """The cron schedule for an interval: whole minutes (cron's resolution), at least one."""
    minutes = max(1, round(interval_s / 60))
    return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
