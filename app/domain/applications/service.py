"""Applications rules: creation with an ingest key, edits, key rotation, deletion.

Every change runs in one transaction together with its audit-log entry.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from psycopg import AsyncConnection, errors

from app.core import audit, crypto
from app.core.auth import Principal
from app.core.crypto import SecretBox
from app.core.errors import ApiError
from app.domain.applications import queries
from app.domain.applications.schemas import Application

Conn = AsyncConnection[Any]
Request = ASGIConnection[Any, Any, Any, Any] | None  # None: the platform itself acts (demo, CLI)
INGEST_KEY_KIND = "nk"


def to_application(row: dict[str, Any], box: SecretBox) -> Application:
    """Ingest keys are write-only and meant to ship in browser snippets, so the UI may show
    them again: they are kept encrypted (for display) beside their digest (for lookup)."""
    fields = {k: v for k, v in row.items() if k != "ingest_key_encrypted"}
    return msgspec.convert({**fields, "ingest_key": box.decrypt(row["ingest_key_encrypted"])}, Application)


def _new_ingest_key(box: SecretBox) -> tuple[str, str, bytes, str]:
    key, prefix = crypto.new_token(INGEST_KEY_KIND, 24)
    return key, prefix, crypto.digest(key), box.encrypt(key)


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "No such application.")


def _name_taken() -> ApiError:
    return ApiError(409, "name_taken", "Your organisation already has an application with this name.")


async def get(conn: Conn, principal: Principal, app_id: str) -> dict[str, Any]:
    row = await queries.get(conn, principal.org_id, app_id)
    if row is None:
        raise _not_found()
    return row


async def create(
    conn: Conn, box: SecretBox, principal: Principal, fields: dict[str, Any], request: Request
) -> dict[str, Any]:
    _, prefix, key_hash, encrypted = _new_ingest_key(box)
    try:
        async with conn.transaction():
            row = await queries.create(conn, principal.org_id, fields, prefix, key_hash, encrypted)
            details = {"name": fields["name"], "type": fields["type"]}
            await audit.record(conn, principal, "application.created", "application", row["id"], request, details)
    except errors.UniqueViolation as exc:
        raise _name_taken() from exc
    return row


async def update(
    conn: Conn, principal: Principal, app_id: str, changes: dict[str, Any], request: Request
) -> dict[str, Any]:
    try:
        async with conn.transaction():
            row = await queries.update(conn, principal.org_id, app_id, changes)
            if row is None:
                raise _not_found()
            await audit.record(conn, principal, "application.updated", "application", app_id, request, changes)
    except errors.UniqueViolation as exc:
        raise _name_taken() from exc
    return row


async def delete(conn: Conn, principal: Principal, app_id: str, request: Request) -> None:
    async with conn.transaction():
        if not await queries.delete(conn, principal.org_id, app_id):
            raise _not_found()
        await audit.record(conn, principal, "application.deleted", "application", app_id, request)


async def rotate_ingest_key(conn: Conn, box: SecretBox, principal: Principal, app_id: str, request: Request) -> str:
    """The old key stops working within seconds (ingestion caches keys briefly)."""
    key, prefix, key_hash, encrypted = _new_ingest_key(box)
    async with conn.transaction():
        if not await queries.set_ingest_key(conn, principal.org_id, app_id, prefix, key_hash, encrypted):
            raise _not_found()
        await audit.record(conn, principal, "application.ingest_key_rotated", "application", app_id, request)
    return key
