"""SQL for the demo applications: found by the `demo` object in their settings, which also
records how much of their history is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

Conn = AsyncConnection[Any]
Row = dict[str, Any]


async def demo_apps(conn: Conn, org_id: str) -> list[Row]:
    cursor = await conn.execute(
        """SELECT id::text AS id, org_id::text AS org_id, name, status, settings->'demo' AS demo
             FROM applications WHERE org_id = %s AND settings ? 'demo' ORDER BY created_at""",
        (org_id,),
    )
    return await cursor.fetchall()


async def mark_demo(conn: Conn, org_id: str, app_id: str, demo: dict[str, Any]) -> None:
    """Make a freshly created application a demo one: marked, and active (it has traffic)."""
    await conn.execute(
        """UPDATE applications
              SET settings = settings || jsonb_build_object('demo', %s::jsonb), status = 'active',
                  learning_progress = 100
            WHERE org_id = %s AND id = %s""",
        (Jsonb(demo), org_id, app_id),
    )


async def mark_starter(conn: Conn, org_id: str, app_id: str, dashboard_id: str) -> None:
    """Record that the demo application's starter dashboard was made (it is never made again,
    even once deleted)."""
    await conn.execute(
        """UPDATE applications
              SET settings = jsonb_set(settings, '{demo,starter_dashboard}', to_jsonb(%s::text))
            WHERE org_id = %s AND id = %s""",
        (dashboard_id, org_id, app_id),
    )


async def record_filled(conn: Conn, app_ids: list[str], key: str, moment: datetime) -> None:
    """Set settings.demo.<key> (filled_from or filled_until) on these demo applications."""
    assert key in {"filled_from", "filled_until"}
    await conn.execute(
        """UPDATE applications
              SET settings = jsonb_set(settings, ARRAY['demo', %s], to_jsonb(%s::text))
            WHERE id = ANY(%s::uuid[]) AND settings ? 'demo'""",
        (key, moment.isoformat(), app_ids),
    )
