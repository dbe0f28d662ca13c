"""The `nexus` command: run, migrate, demo, user, rotate-key, worker."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import Any

from app.settings import Settings, SettingsError, load_settings


def _run(settings: Settings, host: str | None, port: int | None) -> None:
    import uvicorn

    from app.asgi import create_app

    uvicorn.run(
        create_app(settings),
        host=host or settings.server.host,
        port=port or settings.server.port,
        log_config=None,  # our structlog configuration owns the root logger
        access_log=False,  # ours (app.core.observability) has the request id
        proxy_headers=True,
        forwarded_allow_ips=settings.server.trusted_proxies,
        ws_max_size=1 << 20,
        # Live frames are encoded once per application and shared by every subscriber;
        # per-message compression would redo the work for each socket.
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=20,
    )


async def _with_engines(settings: Settings, work: str, **kwargs: str) -> None:
    from app import bootstrap
    from app.engines import Engines

    engines = Engines(settings)
    await engines.start()
    try:
        if work == "migrate":
            await bootstrap.migrate(engines, settings)
            await bootstrap.ensure_admin(engines, settings)
        elif work == "user":
            await _create_user(engines, **kwargs)
        elif work == "rotate-key":
            from app.core.keyrotation import rotate_all

            assert engines.postgres.pool is not None
            async with engines.postgres.pool.connection() as conn:
                counts = await rotate_all(conn, settings.security.encryption_keys)
            print("re-encrypted under the newest key:", counts)
        elif work == "worker":
            await _run_worker(engines, settings)
        elif work == "demo":
            from app.domain.demo.runner import run_until_signalled

            await bootstrap.migrate(engines, settings)
            await bootstrap.ensure_admin(engines, settings)
            await run_until_signalled(engines, settings)
    finally:
        await engines.stop()


async def _create_user(engines: object, email: str, password: str, org: str, role: str) -> None:
    from app.domain.accounts import passwords, queries, service

    pool = engines.postgres.pool  # type: ignore[attr-defined]
    problem = passwords.password_problem(password)
    if problem:
        raise SystemExit(f"nexus user: {problem}")
    async with pool.connection() as conn:
        if await queries.email_exists(conn, email):
            raise SystemExit(f"nexus user: {email} already exists")
        if role == "owner":
            created = await service.create_organization_with_owner(conn, org, email, password)
            print(f"created organisation {created['org']['slug']} with owner {email}")
            return
        raise SystemExit("nexus user: only owners of a new organisation are created here; invite others from Settings")


async def _run_worker(engines: Any, settings: Settings) -> None:
    """The worker process: runs the saq queue's tasks and schedules until SIGINT/SIGTERM."""
    from app.core.crypto import SecretBox
    from app.core.outbound import OutboundClient
    from app.worker import Background
    from realtime.hub import LiveHub

    assert engines.redis.client is not None
    hub = LiveHub(engines.redis.client)
    await hub.start()
    outbound = OutboundClient(settings.outbound)
    box = SecretBox(settings.security.encryption_keys)
    background = Background(
        settings, {"engines": engines, "settings": settings, "box": box, "outbound": outbound, "hub": hub}
    )
    await background.start(engines.redis.url, run_worker=False)
    try:
        await background.run_until_signalled()
    finally:
        await background.stop()
        await outbound.aclose()
        await hub.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="nexus", description="NEXUS-PRIME real-time product analytics")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve the UI and API (starts embedded engines when none are configured)")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    commands.add_parser("migrate", help="apply pending PostgreSQL and ClickHouse migrations")
    commands.add_parser(
        "demo",
        help="generate the demo applications' traffic (30 days of history, then live) until Ctrl-C",
        description=(
            "Create the three demo applications in the admin's organisation, store their last 30 days of "
            "history (once), then generate live traffic every second until Ctrl-C. With embedded engines "
            "this cannot run beside `nexus run` (chDB lives inside one process), which is why `nexus run` "
            "(and `make run`) does the same in the web process unless NEXUS_DEMO=0. With external engines "
            "it can run as a process of its own: one process at a time generates (a PostgreSQL advisory "
            "lock), so web processes with NEXUS_DEMO=1 wait rather than double the traffic."
        ),
    )
    user = commands.add_parser("user", help="create an organisation and its owner")
    user.add_argument("--email", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--org", required=True)
    user.add_argument("--role", default="owner", choices=["owner"])
    commands.add_parser("rotate-key", help="re-encrypt stored secrets under the first NEXUS_ENCRYPTION_KEYS key")
    commands.add_parser("worker", help="run background jobs (separate process with external engines)")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"nexus: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc

    from app.core.observability import configure_logging

    configure_logging(settings.server.log_level, json_logs=settings.server.is_production)
    if args.command == "run":
        _run(settings, args.host, args.port)
    elif args.command == "user":
        asyncio.run(
            _with_engines(settings, "user", email=args.email, password=args.password, org=args.org, role=args.role)
        )
    else:
        asyncio.run(_with_engines(settings, args.command))


if __name__ == "__main__":
    main()
