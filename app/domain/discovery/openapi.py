"""OpenAPI 3.0/3.1 and Swagger 2.0 documents → discovered operations. Pure: no I/O.

`$ref`s are resolved with jsonref over documents fetched beforehand (`locate.fetch_refs`),
then copied into plain JSON; a reference back into itself (a recursive schema) stays a
`{"$ref": ...}` so stored schemas are finite.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import jsonref
import yaml

from app.domain.discovery.schemas import DiscoveredEndpoint

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "query")
# Swagger 2.0 non-body parameters carry their schema inline.
_SWAGGER_SCHEMA_KEYS = ("type", "format", "items", "enum", "default", "minimum", "maximum", "pattern")


def load_text(text: str) -> Any:
    """A JSON or YAML document (YAML through safe_load); None when it is neither."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(stripped)
        except ValueError:
            return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def is_api_document(doc: Any) -> bool:
    if not isinstance(doc, dict) or not isinstance(doc.get("paths", {}), dict):
        return False
    return str(doc.get("swagger", "")).startswith("2") or str(doc.get("openapi", "")).startswith("3")


def external_refs(doc: Any, base_url: str) -> set[str]:
    """Absolute URLs (without fragments) of the other documents `doc` refers to."""
    found: set[str] = set()
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                found.add(urldefrag(urljoin(base_url, ref)).url)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    found.discard(urldefrag(base_url).url)
    return found


class _Plain:
    """Copies a jsonref proxy tree into plain dicts and lists, keeping recursion as $refs."""

    def __init__(self) -> None:
        self.memo: dict[str, Any] = {}

    def copy(self, node: Any, ancestry: tuple[str, ...] = ()) -> Any:
        if isinstance(node, jsonref.JsonRef):
            ref = str(node.__reference__["$ref"])
            # Read past the proxy: its own attributes would be looked up on the target.
            uri = urljoin(object.__getattribute__(node, "__dict__")["base_uri"], ref)
            if uri in ancestry:
                return {"$ref": ref}
            if uri in self.memo:
                return self.memo[uri]
            try:
                subject = node.__subject__
            except jsonref.JsonRefError:  # a document we refused or could not fetch
                return {"$ref": ref}
            value = self.copy(subject, (*ancestry, uri))
            self.memo[uri] = value
            return value
        if isinstance(node, dict):
            return {str(key): self.copy(value, ancestry) for key, value in node.items()}
        if isinstance(node, list):
            return [self.copy(value, ancestry) for value in node]
        return node


def resolve(doc: dict[str, Any], base_url: str, documents: dict[str, Any]) -> dict[str, Any]:
    """`doc` with every `$ref` replaced by what it points at (in `doc` or in `documents`)."""

    def loader(uri: str) -> Any:
        if uri not in documents:
            raise LookupError(f"{uri} was not fetched")
        return documents[uri]

    proxied = jsonref.replace_refs(doc, base_uri=base_url, loader=loader, lazy_load=True)
    plain: dict[str, Any] = _Plain().copy(proxied)
    return plain


def _parameter(param: dict[str, Any]) -> dict[str, Any]:
    schema = param.get("schema")
    if schema is None:
        schema = {key: param[key] for key in _SWAGGER_SCHEMA_KEYS if key in param}
    out = {
        "name": param.get("name"),
        "in": param.get("in"),
        "required": bool(param.get("required", param.get("in") == "path")),
        "schema": schema,
    }
    if param.get("description"):
        out["description"] = param["description"]
    return out


def _json_schema_of(content: Any) -> Any:
    """The schema of a content map, preferring JSON media types."""
    if not isinstance(content, dict) or not content:
        return None
    for media_type, body in content.items():
        if "json" in media_type and isinstance(body, dict) and "schema" in body:
            return body["schema"]
    first = next(iter(content.values()))
    return first.get("schema") if isinstance(first, dict) else None


