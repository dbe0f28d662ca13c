"""Connections: the API shapes (API.md "Connections and discovery") and the decrypted target.

`ConnectionTarget` is what discovery, health checks and adapters work with: it carries the
DECRYPTED credentials and never leaves the server. `Connection` is what the API and pages
show: the same connection with every credential value masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

ConnectionType = Literal["rest_api", "graphql", "database", "grpc"]
AuthType = Literal["bearer", "api_key", "oauth", "basic", "none"]
Name = Annotated[str, msgspec.Meta(max_length=120)]
BaseUrl = Annotated[str, msgspec.Meta(max_length=2048, pattern=r"^(https?|grpcs?)://[^\s/$.?#][^\s]*$")]
Dsn = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
Credentials = Annotated[dict[str, Any], msgspec.Meta(max_length=20)]
Config = Annotated[dict[str, Any], msgspec.Meta(max_length=50)]

MASK = "••••••"


def mask_value(value: Any) -> str:
    """Enough of a secret to recognise it (its last two characters), never enough to use it.
    Short values show nothing: two characters of a six-character PIN are a third of it."""
    if isinstance(value, str) and len(value) >= 8:
        return "••••" + value[-2:]
    return MASK


def mask(credentials: dict[str, Any]) -> dict[str, str]:
    return {key: mask_value(value) for key, value in credentials.items()}


class ConnectionTarget(msgspec.Struct, kw_only=True):
    id: str
    org_id: str
    app_id: str
    type: str
    name: str
    base_url: str | None
    auth_type: str | None
    # DECRYPTED secrets ({"token"}, {"key", "header"|"query"}, {"username", "password"},
    # {"token_url", "client_id", "client_secret", "scope"}, {"dsn"}). Never returned or logged.
    credentials: dict[str, Any]
    config: dict[str, Any]


class Connection(msgspec.Struct):
    id: str
    app_id: str
    type: str
    name: str
    status: str
    base_url: str | None
    auth_type: str | None
    credentials: dict[str, str]  # masked
    config: dict[str, Any]
    last_checked_at: datetime | None
    last_latency_ms: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    # Set on create only: the discovery run that creating the connection started.
    discovery_job_id: str | None = None


class ConnectionCreate(msgspec.Struct, forbid_unknown_fields=True):
    type: ConnectionType
    name: Name | None = None
    base_url: BaseUrl | None = None
    # Database connections: stored inside the encrypted credentials, never shown.
    dsn: Dsn | None = None
    auth_type: AuthType | None = None
    credentials: Credentials | None = None
    config: Config | None = None


class ConnectionUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    base_url: BaseUrl | UnsetType | None = UNSET
    dsn: Dsn | UnsetType = UNSET
    auth_type: AuthType | UnsetType | None = UNSET
    # Replaces the stored credentials as a whole (a PATCH cannot read them back to merge).
    credentials: Credentials | UnsetType = UNSET
    config: Config | UnsetType = UNSET


class TestResult(msgspec.Struct):
    ok: bool
    latency_ms: int
    status_code: int | None = None
    error: str | None = None


class JobStarted(msgspec.Struct):
    job_id: str
