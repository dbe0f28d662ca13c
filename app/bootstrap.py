"""First-start work shared by `nexus run` and `nexus migrate`: the schema, and the demo
organisation with its admin (API.md "Running it")."""

from __future__ import annotations

import secrets
import sys

import structlog
from psycopg.errors import UniqueViolation

from app.domain.accounts import queries, service
from app.engines import Engines
from app.engines.migrations import migrate_all
from app.settings import Settings, persistent_secret

log = structlog.get_logger(__name__)


async def migrate(engines: Engines, settings: Settings) -> list[str]:
    applied = await migrate_all(engines.postgres.url, engines.clickhouse, settings.clickhouse)
    log.info("migrations_applied", files=applied) if applied else log.info("migrations_up_to_date")
    return applied


async def ensure_admin(engines: Engines, settings: Settings) -> None:
    """Create the demo organisation and its owner once. A generated password is printed
    at start-up (to the terminal, not the log) and kept in the data dir for next time."""
    assert engines.postgres.pool is not None
    admin = settings.admin
    async with engines.postgres.pool.connection() as conn:
        generated = admin.password is None
        password = admin.password or persistent_secret(
            settings.data.data_dir, "admin_password", secrets.token_urlsafe(12)
        )
        if await queries.find_login(conn, admin.email) is None:
            try:
                await service.create_organization_with_owner(conn, admin.org_name, admin.email, password, "Admin")
                log.info("admin_created", email=admin.email, org=admin.org_name)
            except UniqueViolation:
                pass  # another process starting at the same moment created it
    if generated:
        url = settings.server.public_url or f"http://{settings.server.host}:{settings.server.port}"
        print(
            f"\n  Sign in at {url} as {admin.email} "
            f"with password {password}\n  (kept in {settings.data.data_dir}/secrets/admin_password)\n",
            file=sys.stderr,
            flush=True,
        )
