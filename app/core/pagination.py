"""API.md lists: `{"items": [...], "next_cursor": "..." | null}` with keyset cursors.

A cursor is the (created_at, id) of the last item, opaque to clients. Keyset paging stays
fast on deep pages and stable while rows are inserted, unlike OFFSET.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Generic, TypeVar

import msgspec

from app.core.errors import ApiError

T = TypeVar("T")


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class Cursor(msgspec.Struct, array_like=True):
    created_at: datetime
    id: str


def encode_cursor(created_at: datetime, row_id: Any) -> str:
    raw = msgspec.json.encode(Cursor(created_at, str(row_id)))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Cursor | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return msgspec.json.decode(raw, type=Cursor)
    except (ValueError, msgspec.DecodeError) as exc:
        raise ApiError(400, "invalid_cursor", "The cursor is not one this API issued.") from exc


def keyset(sql: str, params: list[Any], limit: int, after: Cursor | None) -> tuple[str, list[Any]]:
    """`sql` (ending in its WHERE conditions) continued past `after`, newest first, with one
    row more than `limit` so page_of can tell whether another page follows."""
    if after is not None:
        sql += " AND (created_at, id) < (%s, %s)"
        params = [*params, after.created_at, after.id]
    return sql + " ORDER BY created_at DESC, id DESC LIMIT %s", [*params, limit + 1]


def page_of(rows: list[dict[str, Any]], limit: int, convert: Any) -> Page[Any]:
    """Rows fetched with LIMIT limit+1, newest first → a Page with the next cursor."""
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more and rows else None
    return Page(items=[convert(row) for row in rows], next_cursor=cursor)
