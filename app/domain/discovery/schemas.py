"""What discovery finds, before it is stored: the one shape every discoverer returns.

REST (OpenAPI documents or probing) and GraphQL introspection return `DiscoveredEndpoint`s;
database introspection returns `DiscoveredTable`s. `store.py` writes both; the API shows them
as API.md's `endpoints` and `tables` items.
"""

from __future__ import annotations

from typing import Any

import msgspec


class DiscoveredEndpoint(msgspec.Struct, kw_only=True):
    # HTTP method in capitals, or QUERY / MUTATION / SUBSCRIPTION for GraphQL operations.
    method: str
    # The path template ('/users/{id}'), or the GraphQL field name.
    path: str
    summary: str | None = None
    description: str | None = None
    # [{"name", "in": "path"|"query"|"header"|"cookie"|"argument", "required", "schema"}]
    parameters: list[dict[str, Any]] = msgspec.field(default_factory=list)
    request_schema: dict[str, Any] | None = None
    # {"<status code>": JSON Schema, ...}; probing and GraphQL use {"200": ...}.
    response_schema: dict[str, Any] | None = None
    auth_required: bool = False


class DiscoveredColumn(msgspec.Struct, kw_only=True):
    name: str
    type: str
    nullable: bool
    default: str | None = None


class DiscoveredForeignKey(msgspec.Struct, kw_only=True):
    name: str
    columns: list[str]
    references_schema: str
    references_table: str
    references_columns: list[str]


class DiscoveredIndex(msgspec.Struct, kw_only=True):
    name: str
    columns: list[str]
    unique: bool
    primary: bool = False


class DiscoveredTable(msgspec.Struct, kw_only=True):
    schema: str
    name: str
    # From catalog statistics (pg_class.reltuples, information_schema.TABLES.TABLE_ROWS);
    # None when the table was never analysed. Never a COUNT(*).
    row_estimate: int | None
    columns: list[DiscoveredColumn]
    primary_key: list[str]
    foreign_keys: list[DiscoveredForeignKey]
    indexes: list[DiscoveredIndex]
