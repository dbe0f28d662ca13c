"""SQL for organisations, users and API keys. Every tenant query takes the org id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.sql import Composed

from app.core.pagination import Cursor, keyset
from app.core.sql import set_clause

Row = dict[str, Any]
Conn = AsyncConnection[Any]

_PRINCIPAL = """
    SELECT u.id::text AS user_id, u.org_id::text AS org_id, o.name AS org_name,
           u.email, u.name, u.role
      FROM users u JOIN organizations o ON o.id = u.org_id
     WHERE u.is_active AND u.password_hash IS NOT NULL"""

USER_UPDATABLE = frozenset({"role", "name"})
_USER_COLUMNS = """id::text AS id, email, name, role, is_active, last_login_at, created_at,
                   (password_hash IS NULL) AS invite_pending"""


async def _one(conn: Conn, sql: str | Composed, params: Any = ()) -> Row | None:
    cursor = await conn.execute(sql, params)
    return await cursor.fetchone()


async def _all(conn: Conn, sql: str, params: Any = ()) -> list[Row]:
    cursor = await conn.execute(sql, params)
    return await cursor.fetchall()


# --- organisations -----------------------------------------------------------------


async def create_organization(conn: Conn, name: str, slug: str) -> Row:
    row = await _one(
        conn,
        "INSERT INTO organizations (name, slug) VALUES (%s, %s) RETURNING id::text AS id, name, slug, plan, created_at",
        (name, slug),
    )
    assert row is not None
    return row


async def get_organization(conn: Conn, org_id: str) -> Row | None:
    return await _one(
        conn, "SELECT id::text AS id, name, slug, plan, created_at FROM organizations WHERE id = %s", (org_id,)
    )


async def rename_organization(conn: Conn, org_id: str, name: str) -> Row | None:
    return await _one(
        conn,
        "UPDATE organizations SET name = %s WHERE id = %s RETURNING id::text AS id, name, slug, plan, created_at",
        (name, org_id),
    )


async def slug_taken(conn: Conn, slug: str) -> bool:
    return await _one(conn, "SELECT 1 FROM organizations WHERE slug = %s", (slug,)) is not None


# --- users ---------------------------------------------------------------------------


async def find_login(conn: Conn, email: str) -> Row | None:
    """The user a sign-in names, across organisations (emails are globally unique)."""
    return await _one(
        conn,
        """SELECT id::text AS id, org_id::text AS org_id, password_hash, is_active
             FROM users WHERE lower(email) = lower(%s)""",
        (email,),
    )


async def principal_row(conn: Conn, user_id: str, org_id: str | None = None) -> Row | None:
    if org_id is None:
        return await _one(conn, _PRINCIPAL + " AND u.id = %s", (user_id,))
    return await _one(conn, _PRINCIPAL + " AND u.id = %s AND u.org_id = %s", (user_id, org_id))


async def create_user(
    conn: Conn,
    org_id: str,
    email: str,
    name: str,
    role: str,
    password_hash: str | None,
    invite_hash: bytes | None = None,
    invite_expires_at: datetime | None = None,
) -> Row:
    row = await _one(
        conn,
        f"""INSERT INTO users (org_id, email, name, role, password_hash, invite_token_hash, invite_expires_at)
            VALUES (%s, lower(%s), %s, %s, %s, %s, %s) RETURNING {_USER_COLUMNS}""",
        (org_id, email, name, role, password_hash, invite_hash, invite_expires_at),
    )
    assert row is not None
    return row


async def email_exists(conn: Conn, email: str) -> bool:
    return await _one(conn, "SELECT 1 FROM users WHERE lower(email) = lower(%s)", (email,)) is not None


async def list_users(conn: Conn, org_id: str) -> list[Row]:
    return await _all(conn, f"SELECT {_USER_COLUMNS} FROM users WHERE org_id = %s ORDER BY created_at", (org_id,))


async def get_user(conn: Conn, org_id: str, user_id: str) -> Row | None:
    return await _one(conn, f"SELECT {_USER_COLUMNS} FROM users WHERE org_id = %s AND id = %s", (org_id, user_id))


async def update_user(conn: Conn, org_id: str, user_id: str, changes: dict[str, Any]) -> Row | None:
    if not changes:
        return await get_user(conn, org_id, user_id)
    statement = sql.SQL("UPDATE users SET {} WHERE org_id = %s AND id = %s RETURNING ").format(
        set_clause(changes, USER_UPDATABLE)
    ) + sql.SQL(_USER_COLUMNS)
    return await _one(conn, statement, (*changes.values(), org_id, user_id))


async def delete_user(conn: Conn, org_id: str, user_id: str) -> bool:
    cursor = await conn.execute("DELETE FROM users WHERE org_id = %s AND id = %s", (org_id, user_id))
    return cursor.rowcount == 1


async def lock_owners(conn: Conn, org_id: str) -> int:
    """Lock the organisation's active owners until the transaction ends, and count them."""
    rows = await _all(
        conn, "SELECT id FROM users WHERE org_id = %s AND role = 'owner' AND is_active FOR UPDATE", (org_id,)
    )
    return len(rows)


