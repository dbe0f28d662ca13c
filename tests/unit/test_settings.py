from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from app.settings import SettingsError, load_settings


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"NEXUS_DATA_DIR": str(tmp_path), **extra}


def test_defaults_are_embedded_and_generate_persistent_dev_secrets(tmp_path: Path) -> None:
    first = load_settings(_env(tmp_path))
    second = load_settings(_env(tmp_path))
    assert (first.postgres.url, first.redis.url, first.clickhouse.url) == (None, None, None)
    assert first.server.port == 8000
    assert first.clickhouse.block_cache_mb == 512
    assert load_settings(_env(tmp_path, NEXUS_CLICKHOUSE_BLOCK_CACHE_MB="0")).clickhouse.block_cache_mb == 0
    assert first.security.secret_key == second.security.secret_key
    assert first.security.encryption_keys == second.security.encryption_keys
    assert (tmp_path / "secrets" / "secret_key").stat().st_mode & 0o077 == 0


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("s" * 40 + "\n")
    settings = load_settings(_env(tmp_path, NEXUS_SECRET_KEY_FILE=str(secret_file)))
    assert settings.security.secret_key == "s" * 40


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"PORT": "eighty"}, "PORT must be a whole number"),
        ({"PORT": "0"}, "PORT must be at least 1"),
        ({"NEXUS_ENV": "staging"}, "NEXUS_ENV must be"),
        ({"NEXUS_SECRET_KEY": "short"}, "at least 32 characters"),
        ({"NEXUS_ENCRYPTION_KEYS": "not-a-key"}, "entry 1 is not a Fernet key"),
        ({"NEXUS_RATE_LIMIT_ENABLED": "maybe"}, "must be true or false"),
        ({"NEXUS_CLICKHOUSE_BLOCK_CACHE_MB": "-1"}, "NEXUS_CLICKHOUSE_BLOCK_CACHE_MB must be at least 0"),
        ({"NEXUS_SECRET_KEY_FILE": "/nonexistent/secret"}, "cannot be read"),
        ({"NEXUS_ENV": "production"}, "requires NEXUS_SECRET_KEY, NEXUS_ENCRYPTION_KEYS, NEXUS_ADMIN_PASSWORD"),
    ],
)
def test_bad_settings_fail_fast_naming_the_variable(tmp_path: Path, extra: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(_env(tmp_path, **extra))


def test_production_with_everything_set(tmp_path: Path) -> None:
    settings = load_settings(
        _env(
            tmp_path,
            NEXUS_ENV="production",
            NEXUS_SECRET_KEY="k" * 40,
            NEXUS_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}",
            NEXUS_ADMIN_PASSWORD="a-strong-password",
            DATABASE_URL="postgresql://db/nexus",
            REDIS_URL="redis://cache:6379/0",
            CLICKHOUSE_URL="http://ch:8123/nexus",
        )
    )
    assert settings.server.is_production
    assert len(settings.security.encryption_keys) == 2
    assert not (tmp_path / "secrets").exists()
