"""Typed settings read once from the environment.

One frozen msgspec struct per concern. A secret can come from `NAME` or from a file
named by `NAME_FILE` (Docker/Kubernetes secrets). Anything malformed fails at start-up
with a message naming the variable, never later at first use.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import msgspec


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


class ServerSettings(msgspec.Struct, frozen=True):
    host: str = "127.0.0.1"
    port: int = 8000
    environment: str = "development"
    log_level: str = "INFO"
    public_url: str = ""
    # Demo applications with synthetic traffic in the admin's organisation (app/domain/demo).
    demo: bool = True
    migrate_on_start: bool = True
    trusted_proxies: str = "127.0.0.1"

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


class DataSettings(msgspec.Struct, frozen=True):
    data_dir: Path = Path(".nexus")


class PostgresSettings(msgspec.Struct, frozen=True):
    url: str | None = None
    pool_min: int = 1
    pool_max: int = 10


class RedisSettings(msgspec.Struct, frozen=True):
    url: str | None = None


# Embedded engine: memory for decompressed blocks read again and again (see ChDBStore).
BLOCK_CACHE_MB = 512


class ClickHouseSettings(msgspec.Struct, frozen=True):
    url: str | None = None
    cluster: str | None = None
    retention_days: int = 395
    block_cache_mb: int = BLOCK_CACHE_MB


class SecuritySettings(msgspec.Struct, frozen=True):
    secret_key: str
    encryption_keys: tuple[str, ...]
    access_token_ttl_s: int = 900
    session_ttl_s: int = 8 * 3600
    login_attempts: int = 5
    login_window_s: int = 300


class RateLimitSettings(msgspec.Struct, frozen=True):
    requests: int = 600
    window_s: int = 60
    enabled: bool = True


class IngestSettings(msgspec.Struct, frozen=True):
    flush_rows: int = 10_000
    flush_interval_ms: int = 50
    max_pending_rows: int = 200_000


class WorkerSettings(msgspec.Struct, frozen=True):
    # Run background jobs inside the web process. Embedded engines are one process, so
    # they always do; with external engines `nexus worker` normally runs them instead.
    inprocess: bool = True
    # Periodic work (insight evaluation, health checks); tests turn it off and call ticks directly.
    schedules: bool = True
    concurrency: int = 8
    insight_interval_s: int = 60
    health_interval_s: int = 300


class OutboundSettings(msgspec.Struct, frozen=True):
    """Requests to user-supplied URLs (webhooks, discovery): see app/core/outbound.py."""

    # Hosts or CIDRs that may be private, loopback or link-local (API.md).
    allowlist: tuple[str, ...] = ()
    timeout_s: float = 10.0
    max_response_bytes: int = 10 * 1024 * 1024
    per_host_concurrency: int = 4
    per_host_rate: int = 20  # requests per second


class WebhookSettings(msgspec.Struct, frozen=True):
    """Delivery retries (app/domain/webhooks/delivery.py): exponential steps from the base, full jitter."""

    # The first retry step; tests set a few milliseconds so a retry happens at once.
    retry_base_ms: int = 5_000
    # A message is given up this long after it was first sent.
    max_age_h: int = 24


class AdminSettings(msgspec.Struct, frozen=True):
    email: str = "admin@nexus.local"
    password: str | None = None
    org_name: str = "Demo"


class Settings(msgspec.Struct, frozen=True):
    server: ServerSettings
    data: DataSettings
    postgres: PostgresSettings
    redis: RedisSettings
    clickhouse: ClickHouseSettings
    security: SecuritySettings
    rate_limit: RateLimitSettings
    ingest: IngestSettings
    worker: WorkerSettings
    outbound: OutboundSettings
    webhooks: WebhookSettings
    admin: AdminSettings


def _read(env: Mapping[str, str], name: str) -> str | None:
    """`NAME`, else the contents of the file named by `NAME_FILE`, else None."""
    value = env.get(name)
    if value:
        return value
    path = env.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise SettingsError(f"{name}_FILE points at {path!r}, which cannot be read: {exc}") from exc
    return None


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _list(raw: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (raw or "").split(",") if item.strip())


def persistent_secret(data_dir: Path, name: str, make: str) -> str:
    """A development secret kept in the data dir so restarts keep sessions and data readable.

    Production must set the secret explicitly; see `load_settings`.
    """
    path = data_dir / "secrets" / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = make
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _check_fernet_keys(keys: tuple[str, ...]) -> None:
    from cryptography.fernet import Fernet

    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError as exc:
            raise SettingsError(
                f"NEXUS_ENCRYPTION_KEYS entry {position} is not a Fernet key (32 url-safe base64 bytes)"
            ) from exc


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from `env` (default `os.environ`); raise SettingsError on bad input."""
    env = os.environ if env is None else env
    server = ServerSettings(
        host=env.get("HOST", "127.0.0.1"),
        port=_int(env, "PORT", 8000, minimum=1),
        environment=env.get("NEXUS_ENV", "development"),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        public_url=env.get("NEXUS_PUBLIC_URL", "").rstrip("/"),
        demo=_bool(env, "NEXUS_DEMO", True),
        migrate_on_start=_bool(env, "NEXUS_MIGRATE_ON_START", True),
        trusted_proxies=env.get("NEXUS_TRUSTED_PROXIES") or "127.0.0.1",
    )
    if server.environment not in {"development", "test", "production"}:
        raise SettingsError(f"NEXUS_ENV must be development, test or production, got {server.environment!r}")
    data = DataSettings(data_dir=Path(env.get("NEXUS_DATA_DIR", ".nexus")).resolve())

    secret_key = _read(env, "NEXUS_SECRET_KEY")
    encryption_raw = _read(env, "NEXUS_ENCRYPTION_KEYS")
    if server.is_production:
        # Production never invents secrets or falls back to embedded engines, whose data
        # would live in a container's throwaway disk.
        required = (
            "NEXUS_SECRET_KEY",
            "NEXUS_ENCRYPTION_KEYS",
            "NEXUS_ADMIN_PASSWORD",
            "DATABASE_URL",
            "REDIS_URL",
            "CLICKHOUSE_URL",
        )
        missing = [name for name in required if not _read(env, name)]
        if missing:
            raise SettingsError(f"NEXUS_ENV=production requires {', '.join(missing)}")
    if secret_key is None:
        secret_key = persistent_secret(data.data_dir, "secret_key", secrets.token_urlsafe(48))
    if len(secret_key) < 32:
        raise SettingsError("NEXUS_SECRET_KEY must be at least 32 characters")
    encryption_keys = _list(encryption_raw) or (persistent_secret(data.data_dir, "encryption_key", _fernet_key()),)
    _check_fernet_keys(encryption_keys)

    security = SecuritySettings(
        secret_key=secret_key,
        encryption_keys=encryption_keys,
        access_token_ttl_s=_int(env, "NEXUS_ACCESS_TOKEN_TTL", 900, minimum=60),
        session_ttl_s=_int(env, "NEXUS_SESSION_TTL", 8 * 3600, minimum=300),
        login_attempts=_int(env, "NEXUS_LOGIN_ATTEMPTS", 5, minimum=1),
        login_window_s=_int(env, "NEXUS_LOGIN_WINDOW", 300, minimum=1),
    )
    return Settings(
        server=server,
        data=data,
        postgres=PostgresSettings(
            url=_read(env, "DATABASE_URL"),
            pool_min=_int(env, "DATABASE_POOL_MIN", 1, minimum=1),
            pool_max=_int(env, "DATABASE_POOL_MAX", 10, minimum=1),
        ),
        redis=RedisSettings(url=_read(env, "REDIS_URL")),
        clickhouse=ClickHouseSettings(
            url=_read(env, "CLICKHOUSE_URL"),
            cluster=env.get("CLICKHOUSE_CLUSTER") or None,
            retention_days=_int(env, "NEXUS_RETENTION_DAYS", 395, minimum=1),
            block_cache_mb=_int(env, "NEXUS_CLICKHOUSE_BLOCK_CACHE_MB", BLOCK_CACHE_MB, minimum=0),
        ),
        security=security,
        rate_limit=RateLimitSettings(
            requests=_int(env, "NEXUS_RATE_LIMIT", 600, minimum=1),
            window_s=_int(env, "NEXUS_RATE_LIMIT_WINDOW", 60, minimum=1),
            enabled=_bool(env, "NEXUS_RATE_LIMIT_ENABLED", True),
        ),
        ingest=IngestSettings(
            flush_rows=_int(env, "NEXUS_INGEST_FLUSH_ROWS", 10_000, minimum=1),
            flush_interval_ms=_int(env, "NEXUS_INGEST_FLUSH_INTERVAL_MS", 50, minimum=1),
            max_pending_rows=_int(env, "NEXUS_INGEST_MAX_PENDING_ROWS", 200_000, minimum=1),
        ),
        worker=WorkerSettings(
            inprocess=_bool(env, "NEXUS_WORKER_INPROCESS", not _read(env, "REDIS_URL")),
            schedules=_bool(env, "NEXUS_WORKER_SCHEDULES", True),
            concurrency=_int(env, "NEXUS_WORKER_CONCURRENCY", 8, minimum=1),
            insight_interval_s=_int(env, "NEXUS_INSIGHT_INTERVAL", 60, minimum=1),
            health_interval_s=_int(env, "NEXUS_HEALTH_INTERVAL", 300, minimum=5),
        ),
        outbound=OutboundSettings(
            allowlist=_list(env.get("NEXUS_OUTBOUND_ALLOWLIST")),
            timeout_s=float(_int(env, "NEXUS_OUTBOUND_TIMEOUT", 10, minimum=1)),
            max_response_bytes=_int(env, "NEXUS_OUTBOUND_MAX_BYTES", 10 * 1024 * 1024, minimum=1024),
            per_host_concurrency=_int(env, "NEXUS_OUTBOUND_HOST_CONCURRENCY", 4, minimum=1),
            per_host_rate=_int(env, "NEXUS_OUTBOUND_HOST_RATE", 20, minimum=1),
        ),
        webhooks=WebhookSettings(
            retry_base_ms=_int(env, "NEXUS_WEBHOOK_RETRY_BASE_MS", 5_000, minimum=1),
            max_age_h=_int(env, "NEXUS_WEBHOOK_MAX_AGE_H", 24, minimum=1),
        ),
        admin=AdminSettings(
            email=env.get("NEXUS_ADMIN_EMAIL", "admin@nexus.local").strip().lower(),
            password=_read(env, "NEXUS_ADMIN_PASSWORD"),
            org_name=env.get("NEXUS_ORG_NAME", "Demo"),
        ),
    )
