"""`nexus rotate-key`: re-encrypt every stored secret under the newest encryption key.

Put the new key first in NEXUS_ENCRYPTION_KEYS (keeping the old one after it), run this,
then drop the old key. Each table is rewritten in one transaction.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection, sql

from app.core.crypto import SecretBox

# (table, primary key, encrypted column): every secret the platform stores at rest.
ENCRYPTED_COLUMNS = (
    ("applications", "id", "ingest_key_encrypted"),
    ("connections", "id", "credentials_encrypted"),
    ("embedding_settings", "org_id", "secret_encrypted"),
    ("webhooks", "id", "secret_encrypted"),
)


async def rotate_all(conn: AsyncConnection[Any], keys: tuple[str, ...]) -> dict[str, int]:
    box = SecretBox(keys)
    counts = {}
    for table, key, column in ENCRYPTED_COLUMNS:
        select = sql.SQL("SELECT {key} AS k, {col} AS v FROM {table} WHERE {col} IS NOT NULL FOR UPDATE").format(
            key=sql.Identifier(key), col=sql.Identifier(column), table=sql.Identifier(table)
        )
        update = sql.SQL("UPDATE {table} SET {col} = %s WHERE {key} = %s").format(
            key=sql.Identifier(key), col=sql.Identifier(column), table=sql.Identifier(table)
        )
        async with conn.transaction():
            rows = await (await conn.execute(select)).fetchall()
            for row in rows:
                await conn.execute(update, (box.rotate(row["v"]), row["k"]))
        counts[table] = len(rows)
    return counts
