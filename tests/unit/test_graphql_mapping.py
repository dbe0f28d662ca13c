"""GraphQL introspection → endpoints and types, on a schema written here (graphql-core
answers the same introspection query a server would)."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import build_schema, graphql_sync

from app.domain.discovery.graphql import (
    INTROSPECTION_QUERY,
    GraphQLDiscoveryError,
    endpoints_from_introspection,
    graphql_types,
    schema_of,
    type_label,
)

SDL = '''
"""A person with an account."""
type User { id: ID! name: String email: String! role: Role! orders(first: Int = 10): [Order!]! }
type Order { id: ID! total: Float! user: User! placedAt: DateTime }
enum Role { ADMIN MEMBER }
scalar DateTime
input NewOrder { userId: ID!, total: Float! }
union SearchResult = User | Order
type Query {
  "Look a user up by id."
  user(id: ID!): User
  users(role: Role, limit: Int = 20): [User!]!
  search(text: String!): [SearchResult!]!
}
type Mutation { placeOrder(order: NewOrder!): Order! }
type Subscription { orderPlaced: Order! }
'''


@pytest.fixture(scope="module")
def introspection() -> dict[str, Any]:
    result = graphql_sync(build_schema(SDL), INTROSPECTION_QUERY)
    assert result.errors is None
    return schema_of({"data": result.data}, 200)


def test_one_endpoint_per_root_field(introspection: dict[str, Any]) -> None:
    endpoints = endpoints_from_introspection(introspection)
    assert [(e.method, e.path) for e in endpoints] == [
        ("QUERY", "user"),
        ("QUERY", "users"),
        ("QUERY", "search"),
        ("MUTATION", "placeOrder"),
        ("SUBSCRIPTION", "orderPlaced"),
    ]


def test_arguments_become_parameters(introspection: dict[str, Any]) -> None:
    by_path = {e.path: e for e in endpoints_from_introspection(introspection)}
    user = by_path["user"]
    assert user.summary == "Look a user up by id."
    assert user.parameters == [{"name": "id", "in": "argument", "required": True, "schema": {"type": "string"}}]
    assert by_path["users"].parameters == [
        {"name": "role", "in": "argument", "required": False, "schema": {"$ref": "#/$defs/Role"}},
        {"name": "limit", "in": "argument", "required": False, "schema": {"type": "integer", "default": "20"}},
    ]
    assert by_path["users"].request_schema == {
        "type": "object",
        "properties": {"role": {"$ref": "#/$defs/Role"}, "limit": {"type": "integer", "default": "20"}},
        "required": [],
        "$defs": {"Role": {"type": "string", "enum": ["ADMIN", "MEMBER"]}},
    }
    order_input = by_path["placeOrder"].request_schema
    assert order_input is not None
    assert order_input["required"] == ["order"]
    assert order_input["$defs"]["NewOrder"]["properties"] == {"userId": {"type": "string"}, "total": {"type": "number"}}
    assert by_path["orderPlaced"].request_schema is None
    assert by_path["orderPlaced"].parameters == []


def test_return_types_are_expanded_two_levels_with_defs(introspection: dict[str, Any]) -> None:
    by_path = {e.path: e for e in endpoints_from_introspection(introspection)}
    assert by_path["user"].response_schema is not None
    schema = by_path["user"].response_schema["200"]
    assert schema["title"] == "User"
    assert schema["description"] == "A person with an account."
    assert schema["required"] == ["id", "email", "role", "orders"]
    assert schema["properties"]["role"] == {"$ref": "#/$defs/Role"}
    orders = schema["properties"]["orders"]
    assert orders["type"] == "array"
    assert orders["items"]["title"] == "Order"
    # Second level written out; the third is a reference.
    assert orders["items"]["properties"]["user"] == {"$ref": "#/$defs/User"}
    assert orders["items"]["properties"]["placedAt"] == {"type": "string", "format": "DateTime"}
    assert set(schema["$defs"]) == {"User", "Order", "Role", "DateTime"}
    search = by_path["search"].response_schema["200"]  # type: ignore[index]
    assert search["items"] == {"$ref": "#/$defs/SearchResult"}
    assert search["$defs"]["SearchResult"] == {
        "title": "SearchResult",
        "anyOf": [{"$ref": "#/$defs/User"}, {"$ref": "#/$defs/Order"}],
    }


def test_type_catalogue(introspection: dict[str, Any]) -> None:
    types = {t["name"]: t for t in graphql_types(introspection)}
    assert set(types) == {
        "User",
        "Order",
        "Role",
        "DateTime",
        "NewOrder",
        "SearchResult",
        "Query",
        "Mutation",
        "Subscription",
    }
    assert types["Role"]["kind"] == "ENUM"
    assert types["Role"]["values"] == ["ADMIN", "MEMBER"]
    assert {f["name"]: f["type"] for f in types["User"]["fields"]}["orders"] == "[Order!]!"
    assert types["SearchResult"]["members"] == ["User", "Order"]
    assert type_label({"kind": "LIST", "ofType": {"kind": "SCALAR", "name": "Int"}}) == "[Int]"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"hello": "world"}, "not a GraphQL response"),
        (["x"], "not a GraphQL response"),
        (
            {"errors": [{"message": "GraphQL introspection is not allowed"}]},
            r"introspection may be disabled\): GraphQL introspection is not allowed",
        ),
        ({"data": {"__schema": {"types": []}}}, "no types or no query type"),
    ],
)
def test_bad_answers_are_explained(body: Any, words: str) -> None:
    with pytest.raises(GraphQLDiscoveryError, match=words):
        schema_of(body, 200)
