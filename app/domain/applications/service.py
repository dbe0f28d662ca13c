"""Applications rules: creation with an ingest key, edits, key rotation."""

from __future__ import annotations

from typing import Any

import msgspec
from psycopg import AsyncConnection, errors

from app.core import crypto
from app.core.crypto import SecretBox
from app.core.errors import ApiError
from app.domain.applications import queries
from app.domain.applications.schemas import Application

Conn = AsyncConnection[Any]
INGEST_KEY_KIND = "nk"


def to_application(row: dict[str, Any], box: SecretBox) -> Application:
    """Ingest keys are write-only and meant to ship in browser snippets, so the UI may show
    them again: they are kept encrypted (for display) beside their digest (for lookup)."""
    fields = {k: v for k, v in row.items() if k != "ingest_key_encrypted"}
    return msgspec.convert({**fields, "ingest_key": box.decrypt(row["ingest_key_encrypted"])}, Application)


def _new_ingest_key(box: SecretBox) -> tuple[str, str, bytes, str]:
    key, prefix = crypto.new_token(INGEST_KEY_KIND, 24)
    return key, prefix, crypto.digest(key), box.encrypt(key)


def _name_taken() -> ApiError:
    return ApiError(409, "name_taken", "Your organisation already has an application with this name.")


async def create(conn: Conn, box: SecretBox, org_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    _, prefix, key_hash, encrypted = _new_ingest_key(box)
    try:
        async with conn.transaction():
            return await queries.create(conn, org_id, fields, prefix, key_hash, encrypted)
    except errors.UniqueViolation as exc:
        raise _name_taken() from exc


async def update(conn: Conn, org_id: str, app_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    try:
        async with conn.transaction():
            row = await queries.update(conn, org_id, app_id, changes)
    except errors.UniqueViolation as exc:
        raise _name_taken() from exc
    if row is None:
        raise ApiError(404, "not_found", "No such application.")
    return row


async def rotate_ingest_key(conn: Conn, box: SecretBox, org_id: str, app_id: str) -> str:
    """The old key stops working at once; clients must switch to the returned one."""
    key, prefix, key_hash, encrypted = _new_ingest_key(box)
    if not await queries.set_ingest_key(conn, org_id, app_id, prefix, key_hash, encrypted):
        raise ApiError(404, "not_found", "No such application.")
    return key
