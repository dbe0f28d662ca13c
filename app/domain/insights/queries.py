"""SQL for insights and their history; every statement is scoped by organisation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from app.core.pagination import Cursor, keyset

Conn = AsyncConnection[Any]
Row = dict[str, Any]

COLUMNS = """i.id::text AS id, i.org_id::text AS org_id, i.app_id::text AS app_id, a.name AS app_name,
             i.type, i.severity, i.severity_rank, i.title, i.description, i.recommendation, i.confidence,
             i.impact, i.status, i.data, i.fingerprint, i.assignee_id::text AS assignee_id,
             u.name AS assignee_name, i.snoozed_until, i.resolved_at, i.created_at, i.updated_at"""
FROM = """insights i JOIN applications a ON a.org_id = i.org_id AND a.id = i.app_id
          LEFT JOIN users u ON u.org_id = i.org_id AND u.id = i.assignee_id"""
OPEN = "('new', 'acknowledged')"


async def get(conn: Conn, org_id: str, insight_id: str, *, lock: bool = False) -> Row | None:
    suffix = " FOR UPDATE OF i" if lock else ""
    cursor = await conn.execute(
        f"SELECT {COLUMNS} FROM {FROM} WHERE i.org_id = %s AND i.id = %s{suffix}", (org_id, insight_id)
    )
    return await cursor.fetchone()


async def get_open(conn: Conn, org_id: str, app_id: str, fingerprint: str) -> Row | None:
    """The open insight for a condition, locked for the rest of the transaction."""
    cursor = await conn.execute(
        f"""SELECT {COLUMNS} FROM {FROM}
             WHERE i.org_id = %s AND i.app_id = %s AND i.fingerprint = %s AND i.status IN {OPEN}
             FOR UPDATE OF i""",
        (org_id, app_id, fingerprint),
    )
    return await cursor.fetchone()


async def recently_dismissed(conn: Conn, org_id: str, app_id: str, fingerprint: str, since: datetime) -> Row | None:
    """The latest insight for a condition that someone dismissed after `since`."""
    cursor = await conn.execute(
        f"""SELECT {COLUMNS} FROM {FROM}
             WHERE i.org_id = %s AND i.app_id = %s AND i.fingerprint = %s AND i.status = 'dismissed'
               AND i.resolved_at > %s
             ORDER BY i.resolved_at DESC LIMIT 1""",
        (org_id, app_id, fingerprint, since),
    )
    return await cursor.fetchone()


async def insert_open(conn: Conn, org_id: str, app_id: str, fields: dict[str, Any]) -> str | None:
    """A new open insight; None when a concurrent tick opened one for the condition first."""
    cursor = await conn.execute(
        """INSERT INTO insights (org_id, app_id, fingerprint, type, severity, title, description,
                                 recommendation, confidence, impact, data)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (org_id, app_id, fingerprint) WHERE status IN ('new', 'acknowledged') DO NOTHING
           RETURNING id::text AS id""",
        (
            org_id,
            app_id,
            fields["fingerprint"],
            fields["type"],
            fields["severity"],
            fields["title"],
            fields["description"],
            fields["recommendation"],
            fields["confidence"],
            fields["impact"],
            Jsonb(fields["data"]),
        ),
    )
    row = await cursor.fetchone()
    return row["id"] if row else None


async def refresh_detection(conn: Conn, org_id: str, insight_id: str, fields: dict[str, Any]) -> None:
    """The detector's latest view of an open insight (severity, wording, evidence)."""
    await conn.execute(
        """UPDATE insights SET severity = %s, title = %s, description = %s, recommendation = %s,
                               confidence = %s, impact = %s, data = %s
            WHERE org_id = %s AND id = %s""",
        (
            fields["severity"],
            fields["title"],
            fields["description"],
            fields["recommendation"],
            fields["confidence"],
            fields["impact"],
            Jsonb(fields["data"]),
            org_id,
            insight_id,
        ),
    )


async def set_state(
    conn: Conn,
    org_id: str,
    insight_id: str,
    *,
    status: str | None = None,
    snoozed_until: datetime | bool | None = False,
    assignee_id: str | bool | None = False,
) -> None:
    """Change status / snooze / assignee; `False` leaves a field as it is (None clears it).
    Leaving the open states clears the snooze and stamps resolved_at."""
    sets: list[str] = []
    params: list[Any] = []
    if status is not None:
        sets.append("status = %s")
        params.append(status)
        sets.append("resolved_at = CASE WHEN %s IN ('resolved', 'dismissed') THEN now() ELSE NULL END")
        params.append(status)
        if status in ("resolved", "dismissed"):
            sets.append("snoozed_until = NULL")
    if snoozed_until is not False:
        sets.append("snoozed_until = %s")
        params.append(snoozed_until)
    if assignee_id is not False:
        sets.append("assignee_id = %s")
        params.append(assignee_id)
    if not sets:
        return
    await conn.execute(
        f"UPDATE insights SET {', '.join(sets)} WHERE org_id = %s AND id = %s",
        (*params, org_id, insight_id),
    )


