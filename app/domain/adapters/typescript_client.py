"""A typed TypeScript client for an application's discovered REST API: interfaces from the
JSON Schemas and a class with one Promise-returning method per operation, over `fetch`.

The output type-checks with `tsc --strict` under the compiler's default target and libraries:
no `async` keyword (ES5 targets need a Promise constructor for it) and no post-ES5 library
calls. Date-times stay strings: JSON carries them as text and nothing here parses them.
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

_SCALARS = {"integer": "number", "number": "number", "boolean": "boolean", "string": "string"}
_MAX_DEPTH = 24


def _literal(value: Any) -> str:
    return json.dumps(value)


def _key(wire: str) -> str:
    return wire if naming.is_ts_identifier(wire) else json.dumps(wire)


def _comment(text: Any, indent: str) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        return []
    return [f"{indent}/** {' '.join(text.split())[:200].replace('*/', '* /')} */"]


class _Types:
    def __init__(self, defs: Definitions) -> None:
        self.defs = defs
        self.interfaces: list[str] = []
        self._names: set[str] = set()
        self._by_schema: dict[str, str] = {}

    def annotation(self, schema: Any, hint: str, depth: int = 0) -> str:
        if not isinstance(schema, dict) or not schema or depth > _MAX_DEPTH:
            return "unknown"
        if isinstance(schema.get("$ref"), str):
            name, target = self.defs.lookup(schema["$ref"])
            return (
                self.annotation(dict(target, title=target.get("title", name)), name, depth + 1) if target else "unknown"
            )
        if schema.get("allOf"):
            return self.annotation(merged_all_of(schema, self.defs), hint, depth + 1)
        options, null_option = variants(schema)
        if options:
            inner = " | ".join(dict.fromkeys(self._wrap(self.annotation(o, hint, depth + 1)) for o in options))
            return f"{inner} | null" if null_option or schema.get("nullable") else inner
        types, nullable = schema_types(schema)
        inner = self._plain(schema, types, hint, depth)
        return f"{self._wrap(inner)} | null" if nullable and inner != "unknown" else inner

    @staticmethod
    def _wrap(annotation: str) -> str:
        return f"({annotation})" if "|" in annotation else annotation

    def _plain(self, schema: dict[str, Any], types: list[str], hint: str, depth: int) -> str:
        enum = schema.get("enum")
        if isinstance(enum, list) and enum and all(isinstance(v, str | int | float | bool) for v in enum):
            return " | ".join(dict.fromkeys(_literal(v) for v in enum))
        if not types:
            return "unknown"
        if len(types) > 1:
            return " | ".join(self._plain(schema, [t], hint, depth) for t in types)
        kind = types[0]
        if kind in _SCALARS:
            return _SCALARS[kind]
        if kind == "array":
            return f"Array<{self.annotation(schema.get('items'), hint + ' item', depth + 1)}>"
        if kind == "object":
            properties = schema.get("properties")
            if isinstance(properties, dict) and properties:
                return self._interface(schema, properties, hint, depth)
            extra = schema.get("additionalProperties")
            value = self.annotation(extra, hint + " value", depth + 1) if isinstance(extra, dict) else "unknown"
            return f"Record<string, {value}>"
        return "unknown"

    def _interface(self, schema: dict[str, Any], properties: dict[str, Any], hint: str, depth: int) -> str:
        key = json.dumps(schema, sort_keys=True, default=str)
        if key in self._by_schema:
            return self._by_schema[key]
        name = naming.unique(naming.ts_type_name(str(schema.get("title") or hint)), self._names)
        self._by_schema[key] = name
        required = set(schema.get("required") or [])
        lines = [*_comment(schema.get("description"), ""), f"export interface {name} {{"]
        for wire, prop in properties.items():
            annotation = self.annotation(prop, f"{name} {wire}", depth + 1)
            lines += _comment(prop.get("description") if isinstance(prop, dict) else None, "  ")
            lines.append(f"  {_key(str(wire))}{'' if wire in required else '?'}: {annotation};")
        lines.append("}")
        self.interfaces.append("\n".join(lines))
        return name


def _method(op: Operation, types: _Types, taken_methods: set[str]) -> str:
    name = naming.method_name(op.words, op.route_words, naming.ts_name, taken_methods)
    taken: set[str] = {"params"}
    required: list[str] = []
    path_idents: dict[str, str] = {}
    query: list[tuple[str, str, str, bool]] = []  # (wire, type, location, required)
    for param in op.params:
        annotation = types.annotation(param.schema, f"{name} {param.name}")
        if param.location == "path":
            ident = naming.unique(naming.ts_name(param.name, "param"), taken)
            path_idents[param.name] = ident
            required.append(f"{ident}: {annotation}")
        else:
            query.append((param.name, annotation, param.location, param.required))
    if op.body_schema is not None:
        required.append(f"body: {types.annotation(op.body_schema, f'{name} body')}")
    returns = types.annotation(op.response_schema, f"{name} response") if op.response_schema else "unknown"
    args = list(required)
    if query:
        # Query and header parameters travel in one object: adding an optional one later
        # does not shift anyone's positional arguments.
        fields = "; ".join(f"{_key(wire)}{'' if req else '?'}: {kind}" for wire, kind, _, req in query)
        all_optional = not any(req for *_, req in query)
        args.append(f"params: {{ {fields} }}" + (" = {}" if all_optional else ""))
    url = " + ".join(
        f"encodeURIComponent(String({path_idents[text]}))" if is_param else json.dumps(text)
        for is_param, text in path_segments(op.path)
    )
    query_keys = ", ".join(json.dumps(wire) for wire, _, loc, _ in query if loc == "query")
    header_keys = ", ".join(json.dumps(wire) for wire, _, loc, _ in query if loc == "header")
    call = [json.dumps(op.method), url or '"/"']
    call.append(f"pick(params, [{query_keys}])" if query_keys else "{}")
    call.append(f"pick(params, [{header_keys}])" if header_keys else "{}")
    if op.body_schema is not None:
        call.append("body")
    return "\n".join(
        [
            *_comment(op.summary or f"{op.method} {op.path}", "  "),
            f"  {name}({', '.join(args)}): Promise<{returns}> {{",
            f"    return this.request<{returns}>({', '.join(call)});",
            "  }",
        ]
    )


_PRELUDE = """/* Client for {title}: generated by NEXUS-PRIME from the discovered endpoints.
 *
 *   const api = new Client("https://api.example.com", {{ headers: {{ Authorization: "Bearer ..." }} }});
 *   const result = await api.someOperation(...);
 */

