"""Small SQL helpers shared by the domains' query modules."""

from __future__ import annotations

from collections.abc import Iterable

from psycopg import sql


def set_clause(columns: Iterable[str], allowed: frozenset[str]) -> sql.Composed:
    """`a = %s, b = %s` for an UPDATE; only allow-listed columns, quoted as identifiers."""
    names = list(columns)
    unknown = set(names) - allowed
    if unknown:
        raise ValueError(f"not updatable: {', '.join(sorted(unknown))}")
    return sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(name)) for name in names)
