"""The knowledge graph on real PostgreSQL and ClickHouse, and the Database and Graph tabs."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from app.domain.discovery import graph_queries
from app.domain.discovery.graph import rebuild_graph

pytestmark = pytest.mark.engines

USERS = {
    "schema": "public",
    "name": "users",
    "row_estimate": 12,
    "columns": [
        {"name": "id", "type": "bigint", "nullable": False, "default": None},
        {"name": "email", "type": "text", "nullable": False, "default": None},
    ],
    "primary_key": ["id"],
    "foreign_keys": [],
    "indexes": [{"name": "users_pkey", "columns": ["id"], "unique": True, "primary": True}],
}
ORDERS = {
    "schema": "public",
    "name": "orders",
    "row_estimate": None,
    "columns": [
        {"name": "id", "type": "bigint", "nullable": False, "default": None},
        {"name": "user_id", "type": "bigint", "nullable": False, "default": None},
        {"name": "total", "type": "numeric(10,2)", "nullable": True, "default": "0"},
    ],
    "primary_key": ["id"],
    "foreign_keys": [
        {
            "name": "orders_user_id_fkey",
            "columns": ["user_id"],
            "references_schema": "public",
            "references_table": "users",
            "references_columns": ["id"],
        }
    ],
    "indexes": [{"name": "orders_pkey", "columns": ["id"], "unique": True, "primary": True}],
}
ENDPOINTS = [("GET", "/users"), ("GET", "/users/{id}"), ("POST", "/orders")]


async def _discovered_app(started_app: Any, client: Any, owner: Any) -> dict[str, Any]:
    """An application with a connection whose discovery found ENDPOINTS and the two tables
    (written as the discovery store writes them)."""
    app = (await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=owner.headers)).json()
    async with started_app.state.engines.postgres.pool.connection() as conn:
        connection = await (
            await conn.execute(
                "INSERT INTO connections (org_id, app_id, type, name) VALUES (%s, %s, 'rest_api', 'api') RETURNING id",
                (owner.org_id, app["id"]),
            )
        ).fetchone()
        for method, path in ENDPOINTS:
            await conn.execute(
                "INSERT INTO api_endpoints (org_id, app_id, connection_id, method, path) VALUES (%s, %s, %s, %s, %s)",
                (owner.org_id, app["id"], connection["id"], method, path),
            )
        for t in (USERS, ORDERS):
            await conn.execute(
                """INSERT INTO database_schemas (org_id, app_id, connection_id, schema_name, table_name, row_estimate,
                       columns, primary_key, foreign_keys, indexes) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                (
                    owner.org_id,
                    app["id"],
                    connection["id"],
                    t["schema"],
                    t["name"],
                    t["row_estimate"],
                    Jsonb(t["columns"]),
                    Jsonb(t["primary_key"]),
                    Jsonb(t["foreign_keys"]),
                    Jsonb(t["indexes"]),
                ),
            )
    return app


EXPECTED = {
    ("table", "public.orders", "references", "table", "public.users"),
    ("endpoint", "GET /users", "reads", "table", "public.users"),
    ("endpoint", "GET /users/{id}", "reads", "table", "public.users"),
    ("endpoint", "POST /orders", "writes", "table", "public.orders"),
}
OBSERVED = ("endpoint", "GET /users/{id}", "observed_as", "metric", "GET /users/42")


def _summary(rows: list[dict[str, Any]]) -> set[tuple[str, ...]]:
    return {(r["source_kind"], r["source_ref"], r["relation"], r["target_kind"], r["target_ref"]) for r in rows}


async def test_rebuild_links_endpoints_tables_and_traffic(started_app: Any, client: Any, make_org: Any) -> None:
    owner = await make_org("Graph")
    app = await _discovered_app(started_app, client, owner)
    pool = started_app.state.engines.postgres.pool
    async with pool.connection() as conn:
        count = await rebuild_graph(
            conn, owner.org_id, app["id"], [("GET", "/users/42", 12.5), ("GET", "/nowhere", 1.0)]
        )
        rows = await graph_queries.edges(conn, owner.org_id, app["id"])
    assert count == 5
    assert _summary(rows) == EXPECTED | {OBSERVED}
    observed = next(r for r in rows if r["relation"] == "observed_as")
    assert observed["confidence"] == pytest.approx(0.9)
    assert observed["evidence"] == {"avg_ms": 12.5}
    # A discovery run rebuilds without traffic at hand: observed links of live endpoints stay.
    async with pool.connection() as conn:
        assert await rebuild_graph(conn, owner.org_id, app["id"]) == 5
        await conn.execute("DELETE FROM api_endpoints WHERE org_id = %s AND path = '/users/{id}'", (owner.org_id,))
        assert await rebuild_graph(conn, owner.org_id, app["id"]) == 3
        assert _summary(await graph_queries.edges(conn, owner.org_id, app["id"])) == EXPECTED - {
            ("endpoint", "GET /users/{id}", "reads", "table", "public.users")
        }
    # Another organisation's graph is its own.
    other = await make_org("Other")
    async with pool.connection() as conn:
        assert await graph_queries.edges(conn, other.org_id, app["id"]) == []


