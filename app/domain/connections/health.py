"""Connection health: check a connection, classify it, keep the history, tell the watchers,
and raise (or resolve) an insight when it keeps failing.

Statuses: `failing` when the latest check failed; `degraded` when it answered but slowly
(over `config.slow_ms`, default SLOW_MS) or a recent check failed (intermittent); else
`healthy`. The probe itself is the connections domain's `test_connection` (the same as the
"Test connection" button), so a health check and a manual test always agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import structlog

from app.domain.connections import health_queries as queries
from app.domain.connections.checks import test_connection
from app.domain.connections.schemas import ConnectionTarget, TestResult
from app.domain.connections.service import load_target
from app.domain.insights import service as insights
from app.domain.insights.schemas import InsightDraft
from app.worker import TaskContext
from realtime.frames import ConnectionFrame, encode

log = structlog.get_logger(__name__)

SLOW_MS = 2000
# A failure among this many latest checks makes a connection that answers now `degraded`.
INTERMITTENT_WINDOW = 5
# Consecutive failed checks before an insight is raised (one blip is not worth a person's time).
FAILURES_FOR_INSIGHT = 3
_TLS_WORDS = ("certificate", "tls", "ssl")


class CheckOutcome(msgspec.Struct, kw_only=True):
    connection_id: str
    status: str
    previous_status: str
    ok: bool
    latency_ms: int | None
    status_code: int | None
    error: str | None
    checked_at: datetime
    consecutive_failures: int


def slow_threshold_ms(config: dict[str, Any]) -> int:
    value = config.get("slow_ms")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else SLOW_MS


def classify(result: TestResult, earlier: list[bool], slow_ms: int) -> str:
    """The status after `result`, given the earlier checks' ok flags (newest first)."""
    if not result.ok:
        return "failing"
    if result.latency_ms > slow_ms or not all(earlier[: INTERMITTENT_WINDOW - 1]):
        return "degraded"
    return "healthy"


def consecutive_failures(result: TestResult, earlier: list[bool]) -> int:
    if result.ok:
        return 0
    count = 1
    for ok in earlier:
        if ok:
            break
        count += 1
    return count


def fingerprint(connection_id: str) -> str:
    return f"connection:{connection_id}"


def draft_for(target: ConnectionTarget, outcome: CheckOutcome) -> InsightDraft:
    """Refused credentials and broken TLS are security matters; anything else is technical."""
    error = outcome.error or "no answer"
    security = outcome.status_code in (401, 403) or any(word in error.lower() for word in _TLS_WORDS)
    label = target.name or target.base_url or "A connection"
    return InsightDraft(
        fingerprint=fingerprint(target.id),
        type="security" if security else "technical",
        severity="critical" if outcome.consecutive_failures >= 4 * FAILURES_FOR_INSIGHT else "high",
        title=f"Connection “{label}” keeps failing",
        description=(
            f"The last {outcome.consecutive_failures} health checks of this {target.type} connection "
            f"failed. Latest error: {error}"
        ),
        recommendation=(
            "Check that the credentials are still valid (rotate them on the Connections tab if not)."
            if security
            else "Check that the service is up and reachable from NEXUS-PRIME, then use “Check now” on the Health tab."
        ),
        confidence=0.95,
        impact="Discovery, health history and generated clients for this connection go stale while it fails.",
        data={
            "detector": "connection_health",
            "connection_id": target.id,
            "consecutive_failures": outcome.consecutive_failures,
            "status_code": outcome.status_code,
            "last_error": outcome.error,
        },
    )


async def check(ctx: TaskContext, org_id: str, connection_id: str) -> CheckOutcome | None:
    """Check one connection now and act on the outcome. None when it is gone or disabled."""
    pool = ctx["engines"].postgres.pool
    assert pool is not None
    async with pool.connection() as conn:
        target = await load_target(conn, ctx["box"], org_id, connection_id)
    if target is None:
        return None
    result = await test_connection(target, ctx["outbound"])
    async with pool.connection() as conn, conn.transaction():
        earlier = await queries.recent_outcomes(conn, org_id, connection_id, max(INTERMITTENT_WINDOW, 50))
        status = classify(result, earlier, slow_threshold_ms(target.config))
        stored = await queries.record(
            conn, org_id, connection_id, status, result.ok, result.latency_ms, result.status_code, result.error
        )
    if stored is None:
        return None
    previous, checked_at = stored
    outcome = CheckOutcome(
        connection_id=connection_id,
        status=status,
        previous_status=previous,
        ok=result.ok,
        latency_ms=result.latency_ms,
        status_code=result.status_code,
        error=result.error,
        checked_at=checked_at,
        consecutive_failures=consecutive_failures(result, earlier),
    )
    await _announce(ctx, target, outcome)
    await _raise_or_recover(ctx, target, outcome, earlier)
    return outcome


async def _announce(ctx: TaskContext, target: ConnectionTarget, outcome: CheckOutcome) -> None:
    hub = ctx.get("hub")
    if hub is None:
        return
    fields = msgspec.structs.asdict(outcome)
    fields.pop("consecutive_failures")
    await hub.publish(target.app_id, encode(ConnectionFrame(**fields)))


async def _raise_or_recover(
    ctx: TaskContext, target: ConnectionTarget, outcome: CheckOutcome, earlier: list[bool]
) -> None:
    if outcome.consecutive_failures >= FAILURES_FOR_INSIGHT:
        await insights.observe(ctx, target.org_id, target.app_id, draft_for(target, outcome))
    elif outcome.ok and earlier and not earlier[0]:
        # Answering again after a failure: any open "keeps failing" insight is over.
        note = f"The connection answered again ({outcome.latency_ms} ms)."
        await insights.recover(ctx, target.org_id, target.app_id, fingerprint(target.id), note)
