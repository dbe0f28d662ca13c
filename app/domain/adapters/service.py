"""Generate an application's client in a language, from what discovery stored."""

from __future__ import annotations

from typing import Any, Literal

from psycopg import AsyncConnection

from app.core.auth import Principal
from app.domain.adapters import python_client, queries, typescript_client
from app.domain.applications import service as applications

Language = Literal["python", "typescript"]
GENERATORS = {"python": python_client.generate, "typescript": typescript_client.generate}
FILE_NAMES = {"python": "client.py", "typescript": "client.ts"}


async def generate(conn: AsyncConnection[Any], principal: Principal, app_id: str, language: Language) -> str:
    """The client's source. An application with no endpoints yet still gets a working client
    (with no operations), so a download never fails for want of discovery."""
    app = await applications.get(conn, principal, app_id)  # 404 for another organisation's
    rows = await queries.endpoints(conn, principal.org_id, app_id)
    return GENERATORS[language](rows, f"{app['name']} (NEXUS-PRIME application {app_id})")
