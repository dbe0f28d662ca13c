"""Identifiers for generated code: whatever a discovered API calls things (dashes, spaces,
leading digits, reserved words), the generated Python and TypeScript must compile."""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable

_WORD = re.compile(r"[A-Za-z0-9]+")
# Split camelCase and acronyms: "getHTTPStatus2x" -> get, HTTP, Status2x.
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z0-9]+|[A-Z]+|[0-9]+")

# Names the generated Python uses in annotations and bodies: a field or parameter with one of
# these names would shadow it (msgspec evaluates annotations with the class's own namespace).
PYTHON_RESERVED = (
    frozenset(keyword.kwlist)
    | frozenset(keyword.softkwlist)
    | {
        "self",
        "list",
        "dict",
        "str",
        "int",
        "float",
        "bool",
        "bytes",
        "object",
        "msgspec",
        "httpx",
        "body",
    }
)
TYPESCRIPT_RESERVED = frozenset(
    [
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "new",
        "null",
        "return",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "as",
        "implements",
        "interface",
        "let",
        "package",
        "private",
        "protected",
        "public",
        "static",
        "yield",
        "any",
        "boolean",
        "number",
        "string",
        "symbol",
        "type",
        "from",
        "of",
        "async",
        "await",
        "constructor",
        "undefined",
        "never",
        "unknown",
        "object",
        "declare",
        "module",
        "namespace",
        "require",
        "get",
        "set",
        "is",
        "keyof",
        "readonly",
        "infer",
        "options",
        "body",
    ]
)
# Type names the generated modules define or rely on; schema titles may not take them.
PYTHON_TYPE_RESERVED = frozenset({"Client", "ApiError", "Any", "Literal", "None", "True", "False"})
TYPESCRIPT_TYPE_RESERVED = frozenset(
    [
        "Client",
        "ApiError",
        "ClientOptions",
        "Record",
        "Array",
        "Promise",
        "Date",
        "Error",
        "Object",
        "String",
        "Number",
        "Boolean",
        "Map",
        "Set",
        "Response",
        "Request",
        "RequestInit",
        "Headers",
        "URL",
        "URLSearchParams",
        "JSON",
        "Symbol",
        "Function",
        "Partial",
        "Required",
        "Readonly",
        "Pick",
        "Omit",
        "Exclude",
        "Extract",
        "NonNullable",
        "ReturnType",
    ]
)


def words(text: str) -> list[str]:
    """The words of a name in any style: "user-ID", "userId", "User ID" -> user, id."""
    found: list[str] = []
    for chunk in _WORD.findall(text):
        found.extend(part.lower() for part in _CAMEL.findall(chunk))
    return found


def snake(text: str) -> str:
    return "_".join(words(text))


def pascal(text: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in words(text))


def camel(text: str) -> str:
    name = pascal(text)
    return name[:1].lower() + name[1:]


def _safe(name: str, fallback: str, reserved: frozenset[str], prefix: str) -> str:
    if not name:
        name = fallback
    if name[0].isdigit():
        name = prefix + name
    if name in reserved:
        name += "_"
    return name


def python_name(text: str, fallback: str = "value") -> str:
    """A snake_case Python identifier that shadows nothing the generated code uses."""
    return _safe(snake(text), fallback, PYTHON_RESERVED, "n_")


def python_type_name(text: str, fallback: str = "Model") -> str:
    return _safe(pascal(text), fallback, PYTHON_TYPE_RESERVED, "T")


def ts_name(text: str, fallback: str = "value") -> str:
    """A camelCase TypeScript identifier that is not a reserved word."""
    return _safe(camel(text), fallback, TYPESCRIPT_RESERVED, "n")


def ts_type_name(text: str, fallback: str = "Model") -> str:
    return _safe(pascal(text), fallback, TYPESCRIPT_TYPE_RESERVED, "T")


def is_ts_identifier(text: str) -> bool:
    return re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", text) is not None


def unique(name: str, taken: set[str]) -> str:
    """`name`, or `name2`, `name3`... whichever is free; records the result as taken."""
    candidate, n = name, 2
    while candidate in taken:
        separator = "_" if "_" in name or name.islower() else ""
        candidate = f"{name}{separator}{n}"
        n += 1
    taken.add(candidate)
    return candidate


def operation_words(method: str, path: str, summary: str | None) -> list[str]:
    """What to call an operation: a short summary ("List users") reads best; otherwise the
    method and the path."""
    if summary:
        said = words(summary)
        if 1 <= len(said) <= 6:
            return said
    return route_words(method, path)


def route_words(method: str, path: str) -> list[str]:
    """ "GET /users/{id}" -> get users by id."""
    parts = [method.lower()]
    for segment in path.strip("/").split("/"):
        if not segment:
            continue
        if segment.startswith("{") and segment.endswith("}"):
            parts.extend(["by", *words(segment[1:-1])])
        else:
            parts.extend(words(segment))
    return parts


def method_name(
    op_words: list[str], fallback_words: list[str], style: Callable[[str, str], str], taken: set[str]
) -> str:
    """A free method name: the operation's own, else (two summaries alike) its route's, else numbered."""
    first = style("_".join(op_words), "call")
    if first in taken:
        first = style("_".join(fallback_words), "call")
    return unique(first, taken)