async def record_login(conn: Conn, user_id: str) -> None:
    await conn.execute("UPDATE users SET last_login_at = now() WHERE id = %s", (user_id,))


async def find_invite(conn: Conn, invite_hash: bytes) -> Row | None:
    return await _one(
        conn,
        """SELECT id::text AS id, org_id::text AS org_id, email, name FROM users
            WHERE invite_token_hash = %s AND invite_expires_at > now() AND password_hash IS NULL""",
        (invite_hash,),
    )


async def accept_invite(conn: Conn, user_id: str, name: str, password_hash: str) -> None:
    await conn.execute(
        """UPDATE users SET name = %s, password_hash = %s, invite_token_hash = NULL, invite_expires_at = NULL
            WHERE id = %s""",
        (name, password_hash, user_id),
    )


# --- API keys ------------------------------------------------------------------------

_KEY_COLUMNS = "id::text AS id, name, prefix, scopes, created_at, last_used_at, revoked_at"


async def create_api_key(
    conn: Conn, org_id: str, user_id: str, name: str, prefix: str, key_hash: bytes, scopes: list[str]
) -> Row:
    row = await _one(
        conn,
        f"""INSERT INTO api_keys (org_id, user_id, name, prefix, key_hash, scopes)
            VALUES (%s, %s, %s, %s, %s, %s) RETURNING {_KEY_COLUMNS}""",
        (org_id, user_id, name, prefix, key_hash, scopes),
    )
    assert row is not None
    return row


async def list_api_keys(
    conn: Conn, org_id: str, user_id: str | None, limit: int, after: Cursor | None = None
) -> list[Row]:
    """Newest first; `user_id` None lists the whole organisation's keys (admins)."""
    sql = f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE org_id = %s"
    params: list[Any] = [org_id]
    if user_id is not None:
        sql += " AND user_id = %s"
        params.append(user_id)
    return await _all(conn, *keyset(sql, params, limit, after))


async def key_for_auth(conn: Conn, prefix: str) -> Row | None:
    return await _one(
        conn,
        """SELECT id::text AS id, user_id::text AS user_id, org_id::text AS org_id, key_hash, scopes,
                  last_used_at, (revoked_at IS NOT NULL OR coalesce(expires_at < now(), false)) AS dead
             FROM api_keys WHERE prefix = %s""",
        (prefix,),
    )


async def touch_api_key(conn: Conn, key_id: str) -> None:
    await conn.execute("UPDATE api_keys SET last_used_at = now() WHERE id = %s", (key_id,))


async def revoke_api_key(conn: Conn, org_id: str, key_id: str, user_id: str | None) -> Row | None:
    sql = "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE org_id = %s AND id = %s"
    params: list[Any] = [org_id, key_id]
    if user_id is not None:
        sql += " AND user_id = %s"
        params.append(user_id)
    return await _one(conn, sql + f" RETURNING {_KEY_COLUMNS}", params)
