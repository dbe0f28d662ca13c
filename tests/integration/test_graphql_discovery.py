"""GraphQL discovery against a real GraphQL server (strawberry under uvicorn on loopback):
directly through `discover_graphql`, and end to end through the API and the job queue."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pytest
import strawberry
import uvicorn
from strawberry.extensions import DisableIntrospection

from app.core.outbound import OutboundClient, OutboundRefused
from app.domain.discovery.graphql import GraphQLDiscoveryError, discover_graphql, graphql_types, introspect
from app.settings import OutboundSettings

pytestmark = pytest.mark.engines


@strawberry.enum
class Role(Enum):
    ADMIN = "admin"
    MEMBER = "member"


@strawberry.type
class Order:
    id: strawberry.ID
    total: float


@strawberry.type(description="A person with an account.")
class User:
    id: strawberry.ID
    name: str
    role: Role
    orders: list[Order]


@strawberry.input
class NewOrder:
    user_id: strawberry.ID
    total: float


USERS = [User(id=strawberry.ID("1"), name="Ada", role=Role.ADMIN, orders=[])]


@strawberry.type
class Query:
    @strawberry.field(description="One user by id.")
    def user(self, id: strawberry.ID) -> User | None:
        return next((u for u in USERS if u.id == id), None)

    @strawberry.field
    def users(self, role: Role | None = None, limit: int = 10) -> list[User]:
        return USERS[:limit]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def place_order(self, order: NewOrder) -> Order:
        return Order(id=strawberry.ID("9"), total=order.total)


SCHEMAS = {
    "/graphql": strawberry.Schema(query=Query, mutation=Mutation),
    "/locked": strawberry.Schema(query=Query, extensions=[DisableIntrospection]),
}


async def router(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """/graphql: the open schema; /locked: introspection disabled; anything else: an HTML page.

    GraphQL over HTTP in its plainest form (POST JSON, answer JSON), executed by strawberry."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    schema = SCHEMAS.get(scope["path"])
    if schema is None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        return await send({"type": "http.response.body", "body": b"<html>a shop</html>"})
    request = json.loads(body)
    result = await schema.execute(
        request["query"], request.get("variables"), operation_name=request.get("operationName")
    )
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [{"message": error.message} for error in result.errors]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(answer).encode()})


@pytest.fixture(scope="module")
def graphql_url() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(router, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the GraphQL test server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


@dataclass
class Target:
    base_url: str | None


class Steps:
    def __init__(self) -> None:
        self.names: list[str] = []

    async def step(self, name: str, progress: int, detail: str = "") -> None:
        self.names.append(name)


@pytest.fixture
async def outbound() -> Any:
    client = OutboundClient(OutboundSettings(allowlist=("127.0.0.1",)))
    yield client
    await client.aclose()


async def test_discovers_exactly_the_types_and_operations(graphql_url: str, outbound: OutboundClient) -> None:
    steps = Steps()
    endpoints = await discover_graphql(Target(f"{graphql_url}/graphql"), outbound, {}, {}, steps)
    assert {(e.method, e.path) for e in endpoints} == {
        ("QUERY", "user"),
        ("QUERY", "users"),
        ("MUTATION", "placeOrder"),
    }
    by_path = {e.path: e for e in endpoints}
    assert by_path["user"].summary == "One user by id."
    assert [(p["name"], p["required"]) for p in by_path["user"].parameters] == [("id", True)]
    assert [(p["name"], p["required"]) for p in by_path["users"].parameters] == [("role", False), ("limit", False)]
    assert by_path["users"].response_schema is not None
    users = by_path["users"].response_schema["200"]
    assert users["type"] == "array"
    assert users["items"]["title"] == "User"
    assert set(users["items"]["properties"]) == {"id", "name", "role", "orders"}
    assert users["$defs"]["Role"] == {"type": "string", "enum": ["ADMIN", "MEMBER"]}
    assert by_path["placeOrder"].request_schema is not None
    assert set(by_path["placeOrder"].request_schema["$defs"]["NewOrder"]["properties"]) == {"userId", "total"}
    assert steps.names == ["Read the GraphQL schema", "Listed GraphQL operations"]
    schema = await introspect(Target(f"{graphql_url}/graphql"), outbound, {}, {})
    assert {t["name"] for t in graphql_types(schema)} == {"User", "Order", "Role", "NewOrder", "Query", "Mutation"}


async def test_not_graphql_and_introspection_disabled_are_explained(graphql_url: str, outbound: OutboundClient) -> None:
    with pytest.raises(GraphQLDiscoveryError, match="did not answer with JSON"):
        await discover_graphql(Target(f"{graphql_url}/shop"), outbound, {}, {}, Steps())
    with pytest.raises(GraphQLDiscoveryError, match="introspection may be disabled"):
        await discover_graphql(Target(f"{graphql_url}/locked"), outbound, {}, {}, Steps())


async def test_private_targets_are_refused() -> None:
    client = OutboundClient(OutboundSettings(allowlist=()))
    try:
        with pytest.raises(OutboundRefused):
            await discover_graphql(Target("http://10.0.0.5/graphql"), client, {}, {}, Steps())
    finally:
        await client.aclose()


async def test_discovery_through_the_api(client: Any, make_org: Any, graphql_url: str) -> None:
    owner = await make_org("Gql")
    headers = owner.headers
    app = (await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=headers)).json()
    created = await client.post(
        f"/v1/applications/{app['id']}/connections",
        json={"type": "graphql", "base_url": f"{graphql_url}/graphql"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    started = await client.post(f"/v1/connections/{created.json()['id']}/discover", headers=headers)
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    deadline = time.monotonic() + 30
    while True:
        job = (await client.get(f"/v1/jobs/{job_id}", headers=headers)).json()
        if job["status"] in ("completed", "failed"):
            break
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.1)
    assert job["status"] == "completed", job
    items = (await client.get(f"/v1/applications/{app['id']}/endpoints", headers=headers)).json()["items"]
    assert {(e["method"], e["path"]) for e in items} == {
        ("QUERY", "user"),
        ("QUERY", "users"),
        ("MUTATION", "placeOrder"),
    }