def _auth_required(operation: dict[str, Any], global_security: Any) -> bool:
    security = operation.get("security", global_security)
    # An empty requirement ({}) in the list means anonymous access is one of the options.
    return bool(security) and isinstance(security, list) and all(bool(item) for item in security)


def _operation(
    method: str, path: str, item: dict[str, Any], op: dict[str, Any], swagger: bool, security: Any
) -> DiscoveredEndpoint:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for param in [*item.get("parameters", []), *op.get("parameters", [])]:
        if isinstance(param, dict):
            merged[(str(param.get("name")), str(param.get("in")))] = param
    parameters = []
    request_schema = None
    form_fields: dict[str, Any] = {}
    form_required: list[str] = []
    for param in merged.values():
        where = param.get("in")
        if swagger and where == "body":
            request_schema = param.get("schema")
        elif swagger and where == "formData":
            form_fields[str(param.get("name"))] = _parameter(param)["schema"]
            if param.get("required"):
                form_required.append(str(param.get("name")))
        else:
            parameters.append(_parameter(param))
    if form_fields:
        request_schema = {"type": "object", "properties": form_fields, "required": form_required}
    if not swagger and isinstance(op.get("requestBody"), dict):
        request_schema = _json_schema_of(op["requestBody"].get("content"))
    responses = {}
    for status, response in (op.get("responses") or {}).items():
        if not isinstance(response, dict):
            continue
        schema = response.get("schema") if swagger else _json_schema_of(response.get("content"))
        if schema is not None:
            responses[str(status)] = schema
    return DiscoveredEndpoint(
        method=method.upper(),
        path=path,
        summary=op.get("summary") or op.get("operationId"),
        description=op.get("description"),
        parameters=parameters,
        request_schema=request_schema,
        response_schema=responses or None,
        auth_required=_auth_required(op, security),
    )


def mount_path(doc: dict[str, Any], doc_url: str, base_url: str) -> str:
    """Where the document's paths are served, as a path under the connection's base URL: "/v2"
    when its operations answer at `<base URL>/v2/<path>`, "" at the base URL itself.

    Swagger 2.0 says so with `host` and `basePath`; OpenAPI 3 with `servers`, whose URLs may be
    relative to the document's own URL and may hold `{variables}` (taken at their defaults). The
    first server under the base URL wins. One elsewhere (another host, or outside the base path)
    cannot be reached through this connection, so the paths are then kept as the document has them.
    """
    if str(doc.get("swagger", "")).startswith("2"):
        base_path, host = doc.get("basePath"), doc.get("host")
        if not isinstance(base_path, str):
            return ""
        servers = [f"//{host}{base_path}" if isinstance(host, str) and host else base_path]
    else:
        servers = [
            _with_defaults(server)
            for server in doc.get("servers") or []
            if isinstance(server, dict) and isinstance(server.get("url"), str)
        ]
    base = urlsplit(base_url)
    root = base.path.rstrip("/")
    for server in servers:
        served = urlsplit(urljoin(doc_url, server))
        path = served.path.rstrip("/")
        if served.netloc == base.netloc and (path == root or path.startswith(root + "/")):
            return path[len(root) :]
    return ""


def _with_defaults(server: dict[str, Any]) -> str:
    variables = server.get("variables")
    variables = variables if isinstance(variables, dict) else {}

    def default(match: re.Match[str]) -> str:
        variable = variables.get(match.group(1))
        value = variable.get("default") if isinstance(variable, dict) else None
        return str(value) if value is not None else match.group(0)

    return re.sub(r"\{([^{}]+)\}", default, str(server["url"]))


def operations(doc: dict[str, Any], mount: str = "") -> list[DiscoveredEndpoint]:
    """Every operation of a resolved document, in document order, its path under `mount`
    (mount_path): relative to the connection's base URL, as clients and traffic see it."""
    swagger = str(doc.get("swagger", "")).startswith("2")
    security = doc.get("security")
    found = []
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                found.append(_operation(method, mount + str(path), item, op, swagger, security))
    return found
