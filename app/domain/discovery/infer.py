"""JSON Schema inferred from sample JSON values (what probing an API without a document sees).

Pure functions, no I/O. A value becomes a schema; schemas of several samples merge:
objects keep every property seen and require only those present in every sample, arrays
merge their items, `null` seen beside a type makes it nullable (`["string", "null"]`),
integers seen beside fractions widen to number, and string formats (date-time, date, email,
uuid, uri) are kept only when every sample agrees.
"""

from __future__ import annotations

import re
from typing import Any

Schema = dict[str, Any]

# Enough samples to see optional fields and nulls; large arrays are not read to the end.
MAX_ITEMS = 200
MAX_DEPTH = 20

_FORMATS = (
    ("date-time", re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$")),
    ("date", re.compile(r"^\d{4}-\d{2}-\d{2}$")),
    ("uuid", re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")),
    ("email", re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")),
    ("uri", re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s]+$")),
)


def string_format(value: str) -> str | None:
    if len(value) > 2048:
        return None
    for name, pattern in _FORMATS:
        if pattern.match(value):
            return name
    return None


def infer(value: Any, depth: int = 0) -> Schema:
    """The JSON Schema of one JSON value."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        fmt = string_format(value)
        return {"type": "string", "format": fmt} if fmt else {"type": "string"}
    if depth >= MAX_DEPTH:
        return {}
    if isinstance(value, list):
        schema: Schema = {"type": "array"}
        items = [infer(item, depth + 1) for item in value[:MAX_ITEMS]]
        if items:
            merged = items[0]
            for item in items[1:]:
                merged = merge(merged, item)
            schema["items"] = merged
        return schema
    if isinstance(value, dict):
        properties = {str(key): infer(item, depth + 1) for key, item in value.items()}
        return {"type": "object", "properties": properties, "required": sorted(properties)}
    return {}


def _types(schema: Schema) -> set[str]:
    kind = schema.get("type")
    if kind is None:
        return set()
    return set(kind) if isinstance(kind, list) else {kind}


def _type_value(types: set[str]) -> str | list[str]:
    if "number" in types:
        types.discard("integer")
    ordered = sorted(types - {"null"}) + (["null"] if "null" in types else [])
    return ordered[0] if len(ordered) == 1 else ordered


def merge(a: Schema, b: Schema) -> Schema:
    """One schema that both samples' schemas fit; an empty schema ({}) means "unknown"."""
    if not a:
        return dict(b)
    if not b:
        return dict(a)
    ta, tb = _types(a), _types(b)
    out: Schema = {"type": _type_value(ta | tb)}
    if "object" in ta and "object" in tb:
        pa, pb = a.get("properties", {}), b.get("properties", {})
        out["properties"] = {
            key: merge(pa[key], pb[key]) if key in pa and key in pb else dict(pa.get(key) or pb[key])
            for key in {**pa, **pb}
        }
        out["required"] = sorted(set(a.get("required", [])) & set(b.get("required", [])))
    elif "object" in ta or "object" in tb:
        source = a if "object" in ta else b
        out["properties"] = source.get("properties", {})
        out["required"] = source.get("required", [])
    if "array" in ta or "array" in tb:
        items = merge(a.get("items", {}), b.get("items", {}))
        if items:
            out["items"] = items
    if "string" in ta and "string" in tb:
        if a.get("format") and a.get("format") == b.get("format"):
            out["format"] = a["format"]
    elif "string" in ta or "string" in tb:
        fmt = (a if "string" in ta else b).get("format")
        if fmt:
            out["format"] = fmt
    return out
