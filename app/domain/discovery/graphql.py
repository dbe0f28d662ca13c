"""GraphQL discovery: one introspection query, then every root field as an operation.

`discover_graphql` sends the standard introspection query (graphql-core's own text) and turns
the answer into `DiscoveredEndpoint`s: one per field of the query, mutation and subscription
root types, method QUERY / MUTATION / SUBSCRIPTION, path = the field's name. Types become
JSON Schema: scalars map to JSON types, lists to arrays, enums to string enums, and named
object/input/interface/union types live in `$defs` (only those an operation reaches), with
the operation's own return type expanded two levels so the Endpoints tab reads well without
following references. `graphql_types` lists the whole type catalogue for the UI.

Everything after the HTTP call is pure and tested on hand-made introspection results.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from graphql import get_introspection_query

from app.core.outbound import OutboundClient
from app.domain.discovery.runner import DiscoveryFailed
from app.domain.discovery.schemas import DiscoveredEndpoint

INTROSPECTION_QUERY = get_introspection_query(descriptions=True)
BUILTIN_SCALARS = {"Int": "integer", "Float": "number", "String": "string", "Boolean": "boolean", "ID": "string"}
ROOTS = (("queryType", "QUERY"), ("mutationType", "MUTATION"), ("subscriptionType", "SUBSCRIPTION"))
EXPAND_DEPTH = 2  # levels of a return type written out in place before `$ref`s take over

Types = dict[str, dict[str, Any]]


class Progress(Protocol):
    """Where steps are reported: JobProgress, or the runner's DiscoveryProgress."""

    async def step(self, name: str, progress: int, detail: str = "") -> None: ...


class ConnectionTarget(Protocol):
    """What discovery needs of a connection (the connections domain's target satisfies it)."""

    @property
    def base_url(self) -> str | None: ...


class GraphQLDiscoveryError(DiscoveryFailed):
    """Discovery could not read a GraphQL schema; the message is a sentence for a person."""


async def discover_graphql(
    target: ConnectionTarget,
    outbound: OutboundClient,
    headers: dict[str, str],
    params: dict[str, str],
    progress: Progress,
) -> list[DiscoveredEndpoint]:
    """Introspect the GraphQL API at `target.base_url` and list its operations.

    Raises GraphQLDiscoveryError (not GraphQL, introspection disabled, errors in the answer)
    or the outbound client's own errors (refused host, timeouts), which `describe_error` words.
    """
    schema = await introspect(target, outbound, headers, params)
    await progress.step("Read the GraphQL schema", 50, f"{len(graphql_types(schema))} types")
    endpoints = endpoints_from_introspection(schema)
    await progress.step("Listed GraphQL operations", 80, f"{len(endpoints)} operations")
    return endpoints


async def introspect(
    target: ConnectionTarget, outbound: OutboundClient, headers: dict[str, str], params: dict[str, str]
) -> dict[str, Any]:
    """POST the introspection query; return the `__schema` object."""
    if not target.base_url:
        raise GraphQLDiscoveryError("The connection has no URL to send the GraphQL query to.")
    response = await outbound.request(
        "POST",
        target.base_url,
        json={"query": INTROSPECTION_QUERY, "operationName": "IntrospectionQuery"},
        headers={"accept": "application/json", **headers},
        params=params,
    )
    if response.status_code in (401, 403):
        raise GraphQLDiscoveryError(
            f"The GraphQL endpoint refused the credentials (HTTP {response.status_code}); check the connection's auth."
        )
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise GraphQLDiscoveryError(
            f"The URL did not answer with JSON (HTTP {response.status_code}); is it a GraphQL endpoint?"
        ) from exc
    return schema_of(body, response.status_code)


def schema_of(body: Any, status_code: int) -> dict[str, Any]:
    """The `__schema` from an introspection answer, or a GraphQLDiscoveryError saying what is wrong."""
    if not isinstance(body, dict) or ("data" not in body and "errors" not in body):
        raise GraphQLDiscoveryError(f"The answer (HTTP {status_code}) is not a GraphQL response; is the URL right?")
    errors = body.get("errors") or []
    data = body.get("data") or {}
    schema = data.get("__schema") if isinstance(data, dict) else None
    if not isinstance(schema, dict):
        first = errors[0].get("message") if errors and isinstance(errors[0], dict) else None
        reason = f": {str(first)[:200]}" if first else ""
        raise GraphQLDiscoveryError(
            f"The server did not answer the introspection query (introspection may be disabled){reason}."
        )
    if not isinstance(schema.get("types"), list) or not schema.get("queryType"):
        raise GraphQLDiscoveryError("The introspection answer has no types or no query type.")
    return schema


def endpoints_from_introspection(schema: dict[str, Any]) -> list[DiscoveredEndpoint]:
    """One endpoint per root field, in schema order: queries, then mutations, then subscriptions."""
    types: Types = {t["name"]: t for t in schema["types"] if t.get("name")}
    endpoints: list[DiscoveredEndpoint] = []
    for root_key, method in ROOTS:
        root = schema.get(root_key) or {}
        root_type = types.get(root.get("name") or "")
        for field in (root_type or {}).get("fields") or []:
            endpoints.append(_endpoint(method, field, types))
    return endpoints


def _endpoint(method: str, field: dict[str, Any], types: Types) -> DiscoveredEndpoint:
    args = field.get("args") or []
    parameters = [_parameter(arg) for arg in args]
    response = type_schema(field["type"], types, EXPAND_DEPTH)
    defs = _defs(reachable([field["type"]], types), types)
    if defs:
        response["$defs"] = defs
    request = None
    if args:
        input_defs = _defs(reachable([arg["type"] for arg in args], types), types)
        request = {
            "type": "object",
            "properties": {p["name"]: p["schema"] for p in parameters},
            "required": [p["name"] for p in parameters if p["required"]],
        }
        if input_defs:
            request["$defs"] = input_defs
    return DiscoveredEndpoint(
        method=method,
        path=field["name"],
        summary=_first_line(field.get("description")),
        description=field.get("description") or None,
        parameters=parameters,
        request_schema=request,
        response_schema={"200": response},
    )