export class ApiError extends Error {{
  readonly status: number;
  readonly body: string;
  constructor(status: number, body: string) {{
    super("HTTP " + status + ": " + body.slice(0, 200));
    this.status = status;
    this.body = body;
  }}
}}

export interface ClientOptions {{
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}}

type Values = {{ [name: string]: unknown }};

function pick(source: object, keys: string[]): Values {{
  const picked: Values = {{}};
  const values = source as Values;
  for (let i = 0; i < keys.length; i++) {{
    if (values[keys[i]] !== undefined && values[keys[i]] !== null) picked[keys[i]] = values[keys[i]];
  }}
  return picked;
}}
"""

_CLIENT = """
export class Client {
  private readonly baseUrl: string;
  private readonly options: ClientOptions;

  constructor(baseUrl: string, options: ClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\\/+$/, "");
    this.options = options;
  }

  private request<T>(method: string, path: string, query: Values, headers: Values, body?: unknown): Promise<T> {
    const search = new URLSearchParams();
    for (const name in query) {
      const value = query[name];
      if (Array.isArray(value)) value.forEach((item) => search.append(name, String(item)));
      else search.append(name, String(value));
    }
    const all: Record<string, string> = {};
    const base = this.options.headers || {};
    for (const name in base) all[name] = base[name];
    for (const name in headers) all[name] = String(headers[name]);
    if (body !== undefined) all["content-type"] = "application/json";
    const text = search.toString();
    const send = this.options.fetch || fetch;
    return send(this.baseUrl + path + (text ? "?" + text : ""), {
      method: method,
      headers: all,
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then((response) =>
      response.text().then((raw) => {
        if (!response.ok) throw new ApiError(response.status, raw);
        return (raw ? JSON.parse(raw) : undefined) as T;
      }),
    );
  }
"""


def generate(rows: list[dict[str, Any]], title: str = "the API") -> str:
    """The client module's TypeScript source for these api_endpoints rows."""
    ops = operations(rows)
    types = _Types(of_operations(ops))
    taken: set[str] = {"request", "constructor", "baseUrl", "options"}
    methods = [_method(op, types, taken) for op in ops]
    safe_title = " ".join(title.split()).replace("*/", "")[:120] or "the API"
    parts = [_PRELUDE.format(title=safe_title)]
    parts += ["\n" + interface + "\n" for interface in types.interfaces]
    parts.append(_CLIENT)
    parts += ["\n" + method + "\n" for method in methods]
    parts.append("}\n")
    return "".join(parts)
