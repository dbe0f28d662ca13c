"""Webhook rules: the endpoints an admin manages, and `emit_event`, which the rest of the
platform calls when something a customer may subscribe to happens.

Every change runs in one transaction together with its audit-log entry. Secrets are kept
as Fernet tokens and never logged; the API shows them whole only on create and rotate.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import saq
from litestar.connection import ASGIConnection
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from app.core import audit
from app.core.auth import Principal
from app.core.crypto import SecretBox
from app.core.errors import ApiError
from app.core.outbound import OutboundClient, OutboundPolicy, OutboundRefused
from app.core.pagination import Cursor, Page, page_of
from app.domain.webhooks import delivery, delivery_queries, queries, signing
from app.domain.webhooks.delivery import enqueue_delivery
from app.domain.webhooks.schemas import TEST_EVENT, Delivery, SendResult, Webhook, envelope
from app.settings import WebhookSettings

Conn = AsyncConnection[Any]
Request = ASGIConnection[Any, Any, Any, Any] | None


async def emit_event(
    pool: AsyncConnectionPool[Any], queue: saq.Queue, org_id: str, event_type: str, data: dict[str, Any]
) -> list[str]:
    """Queue `event_type` for every active webhook of the organisation subscribed to it.

    The delivery rows are committed before their jobs are enqueued, so a job never looks for
    a row that is not there yet, and a job lost on the way (Redis restart) is picked up by the
    `webhooks.sweep` cron from the row. Returns the delivery ids (the `webhook-id` headers).
    """
    payload = envelope(event_type, datetime.now(UTC), data)
    async with pool.connection() as conn, conn.transaction():
        hooks = await delivery_queries.subscribed_webhooks(conn, org_id, event_type)
        ids = [await delivery_queries.create_delivery(conn, org_id, hook["id"], event_type, payload) for hook in hooks]
    for delivery_id in ids:
        await enqueue_delivery(queue, delivery_id, attempt=1)
    return ids


def to_webhook(row: dict[str, Any], box: SecretBox, *, reveal: bool = False) -> Webhook:
    secret = box.decrypt(row["secret_encrypted"])
    fields = {k: v for k, v in row.items() if k != "secret_encrypted"}
    return msgspec.convert({**fields, "secret": secret if reveal else signing.mask(secret)}, Webhook)


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "No such webhook.")


async def check_url(policy: OutboundPolicy, url: str) -> None:
    """The SSRF guard at create time too, so a bad URL is refused while someone is looking."""
    try:
        await policy.check(url)
    except OutboundRefused as exc:
        raise ApiError(400, "url_not_allowed", str(exc)) from exc


async def get(conn: Conn, principal: Principal, webhook_id: str) -> dict[str, Any]:
    row = await queries.get(conn, principal.org_id, webhook_id)
    if row is None:
        raise _not_found()
    return row


async def create(
    conn: Conn, box: SecretBox, policy: OutboundPolicy, principal: Principal, fields: dict[str, Any], request: Request
) -> dict[str, Any]:
    await check_url(policy, fields["url"])
    secret = signing.new_secret()
    async with conn.transaction():
        row = await queries.create(conn, principal.org_id, principal.user_id, fields, box.encrypt(secret))
        details = {"url": fields["url"], "events": fields["events"]}
        await audit.record(conn, principal, "webhook.created", "webhook", row["id"], request, details)
    return row


async def update(
    conn: Conn, policy: OutboundPolicy, principal: Principal, webhook_id: str, changes: dict[str, Any], request: Request
) -> dict[str, Any]:
    if "url" in changes:
        await check_url(policy, changes["url"])
    async with conn.transaction():
        row = await queries.update(conn, principal.org_id, webhook_id, changes)
        if row is None:
            raise _not_found()
        await audit.record(conn, principal, "webhook.updated", "webhook", webhook_id, request, changes)
    return row


async def delete(conn: Conn, principal: Principal, webhook_id: str, request: Request) -> None:
    async with conn.transaction():
        if not await queries.delete(conn, principal.org_id, webhook_id):
            raise _not_found()
        await audit.record(conn, principal, "webhook.deleted", "webhook", webhook_id, request)


async def rotate_secret(
    conn: Conn, box: SecretBox, principal: Principal, webhook_id: str, request: Request
) -> dict[str, Any]:
    """The old secret stops signing at once; receivers must switch to the new one."""
    async with conn.transaction():
        row = await queries.set_secret(conn, principal.org_id, webhook_id, box.encrypt(signing.new_secret()))
        if row is None:
            raise _not_found()
        await audit.record(conn, principal, "webhook.secret_rotated", "webhook", webhook_id, request)
    return row


async def send_test(
    pool: AsyncConnectionPool[Any],
    outbound: OutboundClient,
    box: SecretBox,
    settings: WebhookSettings,
    principal: Principal,
    webhook_id: str,
) -> SendResult:
    """A `webhook.test` message sent now, once, and kept in the log like any other."""
    async with pool.connection() as conn, conn.transaction():
        if await queries.get(conn, principal.org_id, webhook_id) is None:
            raise _not_found()
        data = {"message": "A test event from NEXUS-PRIME.", "requested_by": principal.actor_label}
        payload = envelope(TEST_EVENT, datetime.now(UTC), data)
        delivery_id = await delivery_queries.create_delivery(conn, principal.org_id, webhook_id, TEST_EVENT, payload)
    result = await delivery.attempt(pool, outbound, box, settings, delivery_id, manual=True)
    assert result is not None  # a manual attempt on a row just committed always runs
    return result


async def replay(
    pool: AsyncConnectionPool[Any],
    outbound: OutboundClient,
    box: SecretBox,
    settings: WebhookSettings,
    principal: Principal,
    webhook_id: str,
    delivery_id: str,
) -> SendResult:
    """Send a logged message again now, with the same webhook-id so receivers can deduplicate."""
    async with pool.connection() as conn:
        if await delivery_queries.get(conn, principal.org_id, webhook_id, delivery_id) is None:
            raise ApiError(404, "not_found", "No such delivery.")
    result = await delivery.attempt(pool, outbound, box, settings, delivery_id, manual=True)
    if result is None:
        raise ApiError(409, "delivery_busy", "This delivery is being sent right now; try again in a moment.")
    return result


async def deliveries_page(
    conn: Conn, principal: Principal, webhook_id: str, limit: int, after: Cursor | None
) -> Page[Delivery]:
    """The delivery log of one webhook, newest first, each with its attempts."""
    await get(conn, principal, webhook_id)
    rows = await delivery_queries.list_page(conn, principal.org_id, webhook_id, limit, after)
    attempts = await delivery_queries.attempts_of(conn, principal.org_id, [row["id"] for row in rows[:limit]])
    return page_of(rows, limit, lambda row: msgspec.convert({**row, "attempts": attempts.get(row["id"], [])}, Delivery))