def _parameter(arg: dict[str, Any]) -> dict[str, Any]:
    schema = type_schema(arg["type"], {}, 0)
    if arg.get("defaultValue") is not None:
        # The GraphQL literal as written ('10', '"abc"', 'ASC'): the schema's own spelling.
        schema["default"] = arg["defaultValue"]
    parameter: dict[str, Any] = {
        "name": arg["name"],
        "in": "argument",
        "required": arg["type"]["kind"] == "NON_NULL" and arg.get("defaultValue") is None,
        "schema": schema,
    }
    if arg.get("description"):
        parameter["description"] = arg["description"]
    return parameter


def type_schema(ref: dict[str, Any], types: Types, depth: int) -> dict[str, Any]:
    """JSON Schema for a type reference; named object types are written out `depth` levels deep."""
    kind = ref["kind"]
    if kind == "NON_NULL":
        return type_schema(ref["ofType"], types, depth)
    if kind == "LIST":
        return {"type": "array", "items": type_schema(ref["ofType"], types, depth)}
    name = ref["name"]
    if kind == "SCALAR":
        if name in BUILTIN_SCALARS:
            return {"type": BUILTIN_SCALARS[name]}
        return {"type": "string", "format": name}  # custom scalars travel as strings (DateTime, JSON...)
    definition = types.get(name)
    if depth <= 0 or definition is None or kind not in ("OBJECT", "INTERFACE"):
        return {"$ref": f"#/$defs/{name}"}
    return _object_schema(definition, types, depth - 1)


def _object_schema(definition: dict[str, Any], types: Types, depth: int) -> dict[str, Any]:
    fields = definition.get("fields") or definition.get("inputFields") or []
    schema: dict[str, Any] = {
        "type": "object",
        "title": definition["name"],
        "properties": {f["name"]: _described(type_schema(f["type"], types, depth), f) for f in fields},
    }
    required = [f["name"] for f in fields if f["type"]["kind"] == "NON_NULL"]
    if required:
        schema["required"] = required
    if definition.get("description"):
        schema["description"] = definition["description"]
    return schema


def _described(schema: dict[str, Any], field: dict[str, Any]) -> dict[str, Any]:
    if field.get("description") and "$ref" not in schema:
        schema["description"] = field["description"]
    return schema


def _definition(definition: dict[str, Any], types: Types) -> dict[str, Any]:
    """A `$defs` entry: the named type with its fields as references (depth 0)."""
    kind = definition["kind"]
    if kind == "ENUM":
        schema: dict[str, Any] = {"type": "string", "enum": [v["name"] for v in definition.get("enumValues") or []]}
        if definition.get("description"):
            schema["description"] = definition["description"]
        return schema
    if kind == "UNION":
        return {
            "title": definition["name"],
            "anyOf": [{"$ref": f"#/$defs/{t['name']}"} for t in definition.get("possibleTypes") or []],
        }
    if kind == "SCALAR":
        return {"type": "string", "format": definition["name"]}
    return _object_schema(definition, types, 0)


def reachable(refs: list[dict[str, Any]], types: Types) -> list[str]:
    """Names of the non-builtin types reachable from `refs` through fields, inputs and unions."""
    seen: list[str] = []
    pending = [_named(ref) for ref in refs]
    while pending:
        name = pending.pop()
        if name in seen or name in BUILTIN_SCALARS or name not in types:
            continue
        seen.append(name)
        definition = types[name]
        for field in (definition.get("fields") or []) + (definition.get("inputFields") or []):
            pending.append(_named(field["type"]))
        pending.extend(t["name"] for t in definition.get("possibleTypes") or [])
    return sorted(seen)


def _defs(names: list[str], types: Types) -> dict[str, Any]:
    return {name: _definition(types[name], types) for name in names}


def _named(ref: dict[str, Any]) -> str:
    while ref.get("ofType"):
        ref = ref["ofType"]
    return str(ref["name"])


def type_label(ref: dict[str, Any]) -> str:
    """A type reference as GraphQL writes it: `[User!]!`."""
    if ref["kind"] == "NON_NULL":
        return type_label(ref["ofType"]) + "!"
    if ref["kind"] == "LIST":
        return "[" + type_label(ref["ofType"]) + "]"
    return str(ref["name"])


def graphql_types(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema's own types (no introspection `__` types, no built-in scalars), by name:
    [{"name", "kind", "description", "fields": [{"name", "type", "description"}], "values": [...]}]."""
    catalogue = []
    for definition in schema.get("types") or []:
        name = definition.get("name") or ""
        if not name or name.startswith("__") or name in BUILTIN_SCALARS:
            continue
        fields = (definition.get("fields") or []) + (definition.get("inputFields") or [])
        catalogue.append(
            {
                "name": name,
                "kind": definition["kind"],
                "description": definition.get("description") or None,
                "fields": [
                    {"name": f["name"], "type": type_label(f["type"]), "description": f.get("description") or None}
                    for f in fields
                ],
                "values": [v["name"] for v in definition.get("enumValues") or []],
                "members": [t["name"] for t in definition.get("possibleTypes") or []],
            }
        )
    return sorted(catalogue, key=lambda t: t["name"])


def _first_line(text: str | None) -> str | None:
    if not text:
        return None
    return text.strip().splitlines()[0][:200] or None
