"""From stored api_endpoints rows to the operations a generated client offers, and the JSON
Schema helpers both generators share. Pure functions: no I/O."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from app.domain.adapters.naming import operation_words, route_words

REST_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_PATH_PARAM = re.compile(r"\{([^{}]+)\}")
_DEF_KEYS = ("$defs", "definitions")


class Param(msgspec.Struct, kw_only=True):
    name: str  # as the API spells it
    location: str  # path | query | header
    required: bool
    schema: dict[str, Any]


class Operation(msgspec.Struct, kw_only=True):
    method: str
    path: str
    words: list[str]  # the operation's name as words; each generator styles them
    route_words: list[str]  # method and path as words: the name when two summaries collide
    summary: str | None
    params: list[Param]
    body_schema: dict[str, Any] | None
    response_schema: dict[str, Any] | None
    # The stored schemas as they were: `$ref` targets may sit beside the picked response.
    sources: list[Any]


def _as_dict(value: Any) -> Any:
    # jsonb may arrive as text when a row was read without the json loader.
    return json.loads(value) if isinstance(value, str) else value


def operations(rows: Iterable[Mapping[str, Any]]) -> list[Operation]:
    """REST operations in a stable order (path, then method); GraphQL rows are left out."""
    found: list[Operation] = []
    for row in sorted(rows, key=lambda r: (str(r["path"]), str(r["method"]))):
        method = str(row["method"]).upper()
        if method not in REST_METHODS:
            continue
        path = str(row["path"])
        raw_params = _as_dict(row.get("parameters")) or []
        params = [param for raw in raw_params if isinstance(raw, dict) and (param := _param(raw)) is not None]
        declared = {p.name for p in params if p.location == "path"}
        # A template variable the document forgot to declare is still an argument.
        for name in _PATH_PARAM.findall(path):
            if name not in declared:
                params.append(Param(name=name, location="path", required=True, schema={"type": "string"}))
        body = _as_dict(row.get("request_schema"))
        responses = _as_dict(row.get("response_schema"))
        found.append(
            Operation(
                method=method,
                path=path,
                words=operation_words(method, path, row.get("summary")),
                route_words=route_words(method, path),
                summary=row.get("summary"),
                params=params,
                body_schema=body if isinstance(body, dict) and body else None,
                response_schema=success_schema(responses),
                sources=[body, responses],
            )
        )
    return found


def _param(raw: dict[str, Any]) -> Param | None:
    location = raw.get("in", "query")
    name = raw.get("name")
    if location not in ("path", "query", "header") or not isinstance(name, str) or not name:
        return None  # cookies and GraphQL arguments have no place in a REST client's call
    schema = raw["schema"] if isinstance(raw.get("schema"), dict) else {}
    return Param(name=name, location=location, required=bool(raw.get("required")) or location == "path", schema=schema)


def success_schema(responses: Any) -> dict[str, Any] | None:
    """The schema of the first success response: {"200": ..., "201": ...} or a bare schema."""
    if not isinstance(responses, dict) or not responses:
        return None
    codes = [key for key in responses if isinstance(key, str) and (key.startswith("2") or key == "default")]
    if not codes and not any(isinstance(key, str) and key[:1].isdigit() for key in responses):
        return responses  # already a schema, not a map of status codes
    for code in sorted(codes, key=lambda c: (c == "default", c)):
        schema = responses[code]
        if isinstance(schema, dict) and schema:
            return schema
    return None


class Definitions:
    """Named schemas that `$ref`s point at, gathered from every schema of the API."""

    def __init__(self, schemas: Iterable[Any]) -> None:
        self.by_name: dict[str, dict[str, Any]] = {}
        for schema in schemas:
            self._collect(schema, 0)

    def _collect(self, schema: Any, depth: int) -> None:
        if not isinstance(schema, dict) or depth > 32:
            return
        for key in _DEF_KEYS:
            defs = schema.get(key)
            if isinstance(defs, dict):
                self.by_name.update({n: s for n, s in defs.items() if isinstance(s, dict)})
        components = schema.get("components")
        if isinstance(components, dict) and isinstance(components.get("schemas"), dict):
            self.by_name.update({n: s for n, s in components["schemas"].items() if isinstance(s, dict)})
        for value in schema.values():
            if isinstance(value, dict):
                self._collect(value, depth + 1)
            elif isinstance(value, list):
                for item in value:
                    self._collect(item, depth + 1)

    def lookup(self, ref: str) -> tuple[str, dict[str, Any] | None]:
        """The name a `$ref` gives its type, and the schema (None when it points nowhere known)."""
        name = ref.rsplit("/", 1)[-1] or "Model"
        return name, self.by_name.get(name)


def of_operations(ops: list[Operation]) -> Definitions:
    schemas: list[Any] = []
    for op in ops:
        schemas.extend([*op.sources, *(p.schema for p in op.params)])
    return Definitions(schemas)


def schema_types(schema: dict[str, Any]) -> tuple[list[str], bool]:
    """The JSON types a schema allows (without "null") and whether null is allowed."""
    raw = schema.get("type")
    types = [raw] if isinstance(raw, str) else [t for t in raw if isinstance(t, str)] if isinstance(raw, list) else []
    nullable = "null" in types or bool(schema.get("nullable"))
    types = [t for t in types if t != "null"]
    if not types and ("properties" in schema or "additionalProperties" in schema):
        types = ["object"]
    if not types and "items" in schema:
        types = ["array"]
    return types, nullable


def variants(schema: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """anyOf / oneOf alternatives other than {"type": "null"}, and whether null was one."""
    options = schema.get("anyOf") or schema.get("oneOf") or []
    kept = [o for o in options if isinstance(o, dict) and o.get("type") != "null"]
    return kept, len(kept) < len(options)


def merged_all_of(schema: dict[str, Any], defs: Definitions) -> dict[str, Any]:
    """allOf as one object schema: the parts' properties and required lists put together."""
    merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for part in [schema, *(schema.get("allOf") or [])]:
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("$ref"), str):
            part = defs.lookup(part["$ref"])[1] or {}
        if part.get("allOf") and part is not schema:
            part = merged_all_of(part, defs)
        merged["properties"].update(part.get("properties") or {})
        merged["required"].extend(r for r in part.get("required") or [] if r not in merged["required"])
    for key in ("title", "description"):
        if key in schema:
            merged[key] = schema[key]
    return merged


def path_segments(path: str) -> list[tuple[bool, str]]:
    """A path template as (is_param, text) pieces: "/u/{id}/x" -> (F,"/u/"), (T,"id"), (F,"/x")."""
    pieces: list[tuple[bool, str]] = []
    last = 0
    for match in _PATH_PARAM.finditer(path):
        if match.start() > last:
            pieces.append((False, path[last : match.start()]))
        pieces.append((True, match.group(1)))
        last = match.end()
    if last < len(path):
        pieces.append((False, path[last:]))
    return pieces