async def test_observed_endpoints_come_from_performance_metrics(started_app: Any, client: Any, make_org: Any) -> None:
    owner = await make_org("Perf")
    app = (await client.post("/v1/applications", json={"name": "Perf", "type": "web"}, headers=owner.headers)).json()
    metrics = [
        {"endpoint": "/users/{id}", "method": "GET", "status_code": 200, "duration_ms": 10},
        {"endpoint": "/users/{id}", "method": "GET", "status_code": 200, "duration_ms": 30},
        {"endpoint": "/orders", "method": "POST", "status_code": 201, "duration_ms": 50},
    ]
    sent = await client.post(
        "/v1/performance/batch", json={"metrics": metrics}, headers={"X-API-Key": app["ingest_key"]}
    )
    assert sent.status_code == 200, sent.text
    deadline = time.monotonic() + 10
    while True:
        observed = await graph_queries.observed_endpoints(started_app.state.engines.clickhouse, app["id"])
        if len(observed) == 2 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert sorted(observed) == [("GET", "/users/{id}", 20.0), ("POST", "/orders", 50.0)]


def _csrf(html: str) -> str:
    return html.split('name="_csrf_token" value="')[1].split('"')[0]


async def test_database_and_graph_tabs(started_app: Any, client: Any, make_org: Any, login: Any) -> None:
    owner = await make_org("Tabs")
    app = await _discovered_app(started_app, client, owner)
    browser = await login(owner)
    page = await browser.get(f"/applications/{app['id']}/database")
    assert page.status_code == 200
    assert 'id="table-public.orders"' in page.text
    assert 'href="#table-public.users"' in page.text
    assert "About 12 rows (estimate)" in page.text
    assert "never analysed" in page.text
    found = await browser.get(
        f"/applications/{app['id']}/database?q=user_id", headers={"HX-Request": "true", "HX-Target": "database-tables"}
    )
    assert 'id="table-public.orders"' in found.text
    assert 'id="table-public.users"' not in found.text
    assert "<html" not in found.text  # only the swapped block

    graph_page = await browser.get(f"/applications/{app['id']}/graph")
    assert graph_page.status_code == 200
    assert "No links found yet" in graph_page.text
    rebuilt = await browser.post(
        f"/applications/{app['id']}/graph/rebuild", data={"_csrf_token": _csrf(graph_page.text)}
    )
    assert rebuilt.status_code == 303
    graph_page = await browser.get(f"/applications/{app['id']}/graph")
    assert "4 links" in graph_page.text
    assert "orders_user_id_fkey" in graph_page.text
    assert 'class="graph__figure"' in graph_page.text
    async with started_app.state.engines.postgres.pool.connection() as conn:
        audit = await (
            await conn.execute(
                "SELECT details FROM audit_log WHERE org_id = %s AND action = 'knowledge_graph.rebuild'",
                (owner.org_id,),
            )
        ).fetchone()
    assert audit["details"] == {"edges": 4}


async def test_tabs_empty_states_and_isolation(started_app: Any, client: Any, make_org: Any, login: Any) -> None:
    owner = await make_org("Empty")
    app = (await client.post("/v1/applications", json={"name": "Bare", "type": "web"}, headers=owner.headers)).json()
    browser = await login(owner)
    for tab in ("database", "graph"):
        page = await browser.get(f"/applications/{app['id']}/{tab}")
        assert page.status_code == 200
        assert f"/applications/{app['id']}/connections" in page.text
    stranger = await login(await make_org("Stranger"))
    for tab in ("database", "graph"):
        assert (await stranger.get(f"/applications/{app['id']}/{tab}")).status_code == 404
