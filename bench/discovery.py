"""REST discovery of a large API: one OpenAPI 3.1 document with 2,000 operations.

`python -m bench.discovery` writes bench/results/discovery.json:
  operations       operations in the document (2,000: 1,000 paths, each with GET and POST), all stored.
  seconds          median wall time, over RUNS runs, from `POST /v1/connections/{id}/discover`
                   to the job reported completed by `GET /v1/jobs/{id}` (polled every 10 ms):
                   enqueue, locate the document (/openapi.json, the first place tried), fetch
                   it (~2 MB) and its referenced components file, resolve every $ref, build the
                   operations and replace them in PostgreSQL, then rebuild the knowledge graph.
Printed too, not written: the first run's time (the one creating the connection starts, cold
caches), the document's size, and the last run's step times as the job logs them.

The real server (`app.asgi:create_app`, uvicorn, embedded engines, worker in-process) runs on
loopback beside a plain http.server serving the document; NEXUS_OUTBOUND_ALLOWLIST lets the
app reach 127.0.0.1. Each path has a path parameter, a query parameter, a JSON request body
and 200/404 responses whose schemas are $refs into a second document (`/components.json`),
so the resolver does the work a real split document asks of it.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.harness import ROOT, call, running_server, table, write_results

NAME = "discovery"
OPERATIONS = 2_000
RUNS = 3
GOAL_S = 5.0


def build_document(operations: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the main document, the components document its $refs point into)."""
    components = {
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "name": {"type": "string"},
                    "price": {"$ref": "#/schemas/Money"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "created_at": {"type": "string", "format": "date-time"},
                },
            },
            "Money": {"type": "object", "properties": {"amount": {"type": "string"}, "currency": {"type": "string"}}},
            "Problem": {"type": "object", "properties": {"title": {"type": "string"}, "status": {"type": "integer"}}},
        }
    }
    paths: dict[str, Any] = {}
    for n in range(operations // 2):
        resource = f"/resources{n // 50}/items{n}/{{item_id}}"
        json_of = lambda ref: {"application/json": {"schema": {"$ref": ref}}}  # noqa: E731
        paths[resource] = {
            "parameters": [{"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {
                "summary": f"Read item {n}",
                "operationId": f"getItem{n}",
                "parameters": [{"name": "expand", "in": "query", "schema": {"type": "boolean"}}],
                "responses": {
                    "200": {"description": "The item", "content": json_of("/components.json#/schemas/Item")},
                    "404": {"description": "Missing", "content": json_of("/components.json#/schemas/Problem")},
                },
            },
            "post": {
                "summary": f"Replace item {n}",
                "operationId": f"postItem{n}",
                "security": [{"bearer": []}],
                "requestBody": {"content": json_of("/components.json#/schemas/Item")},
                "responses": {"200": {"description": "Replaced", "content": json_of("/components.json#/schemas/Item")}},
            },
        }
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Benchmark API", "version": "1"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    }
    return document, components


def serve(files: dict[str, bytes]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path.split("?")[0])
            self.send_response(200 if body is not None else 404)
            payload = body if body is not None else b"{}"
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def wait_for(base: str, token: str, job_id: str, started: float) -> tuple[float, dict[str, Any]]:
    while True:
        job = call(f"{base}/v1/jobs/{job_id}", token)
        if job["status"] in ("completed", "failed"):
            elapsed = time.perf_counter() - started
            if job["status"] == "failed":
                raise SystemExit(f"discovery failed: {job['error']}")
            return elapsed, job
        time.sleep(0.01)


def step_times(job: dict[str, Any]) -> dict[str, float]:
    started = datetime.fromisoformat(job["started_at"])
    return {
        step["name"]: round((datetime.fromisoformat(step["at"]) - started).total_seconds(), 3) for step in job["steps"]
    }


def main() -> None:
    document, components = build_document(OPERATIONS)
    files = {"/openapi.json": json.dumps(document).encode(), "/components.json": json.dumps(components).encode()}
    target, target_url = serve(files)
    try:
        with running_server("nexus-bench-discovery-", env={"NEXUS_OUTBOUND_ALLOWLIST": "127.0.0.1"}) as server:
            token = server.login()
            app = server.create_application("Discovery bench")
            started = time.perf_counter()
            connection = call(
                f"{server.base}/v1/applications/{app['id']}/connections",
                token,
                {"type": "rest_api", "name": "Big API", "base_url": target_url},
            )
            first, job = wait_for(server.base, token, connection["discovery_job_id"], started)
            assert job["result"]["stored"] == OPERATIONS, job["result"]
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                job_id = call(f"{server.base}/v1/connections/{connection['id']}/discover", token, {})["job_id"]
                elapsed, job = wait_for(server.base, token, job_id, started)
                assert job["result"]["stored"] == OPERATIONS, job["result"]
                times.append(elapsed)
    finally:
        target.shutdown()
        target.server_close()
    # API.md: a flat object of the figures the issue names.
    results = {"operations": OPERATIONS, "seconds": round(statistics.median(times), 3)}
    path = write_results(NAME, results)
    details = [("first run seconds", round(first, 3)), ("document bytes", len(files["/openapi.json"]))]
    table(list(results.items()) + details + [(f"  {k}", v) for k, v in step_times(job).items()])
    verdict = "within" if results["seconds"] <= GOAL_S else "OVER"
    print(f"  goal ≤ {GOAL_S} s: {verdict}")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
