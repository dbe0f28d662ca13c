"""Connections rules: validation, encrypted credentials, masking, and the decrypted target.

Credentials (tokens, passwords, a database DSN) are one JSON object encrypted with the
SecretBox; they leave this module only inside a `ConnectionTarget` (for outbound work) or
masked inside a `Connection` (for people). Audit entries name the fields, never the values.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from psycopg import AsyncConnection

from app.core import audit
from app.core.auth import Principal
from app.core.crypto import SecretBox
from app.core.errors import ApiError
from app.domain.applications import queries as app_queries
from app.domain.connections import queries
from app.domain.connections.schemas import Connection, ConnectionTarget, mask

Conn = AsyncConnection[Any]
Request = ASGIConnection[Any, Any, Any, Any] | None

# The credential fields each auth type needs; the optional ones may be present too.
REQUIRED = {
    "bearer": ("token",),
    "api_key": ("key",),
    "basic": ("username", "password"),
    "oauth": ("token_url", "client_id", "client_secret"),
}
OPTIONAL = {"api_key": ("header", "query"), "oauth": ("scope",)}
DSN_SCHEMES = ("postgres://", "postgresql://", "mysql://")


def _invalid(message: str, key: str) -> ApiError:
    return ApiError(400, "invalid_connection", message, [{"key": key, "message": message}])


def not_found() -> ApiError:
    return ApiError(404, "not_found", "No such connection.")


def decrypt_credentials(box: SecretBox, row: dict[str, Any]) -> dict[str, Any]:
    token = row.get("credentials_encrypted")
    if not token:
        return {}
    decoded = json.loads(box.decrypt(token))
    return decoded if isinstance(decoded, dict) else {}


def to_connection(row: dict[str, Any], box: SecretBox) -> Connection:
    fields = {k: v for k, v in row.items() if k not in {"credentials_encrypted", "org_id"}}
    return msgspec.convert({**fields, "credentials": mask(decrypt_credentials(box, row))}, Connection)


def to_target(row: dict[str, Any], box: SecretBox) -> ConnectionTarget:
    return ConnectionTarget(
        id=row["id"],
        org_id=row["org_id"],
        app_id=row["app_id"],
        type=row["type"],
        name=row["name"],
        base_url=row["base_url"],
        auth_type=row["auth_type"],
        credentials=decrypt_credentials(box, row),
        config=row["config"] or {},
    )


async def load_target(conn: Conn, box: SecretBox, org_id: str, connection_id: str) -> ConnectionTarget | None:
    """The connection with its credentials decrypted, for discovery, health checks and adapters."""
    row = await queries.get(conn, org_id, connection_id)
    return None if row is None else to_target(row, box)


def validate(kind: str, base_url: str | None, auth_type: str | None, credentials: dict[str, Any]) -> None:
    """Raise a 400 naming the first field that does not fit the connection's type and auth."""
    if kind == "database":
        dsn = credentials.get("dsn")
        if not isinstance(dsn, str) or not dsn.startswith(DSN_SCHEMES):
            raise _invalid("A database connection needs a dsn starting with postgresql:// or mysql://.", "dsn")
        return
    if not base_url:
        raise _invalid(f"A {kind} connection needs a base_url.", "base_url")
    if auth_type in (None, "none"):
        return
    for name in REQUIRED[auth_type]:
        value = credentials.get(name)
        if not isinstance(value, str) or not value:
            raise _invalid(f"{auth_type} auth needs credentials.{name}.", f"credentials.{name}")
    allowed = set(REQUIRED[auth_type]) | set(OPTIONAL.get(auth_type, ()))
    unknown = sorted(set(credentials) - allowed)
    if unknown:
        raise _invalid(f"{auth_type} auth does not use credentials.{unknown[0]}.", f"credentials.{unknown[0]}")


def _credentials_of(data: dict[str, Any]) -> dict[str, Any]:
    credentials = dict(data.get("credentials") or {})
    if data.get("dsn"):
        credentials["dsn"] = data["dsn"]
    return credentials


async def _app_exists(conn: Conn, org_id: str, app_id: str) -> None:
    if await app_queries.get(conn, org_id, app_id) is None:
        raise ApiError(404, "not_found", "No such application.")


async def get(conn: Conn, principal: Principal, connection_id: str) -> dict[str, Any]:
    row = await queries.get(conn, principal.org_id, connection_id)
    if row is None:
        raise not_found()
    return row


async def list_for_app(conn: Conn, principal: Principal, app_id: str) -> list[dict[str, Any]]:
    await _app_exists(conn, principal.org_id, app_id)
    return await queries.list_for_app(conn, principal.org_id, app_id)


async def create(
    conn: Conn, box: SecretBox, principal: Principal, app_id: str, data: dict[str, Any], request: Request
) -> dict[str, Any]:
    credentials = _credentials_of(data)
    auth_type = data.get("auth_type") if data["type"] != "database" else None
    validate(data["type"], data.get("base_url"), auth_type, credentials)
    fields = {
        "name": data.get("name") or _default_name(data),
        "type": data["type"],
        "base_url": data.get("base_url") if data["type"] != "database" else None,
        "auth_type": auth_type,
        "credentials_encrypted": box.encrypt(json.dumps(credentials)) if credentials else None,
        "config": data.get("config") or {},
    }
    async with conn.transaction():
        await _app_exists(conn, principal.org_id, app_id)
        row = await queries.create(conn, principal.org_id, app_id, fields)
        details = {"type": fields["type"], "auth_type": auth_type, "credential_fields": sorted(credentials)}
        await audit.record(conn, principal, "connection.created", "connection", row["id"], request, details)
    return row


async def update(
    conn: Conn, box: SecretBox, principal: Principal, connection_id: str, data: dict[str, Any], request: Request
) -> dict[str, Any]:
    async with conn.transaction():
        current = await get(conn, principal, connection_id)
        credentials = decrypt_credentials(box, current)
        if "credentials" in data:
            credentials = _credentials_of({"credentials": data["credentials"]})
            if current["type"] == "database" and "dsn" not in credentials:
                credentials["dsn"] = decrypt_credentials(box, current).get("dsn")
        if data.get("dsn"):
            credentials["dsn"] = data["dsn"]
        base_url = data.get("base_url", current["base_url"])
        auth_type = data.get("auth_type", current["auth_type"])
        validate(current["type"], base_url, auth_type if current["type"] != "database" else None, credentials)
        changes = {k: v for k, v in data.items() if k in {"name", "base_url", "auth_type", "config"}}
        if "credentials" in data or "dsn" in data:
            changes["credentials_encrypted"] = box.encrypt(json.dumps(credentials)) if credentials else None
        row = await queries.update(conn, principal.org_id, connection_id, changes)
        if row is None:
            raise not_found()
        details: dict[str, Any] = {"fields": sorted(k for k in data if k not in {"credentials", "dsn"})}
        if "credentials" in data or "dsn" in data:
            details["credentials_changed"] = True
        await audit.record(conn, principal, "connection.updated", "connection", connection_id, request, details)
    return row


async def delete(conn: Conn, principal: Principal, connection_id: str, request: Request) -> None:
    async with conn.transaction():
        if not await queries.delete(conn, principal.org_id, connection_id):
            raise not_found()
        await audit.record(conn, principal, "connection.deleted", "connection", connection_id, request)


def _default_name(data: dict[str, Any]) -> str:
    labels = {"rest_api": "REST API", "graphql": "GraphQL API", "database": "Database", "grpc": "gRPC service"}
    return labels[data["type"]]
