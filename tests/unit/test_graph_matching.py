"""The knowledge graph's matching rules on hand-made endpoints and tables."""

from __future__ import annotations

import pytest

from app.domain.discovery.graph import (
    Edge,
    build_edges,
    match_endpoint_table,
    observed_edges,
    path_match,
    resource_key,
    resources,
    singular,
    words,
)


def ep(method: str, path: str, **extra: object) -> dict[str, object]:
    return {"method": method, "path": path, "parameters": [], **extra}


def tbl(name: str, columns: list[str], fks: list[dict[str, object]] | None = None) -> dict[str, object]:
    return {"schema": "public", "name": name, "columns": [{"name": c} for c in columns], "foreign_keys": fks or []}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("users", "user"),
        ("categories", "category"),
        ("addresses", "address"),
        ("boxes", "box"),
        ("status", "status"),
        ("class", "class"),
        ("user", "user"),
        ("matches", "match"),
    ],
)
def test_singular(word: str, expected: str) -> None:
    assert singular(word) == expected


def test_words_and_keys() -> None:
    assert words("orderLines") == ["order", "lines"]
    assert words("order-lines") == ["order", "lines"]
    assert resource_key("OrderLines") == resource_key("order_lines") == resource_key("order-line") == "order_line"


def test_resources_of_rest_paths() -> None:
    assert resources("GET", "/api/v1/users/{id}/orders") == [("order", 0.9), ("user", 0.6)]
    assert resources("GET", "/users/:id") == [("user", 0.9)]
    assert resources("GET", "/") == []


def test_resources_of_graphql_fields() -> None:
    assert resources("QUERY", "userById") == [("user", 0.9)]
    assert resources("MUTATION", "createOrderLine") == [("order_line", 0.9)]
    assert resources("QUERY", "allUsers") == [("user", 0.9)]


def test_name_match_with_column_evidence() -> None:
    users = tbl("users", ["id", "email", "name"])
    plain = match_endpoint_table(ep("GET", "/users"), users)
    assert plain == (0.9, {"shared_columns": [], "name": "user"})
    schema = {
        "200": {"type": "array", "items": {"type": "object", "properties": {"id": {}, "email": {}, "x": {}, "y": {}}}}
    }
    assert match_endpoint_table(ep("GET", "/users", response_schema=schema), users) == (
        0.95,
        {"shared_columns": ["email", "id"], "name": "user"},
    )


def test_column_overlap_alone_is_weaker_and_needs_meaningful_columns() -> None:
    orders = tbl("orders", ["id", "user_id", "total", "currency"])
    body = {"type": "object", "properties": {"user_id": {}, "total": {}, "currency": {}}}
    assert match_endpoint_table(ep("POST", "/checkout", request_schema=body), orders) == (
        0.7,
        {"shared_columns": ["currency", "total", "user_id"]},
    )
    generic = {"type": "object", "properties": {"id": {}, "name": {}}}
    assert match_endpoint_table(ep("POST", "/checkout", request_schema=generic), tbl("t", ["id", "name"])) is None
    assert match_endpoint_table(ep("GET", "/health"), orders) is None


@pytest.mark.parametrize(
    ("template", "concrete", "expected"),
    [
        ("/users/{id}", "/users/42", 1),
        ("/users/{id}", "/users/42/", 1),
        ("/users/{id}", "/users", None),
        ("/users/{id}", "/orders/42", None),
        ("/users/me", "/users/me", 2),
        ("/users/:id/orders", "/users/7/orders?page=2", 2),
        ("/users/{id}", "/users//", None),
    ],
)
def test_path_match(template: str, concrete: str, expected: int | None) -> None:
    assert path_match(template, concrete) == expected


def test_observed_picks_the_most_literal_template() -> None:
    endpoints = [ep("GET", "/users/{id}"), ep("GET", "/users/me"), ep("POST", "/users"), ep("QUERY", "users")]
    edges = observed_edges(
        endpoints,
        [("GET", "/users/42", 12.5), ("get", "/users/me", 3.0), ("GET", "/nowhere", 1.0), ("POST", "/users", 8.0)],
    )
    assert [(e.source_ref, e.target_ref, e.confidence, e.evidence) for e in edges] == [
        ("GET /users/{id}", "GET /users/42", 0.9, {"avg_ms": 12.5}),
        ("GET /users/me", "GET /users/me", 1.0, {"avg_ms": 3.0}),
        ("POST /users", "POST /users", 1.0, {"avg_ms": 8.0}),
    ]


def test_build_edges_for_users_and_orders() -> None:
    endpoints = [ep("GET", "/users"), ep("GET", "/users/{id}"), ep("POST", "/orders")]
    fk = {
        "name": "orders_user_id_fkey",
        "columns": ["user_id"],
        "references_schema": "public",
        "references_table": "users",
        "references_columns": ["id"],
    }
    tables = [tbl("users", ["id", "email"]), tbl("orders", ["id", "user_id", "total"], [fk])]
    edges = build_edges(endpoints, tables, [("GET", "/users/7", 4.0)])
    summary = {(e.source_ref, e.relation, e.target_ref, e.confidence) for e in edges}
    assert summary == {
        ("public.orders", "references", "public.users", 1.0),
        ("GET /users", "reads", "public.users", 0.9),
        ("GET /users/{id}", "reads", "public.users", 0.9),
        ("POST /orders", "writes", "public.orders", 0.9),
        ("GET /users/{id}", "observed_as", "GET /users/7", 0.9),
    }
    fk_edge = next(e for e in edges if e.relation == "references")
    assert fk_edge == Edge(
        source_kind="table",
        source_ref="public.orders",
        target_kind="table",
        target_ref="public.users",
        relation="references",
        confidence=1.0,
        evidence={"constraint": "orders_user_id_fkey", "columns": ["user_id"], "references_columns": ["id"]},
    )


def test_graph_view_draws_every_node_once_and_lays_out_the_same_each_time() -> None:
    from components.graph import graph_view

    edges = [
        {
            "source_kind": "table",
            "source_ref": "public.orders",
            "target_kind": "table",
            "target_ref": "public.users",
            "relation": "references",
            "confidence": 1.0,
        },
        {
            "source_kind": "endpoint",
            "source_ref": "GET /users",
            "target_kind": "table",
            "target_ref": "public.users",
            "relation": "reads",
            "confidence": 0.9,
        },
    ]
    view = graph_view(edges, [("table", "public.audit"), ("table", "public.users")])
    assert set(view["nodes"]) == {
        "table:public.orders",
        "table:public.users",
        "endpoint:GET /users",
        "table:public.audit",
    }
    assert view["counts"] == {"table": 3, "endpoint": 1}
    assert view["relations"] == ["reads", "references"]
    assert view["nodes"]["table:public.users"]["links"] == [
        {"relation": "references", "confidence": 1.0, "to": "table:public.orders", "direction": "in"},
        {"relation": "reads", "confidence": 0.9, "to": "endpoint:GET /users", "direction": "in"},
    ]
    nodes = [t for t in view["figure"]["data"] if t.get("customdata")]
    assert sorted(i for t in nodes for i in t["customdata"]) == sorted(view["nodes"])
    xs = [x for t in nodes for x in t["x"]]
    assert all(-1 <= x <= 1 for x in xs)
    assert len({(round(x, 2), round(y, 2)) for t in nodes for x, y in zip(t["x"], t["y"], strict=True)}) == 4
    assert graph_view(edges, [("table", "public.audit"), ("table", "public.users")])["figure"] == view["figure"]
