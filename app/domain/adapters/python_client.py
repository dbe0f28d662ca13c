"""A typed Python client for an application's discovered REST API: msgspec Structs from the
JSON Schemas and an httpx.AsyncClient wrapper with one method per operation.

Generated modules import only httpx and msgspec. Field and type names are made valid and
unique (naming.py); the API's own spelling stays on the wire through `msgspec.field(name=...)`.
"""

from __future__ import annotations

import json
from typing import Any

from app.domain.adapters import naming
from app.domain.adapters.operations import (
    Definitions,
    Operation,
    merged_all_of,
    of_operations,
    operations,
    path_segments,
    schema_types,
    variants,
)

_FORMATS = {"date-time": "_dt.datetime", "date": "_dt.date", "uuid": "_uuid.UUID", "time": "_dt.time"}
_SCALARS = {"integer": "int", "number": "float", "boolean": "bool"}
_MAX_DEPTH = 24  # a schema nested deeper than this is typed Any rather than followed


class _Types:
    """Maps JSON Schemas to annotations, defining a Struct for every object with properties."""

    def __init__(self, defs: Definitions) -> None:
        self.defs = defs
        self.structs: list[str] = []
        self._names: set[str] = set()
        self._by_schema: dict[str, str] = {}  # canonical JSON of a schema -> its Struct

    def annotation(self, schema: Any, hint: str, depth: int = 0, inline: bool = False) -> str:
        if not isinstance(schema, dict) or not schema or depth > _MAX_DEPTH:
            return "_t.Any"
        if isinstance(schema.get("$ref"), str):
            name, target = self.defs.lookup(schema["$ref"])
            return (
                self.annotation(dict(target, title=target.get("title", name)), name, depth + 1, inline)
                if target
                else "_t.Any"
            )
        if schema.get("allOf"):
            return self.annotation(merged_all_of(schema, self.defs), hint, depth + 1, inline)
        options, null_option = variants(schema)
        if options:
            # msgspec cannot tell several object types apart without a tag: one option types it, more are Any.
            inner = self.annotation(options[0], hint, depth + 1, inline) if len(options) == 1 else "_t.Any"
            return _optional(inner) if null_option or schema.get("nullable") else inner
        types, nullable = schema_types(schema)
        inner = self._plain(schema, types, hint, depth, inline)
        return _optional(inner) if nullable else inner

    def _plain(self, schema: dict[str, Any], types: list[str], hint: str, depth: int, inline: bool) -> str:
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            values = [v for v in schema["enum"] if isinstance(v, str | int) and not isinstance(v, bool)]
            if values and len(values) == len(schema["enum"]):
                return "_t.Literal[" + ", ".join(repr(v) for v in dict.fromkeys(values)) + "]"
        if len(types) != 1:
            return "_t.Any"
        kind = types[0]
        if kind == "string":
            return _FORMATS.get(str(schema.get("format")), "str")
        if kind in _SCALARS:
            return _SCALARS[kind]
        if kind == "array":
            return f"list[{self.annotation(schema.get('items'), hint + ' item', depth + 1, inline)}]"
        if kind == "object":
            properties = schema.get("properties")
            if isinstance(properties, dict) and properties and not inline:
                return self._struct(schema, properties, hint, depth)
            extra = schema.get("additionalProperties")
            value = self.annotation(extra, hint + " value", depth + 1, inline) if isinstance(extra, dict) else "_t.Any"
            return f"dict[str, {value}]"
        return "_t.Any"

    def _struct(self, schema: dict[str, Any], properties: dict[str, Any], hint: str, depth: int) -> str:
        key = json.dumps(schema, sort_keys=True, default=str)
        if key in self._by_schema:
            return self._by_schema[key]
        name = naming.unique(naming.python_type_name(str(schema.get("title") or hint)), self._names)
        self._by_schema[key] = name  # registered first: a recursive schema refers back to it
        required = set(schema.get("required") or [])
        taken: set[str] = set()
        lines: list[str] = []
        for wire, prop in properties.items():
            field = naming.unique(naming.python_name(str(wire), "field"), taken)
            annotation = self.annotation(prop, f"{name} {wire}", depth + 1)
            rename = f"msgspec.field(name={wire!r})" if field != wire else None
            if wire in required:
                default = f" = {rename}" if rename else ""
            else:
                annotation = _optional(annotation)
                default = f" = msgspec.field(default=None, name={wire!r})" if rename else " = None"
            lines.append(f"    {field}: {annotation}{default}")
        doc = _docstring(schema.get("description"), "    ")
        # Optional fields left None are omitted on the wire rather than sent as null.
        header = f"class {name}(msgspec.Struct, kw_only=True, omit_defaults=True):"
        self.structs.append("\n".join([header, *doc, *lines]))
        return name


def _optional(annotation: str) -> str:
    return annotation if annotation == "_t.Any" or annotation.endswith("| None") else f"{annotation} | None"


