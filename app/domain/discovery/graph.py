"""The knowledge graph: which endpoints touch which tables, how tables reference each other,
and which endpoints real traffic has been seen on.

Edges are inferred by small pure functions (tested on hand-made endpoints and tables):
- endpoint → table ('reads' for GET/QUERY..., 'writes' otherwise): a path's resource
  segments (or a GraphQL field's words) against table names, singular and plural alike,
  strengthened by request/response property names that are also the table's columns; or,
  without a name match, by a large share of shared column names alone (lower confidence);
- table → table ('references'): the foreign keys, confidence 1;
- endpoint → metric ('observed_as'): performance metrics (method, path) matched to the
  endpoint's path template, '/users/{id}' against '/users/42', the most literal match winning.

`rebuild_graph` replaces an application's edges in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import msgspec
from psycopg import AsyncConnection

from app.domain.discovery import graph_queries

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "QUERY", "SUBSCRIPTION"})
GRAPHQL_METHODS = frozenset({"QUERY", "MUTATION", "SUBSCRIPTION"})
# Path segments that name no resource.
NOT_RESOURCES = frozenset({"api", "rest", "graphql", "public", "internal", "admin", "v", "search", "me", "by"})
# GraphQL field words that say what is done, not to what ('createOrder', 'userById').
VERBS = frozenset(
    {
        "get",
        "list",
        "all",
        "find",
        "fetch",
        "search",
        "create",
        "add",
        "insert",
        "update",
        "edit",
        "set",
        "delete",
        "remove",
        "upsert",
        "save",
        "on",
        "new",
        "my",
    }
)
# Columns nearly every table has: sharing them says nothing about which table is meant.
GENERIC_COLUMNS = frozenset({"id", "created_at", "updated_at", "deleted_at", "name", "type", "status"})
NAME_LAST, NAME_EARLIER = 0.9, 0.6


class Edge(msgspec.Struct, kw_only=True, frozen=True):
    source_kind: str
    source_ref: str
    target_kind: str
    target_ref: str
    relation: str
    confidence: float
    evidence: dict[str, Any] = msgspec.field(default_factory=dict)


def words(name: str) -> list[str]:
    """'orderLines' / 'order_lines' / 'Order-Lines' → ['order', 'lines']."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def singular(word: str) -> str:
    """English plural to singular, the common cases only (tables are named simply)."""
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if len(word) > 1 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def resource_key(name: str) -> str:
    """A table or resource name in one comparable form: 'OrderLines' → 'order_line'."""
    parts = words(name)
    return "_".join([*parts[:-1], singular(parts[-1])]) if parts else ""


def table_ref(schema: str, name: str) -> str:
    return f"{schema}.{name}"


