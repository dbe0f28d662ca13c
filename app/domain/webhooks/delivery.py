"""Sending one delivery attempt, and deciding what happens after it.

An attempt is three short steps so no database connection waits on a customer's server:
claim the row (locked with SKIP LOCKED, then leased), send the signed request through the
OutboundClient (SSRF guard, timeouts, size cap; redirects are not followed: a webhook
receiver answers where it was registered), record the outcome and schedule the next try.

Retries: 2xx succeeds; anything else (status, timeout, refusal) is retried after
`base * STEPS[n]` with full jitter (a random delay between 0 and that step, so receivers
coming back up are not hit by every sender at once), until MAX_ATTEMPTS or `max_age_h`
after the message was created. With the default 5 s base the steps are 5 s, 30 s, 2 min,
10 min, 30 min, 1 h, 3 h, 6 h, 12 h.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import saq
from psycopg_pool import AsyncConnectionPool

from app.core.crypto import SecretBox
from app.core.outbound import OutboundClient, describe_error
from app.domain.webhooks import delivery_queries, signing
from app.domain.webhooks.schemas import SendResult
from app.settings import WebhookSettings

DELIVER_TASK = "webhooks.deliver"
STEPS = (1, 6, 24, 120, 360, 720, 2160, 4320, 8640)
MAX_ATTEMPTS = len(STEPS) + 1
EXCERPT_CHARS = 1024


def retry_delay(failed_attempts: int, settings: WebhookSettings, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the `failed_attempts`-th failure (full jitter)."""
    step_ms = settings.retry_base_ms * STEPS[min(failed_attempts, len(STEPS)) - 1]
    cap_ms = settings.max_age_h * 3600 * 1000
    return timedelta(milliseconds=(rng or random).uniform(0, min(step_ms, cap_ms)))


async def enqueue_delivery(queue: saq.Queue, delivery_id: str, attempt: int, scheduled: float = 0) -> None:
    """One job per (delivery, attempt): saq drops a duplicate key while the first is queued."""
    await queue.enqueue(
        DELIVER_TASK, key=f"webhook:{delivery_id}:{attempt}", scheduled=scheduled, delivery_id=delivery_id
    )


class Outcome(msgspec.Struct):
    status_code: int | None
    duration_ms: int
    error: str | None
    excerpt: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def send(outbound: OutboundClient, url: str, secret: str, delivery_id: str, payload: dict[str, Any]) -> Outcome:
    """POST the signed message once; never raises for what the receiver (or the guard) did."""
    body = msgspec.json.encode(payload).decode()
    headers = signing.headers(secret, delivery_id, datetime.now(UTC), body)
    started = time.perf_counter()
    try:
        response = await outbound.request("POST", url, content=body, headers=headers, follow_redirects=False)
    except Exception as exc:  # every failure is an outcome to log and retry, never a crash
        return Outcome(None, _elapsed_ms(started), describe_error(exc), None)
    excerpt = response.text[:EXCERPT_CHARS] or None
    error = None if 200 <= response.status_code < 300 else f"The receiver answered HTTP {response.status_code}."
    return Outcome(response.status_code, _elapsed_ms(started), error, excerpt)


def _elapsed_ms(started: float) -> int:
    return max(0, round((time.perf_counter() - started) * 1000))


async def attempt(
    pool: AsyncConnectionPool[Any],
    outbound: OutboundClient,
    box: SecretBox,
    settings: WebhookSettings,
    delivery_id: str,
    *,
    queue: saq.Queue | None = None,
    manual: bool = False,
) -> SendResult | None:
    """Make the next attempt of a delivery; None when there is nothing to do.

    Automatic attempts (the queue, `manual=False`) only run for a due pending/retrying row,
    which makes duplicate jobs harmless, and schedule the retry on `queue`. Manual ones (the
    test button, replay) send whatever the state and their outcome is final.
    """
    lease_s = outbound.settings.timeout_s * 2 + 30
    async with pool.connection() as conn, conn.transaction():
        row = await delivery_queries.lock_for_attempt(conn, delivery_id)
        if row is None:
            return None
        if not manual and (row["status"] not in {"pending", "retrying"} or not row["due"]):
            return None
        if not manual and not row["is_active"]:
            await delivery_queries.mark_failed(conn, delivery_id, "The webhook is disabled.")
            return None
        await delivery_queries.lease(conn, delivery_id, lease_s)
    number = row["attempt"] + 1
    outcome = await send(outbound, row["url"], box.decrypt(row["secret_encrypted"]), delivery_id, row["payload"])
    next_at = None
    if outcome.ok:
        status = "succeeded"
    elif manual or number >= MAX_ATTEMPTS:
        status = "failed"
    else:
        next_at = datetime.now(UTC) + retry_delay(number, settings)
        given_up = next_at > row["created_at"] + timedelta(hours=settings.max_age_h)
        status, next_at = ("failed", None) if given_up else ("retrying", next_at)
    async with pool.connection() as conn, conn.transaction():
        await delivery_queries.record_attempt(
            conn,
            delivery_id,
            row["org_id"],
            attempt=number,
            status=status,
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            error=outcome.error,
            response_excerpt=outcome.excerpt,
            next_attempt_at=next_at,
        )
    if next_at is not None and queue is not None:
        await enqueue_delivery(queue, delivery_id, number + 1, scheduled=next_at.timestamp())
    return SendResult(delivery_id, outcome.status_code, status, outcome.duration_ms, outcome.error)