def _docstring(text: Any, indent: str) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        return []
    line = " ".join(text.split())[:200].replace("\\", "\\\\").replace('"""', "'''")
    return [f'{indent}"""{line}"""']


class _Argument:
    def __init__(self, ident: str, wire: str, location: str, annotation: str, required: bool) -> None:
        self.ident, self.wire, self.location = ident, wire, location
        self.annotation, self.required = annotation, required


def _method(op: Operation, types: _Types, taken_methods: set[str]) -> str:
    name = naming.method_name(op.words, op.route_words, naming.python_name, taken_methods)
    taken: set[str] = set()
    args: list[_Argument] = []
    for param in op.params:
        ident = naming.unique(naming.python_name(param.name, "param"), taken)
        annotation = types.annotation(param.schema, f"{name} {param.name}", inline=True)
        args.append(_Argument(ident, param.name, param.location, annotation, param.required))
    if op.body_schema is not None:
        body = types.annotation(op.body_schema, f"{name} body")
        args.append(_Argument("body", "body", "body", body, True))
    returns = types.annotation(op.response_schema, f"{name} response") if op.response_schema else "_t.Any"
    signature = ["self"]
    signature += [f"{a.ident}: {a.annotation}" for a in args if a.required]
    optional = [a for a in args if not a.required]
    if optional:
        signature.append("*")
        signature += [f"{a.ident}: {_optional(a.annotation)} = None" for a in optional]
    url = " + ".join(
        f"_path({_path_ident(args, text)})" if is_param else repr(text) for is_param, text in path_segments(op.path)
    )
    query = ", ".join(f"{a.wire!r}: {a.ident}" for a in args if a.location == "query")
    headers = [f"{a.wire!r}: {a.ident}" for a in args if a.location == "header"]
    call = [f"{op.method!r}", url or "'/'"]
    if query:
        call.append(f"params=_query({{{query}}})")
    if op.body_schema is not None:
        headers.append("'content-type': 'application/json'")
        call.append("content=msgspec.json.encode(body)")
    if headers:
        call.append(f"headers=_query({{{', '.join(headers)}}})")
    # One argument per line, as a formatter would lay it out: long names stay readable.
    body_lines = [
        f"    async def {name}(",
        *(f"        {part}," for part in signature),
        f"    ) -> {returns}:",
        *_docstring(op.summary or f"{op.method} {op.path}", "        "),
        "        response = await self._http.request(",
        *(f"            {part}," for part in call),
        "        )",
        f"        return _decode(response, {returns})",
    ]
    return "\n".join(body_lines)


def _path_ident(args: list[_Argument], wire: str) -> str:
    return next(a.ident for a in args if a.location == "path" and a.wire == wire)


_PRELUDE = '''"""Client for {title}: generated by NEXUS-PRIME from the discovered endpoints.

Usage:
    async with Client("https://api.example.com", headers={{"Authorization": "Bearer ..."}}) as api:
        result = await api.some_operation(...)
"""

from __future__ import annotations

import datetime as _dt
import typing as _t
import uuid as _uuid
from urllib.parse import quote as _quote

import httpx
import msgspec

__all__ = ["ApiError", "Client"]


class ApiError(Exception):
    """The API answered with an error status."""

    def __init__(self, status_code: int, body: str) -> None:
        super().__init__(f"HTTP {{status_code}}: {{body[:200]}}")
        self.status_code = status_code
        self.body = body


def _scalar(value: _t.Any) -> _t.Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return [_scalar(item) for item in value]
    return value if isinstance(value, int | float | str) else str(value)


def _query(values: dict[str, _t.Any]) -> dict[str, _t.Any]:
    return {{key: _scalar(value) for key, value in values.items() if value is not None}}


def _path(value: _t.Any) -> str:
    return _quote(str(_scalar(value)), safe="")


def _decode(response: httpx.Response, kind: _t.Any) -> _t.Any:
    if response.is_error:
        raise ApiError(response.status_code, response.text)
    if not response.content:
        return None
    return msgspec.json.decode(response.content, type=kind)
'''

_CLIENT = '''

class Client:
    """One method per operation. Pass your own httpx.AsyncClient for custom transports."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._http = http or httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> _t.Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
'''


def generate(rows: list[dict[str, Any]], title: str = "the API") -> str:
    """The client module's source for these api_endpoints rows."""
    ops = operations(rows)
    types = _Types(of_operations(ops))
    taken: set[str] = {"aclose"}
    methods = [_method(op, types, taken) for op in ops]
    safe_title = " ".join(title.split()).replace("\\", "").replace('"', "'")[:120] or "the API"
    parts = [_PRELUDE.format(title=safe_title)]
    parts += ["\n\n" + struct + "\n" for struct in types.structs]
    parts.append(_CLIENT)
    parts += ["\n" + method + "\n" for method in methods]
    return "".join(parts)