async def add_event(
    conn: Conn,
    org_id: str,
    insight_id: str,
    kind: str,
    *,
    actor_id: str | None = None,
    body: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO insight_events (org_id, insight_id, actor_id, kind, body, data)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (org_id, insight_id, actor_id, kind, body, Jsonb(data or {})),
    )


async def history(conn: Conn, org_id: str, insight_id: str) -> list[Row]:
    cursor = await conn.execute(
        """SELECT e.id::text AS id, e.kind, e.actor_id::text AS actor_id, u.name AS actor_name,
                  e.body, e.data, e.created_at
             FROM insight_events e LEFT JOIN users u ON u.org_id = e.org_id AND u.id = e.actor_id
            WHERE e.org_id = %s AND e.insight_id = %s
            ORDER BY e.created_at, e.id""",
        (org_id, insight_id),
    )
    return await cursor.fetchall()


async def last_snooze(conn: Conn, org_id: str, insight_id: str) -> Row | None:
    """The latest 'snoozed' history row: its data holds the severity at the time."""
    cursor = await conn.execute(
        """SELECT data, created_at FROM insight_events
            WHERE org_id = %s AND insight_id = %s AND kind = 'snoozed'
            ORDER BY created_at DESC LIMIT 1""",
        (org_id, insight_id),
    )
    return await cursor.fetchone()


def _where(org_id: str, filters: dict[str, Any]) -> tuple[str, list[Any]]:
    conditions = ["i.org_id = %s"]
    params: list[Any] = [org_id]
    status = filters.get("status")
    # 'open' is the inbox: new or acknowledged and not snoozed; 'snoozed' is the rest of the open ones.
    if status == "open":
        conditions.append(f"i.status IN {OPEN} AND (i.snoozed_until IS NULL OR i.snoozed_until <= now())")
    elif status == "snoozed":
        conditions.append(f"i.status IN {OPEN} AND i.snoozed_until > now()")
    elif status:
        conditions.append("i.status = %s")
        params.append(status)
    for column in ("severity", "type", "app_id", "assignee_id"):
        value = filters.get(column)
        if value:
            conditions.append(f"i.{column} = %s")
            params.append(value)
    if filters.get("q"):
        needle = "%" + filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append("(i.title ILIKE %s OR i.description ILIKE %s)")
        params += [needle, needle]
    return " AND ".join(conditions), params


async def list_page(conn: Conn, org_id: str, filters: dict[str, Any], limit: int, after: Cursor | None) -> list[Row]:
    where, params = _where(org_id, filters)
    # Wrapped so the keyset's bare created_at/id refer to the insight, not the joined rows.
    sql = f"SELECT * FROM (SELECT {COLUMNS} FROM {FROM} WHERE {where}) AS page WHERE true"
    cursor = await conn.execute(*keyset(sql, params, limit, after))
    return await cursor.fetchall()


async def due_snoozes(conn: Conn, now: datetime) -> list[Row]:
    """Open insights whose snooze has run out, across organisations (the waker's work list)."""
    cursor = await conn.execute(
        f"""SELECT i.id::text AS id, i.org_id::text AS org_id FROM insights i
             WHERE i.snoozed_until IS NOT NULL AND i.snoozed_until <= %s AND i.status IN {OPEN}""",
        (now,),
    )
    return await cursor.fetchall()


async def is_member(conn: Conn, org_id: str, user_id: str) -> bool:
    cursor = await conn.execute("SELECT 1 FROM users WHERE org_id = %s AND id = %s", (org_id, user_id))
    return await cursor.fetchone() is not None


async def members(conn: Conn, org_id: str) -> list[Row]:
    cursor = await conn.execute(
        "SELECT id::text AS id, name, email FROM users WHERE org_id = %s ORDER BY name, email", (org_id,)
    )
    return await cursor.fetchall()


async def applications(conn: Conn, org_id: str) -> list[Row]:
    cursor = await conn.execute(
        "SELECT id::text AS id, org_id::text AS org_id, name FROM applications WHERE org_id = %s ORDER BY name",
        (org_id,),
    )
    return await cursor.fetchall()


async def all_applications(conn: Conn) -> list[Row]:
    """Every application of every organisation, grouped by organisation (the scheduler's work)."""
    cursor = await conn.execute(
        "SELECT id::text AS id, org_id::text AS org_id, name FROM applications ORDER BY org_id, name"
    )
    return await cursor.fetchall()


async def open_fingerprints(conn: Conn, org_id: str) -> set[tuple[str, str]]:
    """(app_id, fingerprint) of every open insight: recovery is only attempted where one exists."""
    cursor = await conn.execute(
        f"""SELECT app_id::text AS app_id, fingerprint FROM insights
             WHERE org_id = %s AND status IN {OPEN} AND fingerprint IS NOT NULL""",
        (org_id,),
    )
    return {(row["app_id"], row["fingerprint"]) for row in await cursor.fetchall()}