def endpoint_ref(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


def resources(method: str, path: str) -> list[tuple[str, float]]:
    """The resources an endpoint names, with a weight: the last one is what it acts on."""
    if method.upper() in GRAPHQL_METHODS:
        parts = words(path)
        if "by" in parts:  # 'userById' acts on users
            parts = parts[: parts.index("by")]
        parts = [p for p in parts if p not in VERBS]
        return [(resource_key("_".join(parts)), NAME_LAST)] if parts else []
    segments = [
        s
        for s in path.split("?")[0].strip("/").split("/")
        if s
        and not s.startswith("{")
        and not s.startswith(":")
        and s.lower() not in NOT_RESOURCES
        and not re.fullmatch(r"v\d+(\.\d+)?|\d+", s.lower())
    ]
    found: list[tuple[str, float]] = []
    for position, segment in enumerate(reversed(segments)):
        key = resource_key(segment)
        if key and key not in (k for k, _ in found):
            found.append((key, NAME_LAST if position == 0 else NAME_EARLIER))
    return found


def schema_properties(schema: Any, depth: int = 4) -> set[str]:
    """Property names anywhere in a JSON Schema (through items, allOf/anyOf/oneOf, status codes)."""
    found: set[str] = set()
    if depth < 0 or not isinstance(schema, dict):
        return found
    for name, sub in (schema.get("properties") or {}).items():
        found.add(str(name).lower())
        found |= schema_properties(sub, depth - 1)
    for key in ("items", "additionalProperties"):
        found |= schema_properties(schema.get(key), depth - 1)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            found |= schema_properties(sub, depth - 1)
    for key, sub in schema.items():  # a response schema keyed by status code: {"200": {...}}
        if key.isdigit() or key in ("default", "content", "application/json", "schema"):
            found |= schema_properties(sub, depth - 1)
    return found


def endpoint_properties(endpoint: dict[str, Any]) -> set[str]:
    names = {str(p.get("name", "")).lower() for p in endpoint.get("parameters") or [] if isinstance(p, dict)}
    names |= schema_properties(endpoint.get("request_schema"))
    names |= schema_properties(endpoint.get("response_schema"))
    return {n for n in names if n}


def match_endpoint_table(endpoint: dict[str, Any], table: dict[str, Any]) -> tuple[float, dict[str, Any]] | None:
    """How surely `endpoint` touches `table` (0-1] and why, or None."""
    key = resource_key(table["name"])
    name_score = max((w for k, w in resources(endpoint["method"], endpoint["path"]) if k == key), default=0.0)
    columns = {str(c["name"]).lower() for c in table.get("columns") or []}
    properties = endpoint_properties(endpoint)
    shared = sorted(properties & columns)
    overlap = len(shared) / len(properties) if properties else 0.0
    evidence: dict[str, Any] = {"shared_columns": shared}
    if name_score:
        evidence["name"] = key
        return round(min(1.0, name_score + 0.1 * overlap), 2), evidence
    meaningful = [c for c in shared if c not in GENERIC_COLUMNS]
    if len(meaningful) >= 2 and overlap >= 0.5:
        return round(0.3 + 0.4 * overlap, 2), evidence
    return None


def table_edges(tables: Iterable[dict[str, Any]]) -> list[Edge]:
    """One 'references' edge per foreign key."""
    return [
        Edge(
            source_kind="table",
            source_ref=table_ref(table["schema"], table["name"]),
            target_kind="table",
            target_ref=table_ref(fk["references_schema"], fk["references_table"]),
            relation="references",
            confidence=1.0,
            evidence={
                "constraint": fk["name"],
                "columns": fk["columns"],
                "references_columns": fk["references_columns"],
            },
        )
        for table in tables
        for fk in table.get("foreign_keys") or []
    ]


def endpoint_table_edges(endpoints: Iterable[dict[str, Any]], tables: list[dict[str, Any]]) -> list[Edge]:
    edges = []
    for endpoint in endpoints:
        method = endpoint["method"].upper()
        for table in tables:
            match = match_endpoint_table(endpoint, table)
            if match is not None:
                edges.append(
                    Edge(
                        source_kind="endpoint",
                        source_ref=endpoint_ref(method, endpoint["path"]),
                        target_kind="table",
                        target_ref=table_ref(table["schema"], table["name"]),
                        relation="reads" if method in READ_METHODS else "writes",
                        confidence=match[0],
                        evidence=match[1],
                    )
                )
    return edges


def path_match(template: str, concrete: str) -> int | None:
    """How literally `template` ('/users/{id}') matches `concrete` ('/users/42'): the number of
    literal segments that agree, or None when it does not match at all."""
    wanted = template.split("?")[0].strip("/").split("/")
    actual = concrete.split("?")[0].strip("/").split("/")
    if len(wanted) != len(actual):
        return None
    literal = 0
    for pattern, segment in zip(wanted, actual, strict=True):
        if re.fullmatch(r"\{[^/{}]+\}|:[A-Za-z_]\w*", pattern):
            if not segment:
                return None
        elif pattern != segment:
            return None
        else:
            literal += 1
    return literal


def observed_edges(endpoints: Iterable[dict[str, Any]], observed: Iterable[tuple[str, str, float]]) -> list[Edge]:
    """Each observed (method, path, average ms) linked to the endpoint whose template fits it best."""
    templates = [(e["method"].upper(), e["path"]) for e in endpoints if e["method"].upper() not in GRAPHQL_METHODS]
    edges = []
    for method, path, avg_ms in observed:
        best: tuple[int, str] | None = None
        for candidate_method, template in templates:
            if candidate_method != method.upper():
                continue
            literal = path_match(template, path)
            if literal is not None and (best is None or literal > best[0]):
                best = (literal, template)
        if best is None:
            continue
        exact = best[1].strip("/") == path.split("?")[0].strip("/")
        edges.append(
            Edge(
                source_kind="endpoint",
                source_ref=endpoint_ref(method, best[1]),
                target_kind="metric",
                target_ref=endpoint_ref(method, path),
                relation="observed_as",
                confidence=1.0 if exact else 0.9,
                evidence={"avg_ms": round(float(avg_ms), 2)},
            )
        )
    return edges


def build_edges(
    endpoints: list[dict[str, Any]], tables: list[dict[str, Any]], observed: Iterable[tuple[str, str, float]] = ()
) -> list[Edge]:
    """All edges, one per (source, target, relation), keeping the most confident."""
    best: dict[tuple[str, str, str, str, str], Edge] = {}
    for edge in table_edges(tables) + endpoint_table_edges(endpoints, tables) + observed_edges(endpoints, observed):
        key = (edge.source_kind, edge.source_ref, edge.target_kind, edge.target_ref, edge.relation)
        if key not in best or edge.confidence > best[key].confidence:
            best[key] = edge
    return list(best.values())


async def rebuild_graph(
    conn: AsyncConnection[Any], org_id: str, app_id: str, observed: list[tuple[str, str, float]] | None = None
) -> int:
    """Replace the application's edges; returns how many there are now.

    Without `observed` (a discovery run has no ClickHouse at hand) the previous 'observed_as'
    edges are kept for the endpoints that still exist.
    """
    endpoints = await graph_queries.endpoints(conn, org_id, app_id)
    tables = await graph_queries.tables(conn, org_id, app_id)
    edges = build_edges(endpoints, tables, observed or ())
    if observed is None:
        present = {endpoint_ref(e["method"], e["path"]) for e in endpoints}
        edges += [
            Edge(**row)
            for row in await graph_queries.edges(conn, org_id, app_id, relation="observed_as")
            if row["source_ref"] in present
        ]
    await graph_queries.replace_edges(conn, org_id, app_id, [msgspec.structs.asdict(e) for e in edges])
    return len(edges)
