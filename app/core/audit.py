"""The audit log: who did what to which object, from where, in which request."""

from __future__ import annotations

import ipaddress
from typing import Any

from litestar.connection import ASGIConnection
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from app.core.auth import Principal


async def record(
    conn: AsyncConnection[Any],
    principal: Principal,
    action: str,
    target_type: str,
    target_id: str | None,
    connection: ASGIConnection[Any, Any, Any, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry; call it inside the transaction of the change it describes."""
    ip = _address(connection.client.host) if connection is not None and connection.client else None
    request_id = connection.scope.get("state", {}).get("request_id") if connection is not None else None
    await conn.execute(
        """INSERT INTO audit_log
               (org_id, actor_id, actor_label, action, target_type, target_id, ip, request_id, details)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (
            principal.org_id,
            principal.user_id,
            principal.actor_label,
            action,
            target_type,
            target_id,
            ip,
            request_id,
            Jsonb(details or {}),
        ),
    )


def _address(host: str) -> str | None:
    """The client's IP address, or None where the server has no IP peer (a unix socket, a test client)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None
