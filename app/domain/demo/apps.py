"""The demo applications: three in the admin's organisation, created when missing through
the applications service (so each has an ingest key and an audit entry), each with a starter
dashboard (app/domain/demo/dashboards.py), and marked in their settings:
`{"demo": {"profile", "seed", "opening_at", "filled_from", "filled_until", "starter_dashboard"}}`,
where [filled_from, filled_until) is the stored history (app/domain/demo/history.py) and
opening_at when the application's opening incident begins (app/domain/demo/shape.py)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import structlog
from psycopg import AsyncConnection

from app.core.auth import Principal
from app.core.crypto import SecretBox
from app.core.errors import ApiError
from app.domain.accounts import queries as accounts_queries
from app.domain.accounts import service as accounts_service
from app.domain.applications import service as applications
from app.domain.demo import queries
from app.domain.demo.dashboards import create_starter
from app.domain.demo.profiles import BY_KEY, PROFILES, Profile
from app.domain.demo.shape import OPENING_DELAY, to_ms
from app.domain.demo.traffic import SEED, TrafficGenerator
from app.engines import Engines
from app.settings import Settings

log = structlog.get_logger(__name__)


@dataclass
class DemoApp:
    profile: Profile
    app_id: str
    org_id: str
    seed: int = SEED
    filled_from: datetime | None = None
    filled_until: datetime | None = None
    paused: bool = False
    has_starter: bool = False  # its starter dashboard was made (app/domain/demo/dashboards.py)
    _live: TrafficGenerator | None = field(default=None, repr=False)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> DemoApp | None:
        demo = row["demo"] if isinstance(row["demo"], dict) else {}
        profile = BY_KEY.get(demo.get("profile", ""))
        if profile is None:
            return None
        opening = _parse(demo.get("opening_at"))
        if opening is not None:
            profile = replace(profile, opening_ms=to_ms(opening))
        return cls(
            profile=profile,
            app_id=row["id"],
            org_id=row["org_id"],
            seed=int(demo.get("seed", SEED)),
            filled_from=_parse(demo.get("filled_from")),
            filled_until=_parse(demo.get("filled_until")),
            paused=row["status"] == "paused",
            has_starter=bool(demo.get("starter_dashboard")),
        )

    def generator(self) -> TrafficGenerator:
        return TrafficGenerator(self.profile, self.app_id, self.org_id, self.seed)

    @property
    def live(self) -> TrafficGenerator:
        """The live loop's generator, kept: it holds the current hour."""
        if self._live is None:
            self._live = self.generator()
        return self._live


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        return None


async def admin_principal(conn: AsyncConnection[Any], email: str) -> Principal | None:
    """The admin (NEXUS_ADMIN_EMAIL) as the demo acts for them, or None if they do not exist."""
    login = await accounts_queries.find_login(conn, email)
    row = await accounts_queries.principal_row(conn, login["id"], login["org_id"]) if login else None
    return accounts_service.principal_for(row, "demo") if row else None


async def ensure_apps(engines: Engines, settings: Settings, now: datetime) -> list[DemoApp]:
    """The demo applications of the admin's organisation, created when missing (at `now`)."""
    assert engines.postgres.pool is not None
    box = SecretBox(settings.security.encryption_keys)
    async with engines.postgres.pool.connection() as conn:
        admin = await admin_principal(conn, settings.admin.email)
        if admin is None:
            log.warning("demo_skipped", reason=f"no active user {settings.admin.email}")
            return []
        present = {app.profile.key for app in from_rows(await queries.demo_apps(conn, admin.org_id))}
        for profile in PROFILES:
            if profile.key in present:
                continue
            fields = {
                "name": profile.name,
                "type": profile.app_type,
                "base_url": profile.base_url,
                "description": profile.description,
            }
            try:
                async with conn.transaction():
                    row = await applications.create(conn, box, admin, fields, None)
                    opening = now + OPENING_DELAY
                    demo = {"profile": profile.key, "seed": SEED, "opening_at": opening.isoformat()}
                    await queries.mark_demo(conn, admin.org_id, row["id"], demo)
            except ApiError:  # an application of the customer's own already has the name
                log.warning("demo_app_skipped", name=profile.name, reason="name taken")
                continue
            log.info("demo_app_created", name=profile.name, app_id=row["id"])
        apps = from_rows(await queries.demo_apps(conn, admin.org_id))
        for app in apps:
            if not app.has_starter:
                await _add_starter(conn, admin, app)
        return apps


async def _add_starter(conn: AsyncConnection[Any], admin: Principal, app: DemoApp) -> None:
    """The application's starter dashboard, once (demo applications made before there were
    starter dashboards get theirs at the next start). A failure is logged and leaves the
    application as it is; the next start tries again."""
    try:
        async with conn.transaction():
            dashboard_id = await create_starter(conn, admin, app.app_id, app.profile)
            await queries.mark_starter(conn, admin.org_id, app.app_id, dashboard_id)
    except ApiError as exc:
        log.warning("demo_dashboard_skipped", app_id=app.app_id, error=exc.code)
        return
    log.info("demo_dashboard_created", app_id=app.app_id, dashboard_id=dashboard_id)


def from_rows(rows: list[dict[str, Any]]) -> list[DemoApp]:
    return [app for row in rows if (app := DemoApp.from_row(row)) is not None]


async def current(engines: Engines, org_id: str) -> list[DemoApp]:
    """The organisation's demo applications as they are now (paused, deleted...)."""
    assert engines.postgres.pool is not None
    async with engines.postgres.pool.connection() as conn:
        return from_rows(await queries.demo_apps(conn, org_id))
