"""SQL for the delivery log: messages (webhook_deliveries) and their attempts (webhook_attempts).

Every statement a request runs is scoped by organisation; the worker's statements take the
delivery id it was handed and read the organisation from the row itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from app.core.pagination import Cursor, keyset

Conn = AsyncConnection[Any]
Row = dict[str, Any]

DELIVERY_COLUMNS = """id::text AS id, webhook_id::text AS webhook_id, event_type, status, attempt,
                      status_code, duration_ms, error, response_excerpt, next_attempt_at,
                      created_at, updated_at"""


async def subscribed_webhooks(conn: Conn, org_id: str, event_type: str) -> list[Row]:
    cursor = await conn.execute(
        """SELECT id::text AS id FROM webhooks
            WHERE org_id = %s AND is_active AND %s = ANY(events) ORDER BY created_at""",
        (org_id, event_type),
    )
    return await cursor.fetchall()


async def create_delivery(conn: Conn, org_id: str, webhook_id: str, event_type: str, payload: dict[str, Any]) -> str:
    cursor = await conn.execute(
        """INSERT INTO webhook_deliveries (org_id, webhook_id, event_type, payload)
           VALUES (%s, %s, %s, %s) RETURNING id::text AS id""",
        (org_id, webhook_id, event_type, Jsonb(payload)),
    )
    row = await cursor.fetchone()
    assert row is not None
    return str(row["id"])


async def lock_for_attempt(conn: Conn, delivery_id: str) -> Row | None:
    """The delivery with its webhook, locked for this attempt; None if another worker holds it.

    SKIP LOCKED makes a duplicate job (the sweep re-enqueued a row whose job is still
    running) return at once instead of sending the message twice.
    """
    cursor = await conn.execute(
        """SELECT d.id::text AS id, d.org_id::text AS org_id, d.webhook_id::text AS webhook_id,
                  d.event_type, d.payload, d.status, d.attempt, d.created_at,
                  -- A second clock never decides: "due" is PostgreSQL's now(), with a second of slack.
                  coalesce(d.next_attempt_at <= now() + interval '1 second', false) AS due,
                  w.url, w.secret_encrypted, w.is_active
             FROM webhook_deliveries d
             JOIN webhooks w ON w.org_id = d.org_id AND w.id = d.webhook_id
            WHERE d.id = %s
              FOR UPDATE OF d SKIP LOCKED""",
        (delivery_id,),
    )
    return await cursor.fetchone()


async def lease(conn: Conn, delivery_id: str, seconds: float) -> None:
    """Push the row out of the sweep's reach while its attempt is in flight; if the worker
    dies mid-send, the row becomes due again when the lease runs out."""
    await conn.execute(
        "UPDATE webhook_deliveries SET next_attempt_at = now() + make_interval(secs => %s) WHERE id = %s",
        (seconds, delivery_id),
    )


async def record_attempt(
    conn: Conn,
    delivery_id: str,
    org_id: str,
    *,
    attempt: int,
    status: str,
    status_code: int | None,
    duration_ms: int,
    error: str | None,
    response_excerpt: str | None,
    next_attempt_at: datetime | None,
) -> None:
    """The delivery's latest state plus one row in its attempt history."""
    await conn.execute(
        """UPDATE webhook_deliveries
              SET status = %s, attempt = %s, status_code = %s, duration_ms = %s, error = %s,
                  response_excerpt = %s, next_attempt_at = %s
            WHERE id = %s AND org_id = %s""",
        (status, attempt, status_code, duration_ms, error, response_excerpt, next_attempt_at, delivery_id, org_id),
    )
    await conn.execute(
        """INSERT INTO webhook_attempts
               (delivery_id, org_id, attempt, status_code, duration_ms, error, response_excerpt)
           VALUES (%s, %s, %s, %s, %s, %s, %s)""",
        (delivery_id, org_id, attempt, status_code, duration_ms, error, response_excerpt),
    )


async def mark_failed(conn: Conn, delivery_id: str, error: str) -> None:
    await conn.execute(
        "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, error = %s WHERE id = %s",
        (error, delivery_id),
    )


async def due(conn: Conn, limit: int) -> list[Row]:
    """Deliveries whose next attempt is due (the sweep's safety net for lost queue jobs)."""
    cursor = await conn.execute(
        """SELECT id::text AS id, attempt FROM webhook_deliveries
            WHERE status IN ('pending', 'retrying') AND next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT %s""",
        (limit,),
    )
    return await cursor.fetchall()


async def list_page(conn: Conn, org_id: str, webhook_id: str, limit: int, after: Cursor | None) -> list[Row]:
    sql = f"SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE org_id = %s AND webhook_id = %s"
    cursor = await conn.execute(*keyset(sql, [org_id, webhook_id], limit, after))
    return await cursor.fetchall()


async def get(conn: Conn, org_id: str, webhook_id: str, delivery_id: str) -> Row | None:
    cursor = await conn.execute(
        f"""SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
             WHERE org_id = %s AND webhook_id = %s AND id = %s""",
        (org_id, webhook_id, delivery_id),
    )
    return await cursor.fetchone()


async def attempts_of(conn: Conn, org_id: str, delivery_ids: list[str]) -> dict[str, list[Row]]:
    """The attempt history of each delivery, oldest first."""
    if not delivery_ids:
        return {}
    cursor = await conn.execute(
        """SELECT delivery_id::text AS delivery_id, attempt, status_code, duration_ms, error,
                  response_excerpt, created_at
             FROM webhook_attempts
            WHERE org_id = %s AND delivery_id = ANY(%s::uuid[])
            ORDER BY delivery_id, attempt, created_at""",
        (org_id, delivery_ids),
    )
    grouped: dict[str, list[Row]] = {}
    for row in await cursor.fetchall():
        grouped.setdefault(row.pop("delivery_id"), []).append(row)
    return grouped


async def last_status_by_webhook(conn: Conn, org_id: str, webhook_ids: list[str]) -> dict[str, Row]:
    """The newest delivery of each webhook, for the list page."""
    if not webhook_ids:
        return {}
    cursor = await conn.execute(
        """SELECT DISTINCT ON (webhook_id) webhook_id::text AS webhook_id, status, status_code, event_type,
                  updated_at
             FROM webhook_deliveries
            WHERE org_id = %s AND webhook_id = ANY(%s::uuid[])
            ORDER BY webhook_id, created_at DESC""",
        (org_id, webhook_ids),
    )
    return {row["webhook_id"]: row for row in await cursor.fetchall()}
