"""API.md "Ingestion": per-event rejections, de-duplication, limits, and 503 without loss."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.domain.ingest.prepare import Submission, Window, prepare_events
from app.domain.ingest.schemas import EventIn
from app.domain.ingest.writer import GroupCommitWriter


@pytest.fixture
async def app_key(client: httpx.AsyncClient, make_org: Any) -> dict[str, str]:
    owner = await make_org()
    app = (await client.post("/v1/applications", json={"name": "Shop", "type": "web"}, headers=owner.headers)).json()
    return {"id": app["id"], "key": app["ingest_key"]}


async def _stored(started_app: Litestar, app_id: str, table: str = "events") -> list[dict[str, Any]]:
    materialized = ", path" if table == "events" else ""  # SELECT * leaves MATERIALIZED columns out
    rows = await started_app.state.engines.clickhouse.query_arrow(
        f"SELECT * EXCEPT (app_id, org_id){materialized} FROM {table} WHERE app_id = {{a:UUID}} ORDER BY timestamp",
        {"a": app_id},
    )
    return rows.to_pylist()


async def test_batch_stores_good_events_and_rejects_bad_ones_by_index(
    client: httpx.AsyncClient, app_key: dict[str, str], started_app: Litestar
) -> None:
    now = datetime.now(UTC)
    events = [
        {"event": "pageview", "distinct_id": "u1", "properties": {"path": "/pricing", "plan": {"tier": "pro"}}},
        {"event": "", "distinct_id": "u1"},
        {"event": "signup", "distinct_id": "u2", "timestamp": (now + timedelta(hours=2)).isoformat()},
        {"event": "signup", "distinct_id": "u2", "timestamp": "2001-01-01T00:00:00Z"},
        {"event": "signup", "distinct_id": "u2", "timestamp": "yesterday"},
        {"event": "signup", "distinct_id": "u2", "timestamp": "2026-01-01T00:00:00"},
        {"event": "signup", "distinct_id": "u2", "properties": [1, 2]},
        {"event": "purchase", "distinct_id": "u3", "timestamp": (now - timedelta(minutes=5)).isoformat()},
    ]
    response = await client.post("/v1/events/batch", json={"events": events}, headers={"X-API-Key": app_key["key"]})
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert [r["index"] for r in body["rejected"]] == [1, 2, 3, 4, 5, 6]
    assert "future" in body["rejected"][1]["error"]
    assert "retention" in body["rejected"][2]["error"]
    assert "offset" in body["rejected"][4]["error"]
    stored = await _stored(started_app, app_key["id"])
    assert [row["event"] for row in stored] == ["purchase", "pageview"]
    assert json.loads(stored[1]["properties"]) == {"path": "/pricing", "plan": {"tier": "pro"}}
    assert stored[1]["path"] == "/pricing"  # properties stay queryable


async def test_a_retried_uuid_is_stored_once(
    client: httpx.AsyncClient, app_key: dict[str, str], started_app: Litestar
) -> None:
    # One event stamped by the client, one stamped on receipt (later on each attempt).
    timed, untimed = str(uuid.uuid4()), str(uuid.uuid4())
    sent_at = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    batch = {
        "events": [
            {"event": "purchase", "distinct_id": "u1", "uuid": timed, "timestamp": sent_at},
            {"event": "purchase", "distinct_id": "u1", "uuid": untimed, "properties": {"revenue": 5}},
        ]
    }
    for _ in range(3):
        response = await client.post("/v1/events/batch", json=batch, headers={"X-API-Key": app_key["key"]})
        assert response.json() == {"accepted": 2, "rejected": []}
    twice_in_one = {"events": batch["events"] * 2}
    await client.post("/v1/events/batch", json=twice_in_one, headers={"X-API-Key": app_key["key"]})
    stored = await _stored(started_app, app_key["id"])
    assert [str(row["uuid"]) for row in stored] == [timed, untimed]


async def test_single_event_and_beacon_bodies(
    client: httpx.AsyncClient, app_key: dict[str, str], started_app: Litestar
) -> None:
    single = await client.post(
        "/v1/events", json={"event": "signup", "distinct_id": "u9"}, headers={"X-API-Key": app_key["key"]}
    )
    assert single.json() == {"accepted": 1, "rejected": []}
    # sendBeacon cannot set headers and posts text/plain; the key rides in the body.
    beacon = await client.post(
        "/v1/events/batch",
        content=json.dumps({"api_key": app_key["key"], "events": [{"event": "pageview", "distinct_id": "u9"}]}),
        headers={"content-type": "text/plain;charset=UTF-8"},
    )
    assert beacon.json() == {"accepted": 1, "rejected": []}
    assert sorted(row["event"] for row in await _stored(started_app, app_key["id"])) == ["pageview", "signup"]


async def test_performance_metrics(client: httpx.AsyncClient, app_key: dict[str, str], started_app: Litestar) -> None:
    metrics = [
        {"endpoint": "/api/cart", "method": "post", "status_code": 201, "duration_ms": 42.5},
        {"endpoint": "/api/cart", "method": "BREW", "status_code": 200, "duration_ms": 1},
        {"endpoint": "/api/cart", "method": "GET", "status_code": 200, "duration_ms": -1},
    ]
    response = await client.post(
        "/v1/performance/batch", json={"metrics": metrics}, headers={"X-API-Key": app_key["key"]}
    )
    assert response.json()["accepted"] == 1
    assert [r["index"] for r in response.json()["rejected"]] == [1, 2]
    stored = await _stored(started_app, app_key["id"], "performance_metrics")
    assert [(r["endpoint"], r["method"], r["status_code"], r["duration_ms"]) for r in stored] == [
        ("/api/cart", "POST", 201, 42.5)
    ]


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({}, {"events": []}, 401, "missing_ingest_key"),
        ({"X-API-Key": "nk_nope_nope"}, {"events": []}, 401, "invalid_ingest_key"),
        ({"X-API-Key": "KEY"}, {"event": "x"}, 400, "invalid_request"),
        ({"X-API-Key": "KEY"}, {"events": [{"event": 1, "distinct_id": "u"}]}, 400, "invalid_request"),
        ({"X-API-Key": "KEY"}, {"events": [{"event": "x", "distinct_id": "u"}] * 10_001}, 413, "too_many_events"),
    ],
)
async def test_bad_requests(
    client: httpx.AsyncClient, app_key: dict[str, str], headers: dict[str, str], body: Any, status: int, code: str
) -> None:
    headers = {k: v.replace("KEY", app_key["key"]) for k, v in headers.items()}
    response = await client.post("/v1/events/batch", json=body, headers=headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


async def test_not_json_and_too_large(client: httpx.AsyncClient, app_key: dict[str, str]) -> None:
    headers = {"X-API-Key": app_key["key"], "content-type": "application/json"}
    broken = await client.post("/v1/events/batch", content=b'{"events": [', headers=headers)
    assert (broken.status_code, broken.json()["error"]["code"]) == (400, "invalid_json")
    huge = await client.post("/v1/events/batch", content=b" " * (5 * 1024 * 1024 + 1), headers=headers)
    assert huge.status_code == 413


@pytest.fixture
async def swap_writer(started_app: Litestar) -> AsyncIterator[Any]:
    original = started_app.state.event_writer
    replacements: list[GroupCommitWriter] = []

    async def swap(writer: GroupCommitWriter) -> None:
        await writer.start()
        replacements.append(writer)
        started_app.state.event_writer = writer

    yield swap
    started_app.state.event_writer = original
    for writer in replacements:
        await writer.stop()


async def test_store_failure_is_503_and_nothing_is_acknowledged(
    client: httpx.AsyncClient, app_key: dict[str, str], started_app: Litestar, swap_writer: Any
) -> None:
    # A real insert that ClickHouse refuses (the table does not exist) stands for a store outage.
    await swap_writer(
        GroupCommitWriter(started_app.state.engines.clickhouse, "events_missing", prepare_events, 10, 0.01, 1000)
    )
    response = await client.post(
        "/v1/events/batch", json={"events": [{"event": "x", "distinct_id": "u"}]}, headers={"X-API-Key": app_key["key"]}
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"]["code"] == "store_unavailable"
    assert await _stored(started_app, app_key["id"]) == []


async def test_overload_is_503_with_retry_after(
    client: httpx.AsyncClient, app_key: dict[str, str], started_app: Litestar, swap_writer: Any
) -> None:
    await swap_writer(
        GroupCommitWriter(started_app.state.engines.clickhouse, "events", prepare_events, 10, 0.01, max_pending_rows=2)
    )
    events = [{"event": "x", "distinct_id": "u"}] * 3
    response = await client.post("/v1/events/batch", json={"events": events}, headers={"X-API-Key": app_key["key"]})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == "overloaded"


async def test_concurrent_requests_share_inserts(
    client: httpx.AsyncClient, app_key: dict[str, str], started_app: Litestar
) -> None:
    async def send(i: int) -> int:
        body = {"events": [{"event": "tick", "distinct_id": f"u{i}", "uuid": str(uuid.uuid4())} for _ in range(10)]}
        response = await client.post("/v1/events/batch", json=body, headers={"X-API-Key": app_key["key"]})
        return int(response.json()["accepted"])

    accepted = await asyncio.gather(*(send(i) for i in range(50)))
    assert sum(accepted) == 500
    assert len(await _stored(started_app, app_key["id"])) == 500


async def test_throughput_and_store_wait_are_exported(client: httpx.AsyncClient, app_key: dict[str, str]) -> None:
    await client.post(
        "/v1/events/batch", json={"events": [{"event": "x", "distinct_id": "u"}]}, headers={"X-API-Key": app_key["key"]}
    )
    stored = f'nexus_ingest_events_stored_total{{app_id="{app_key["id"]}"}} 1.0'
    # Counted as the flush's rows go out live, just after the answer.
    for _ in range(50):
        metrics = (await client.get("/metrics")).text
        if stored in metrics:
            break
        await asyncio.sleep(0.1)
    assert stored in metrics
    assert 'nexus_ingest_store_wait_seconds_count{table="events"}' in metrics


@pytest.fixture
async def submission(app_key: dict[str, str], started_app: Litestar) -> Any:
    app = await started_app.state.ingest_keys.resolve(app_key["key"])
    assert app is not None

    def make(name: str) -> Submission:
        return Submission([EventIn(event=name, distinct_id="u")], app, Window(datetime.now(UTC), 30))

    return make


async def test_a_writer_inserts_once_arrivals_pause_not_after_the_whole_interval(
    app_key: dict[str, str], started_app: Litestar, submission: Any
) -> None:
    store = started_app.state.engines.clickhouse
    writer = GroupCommitWriter(store, "events", prepare_events, 10_000, 60.0, 1_000)
    await writer.start()
    try:
        started = time.monotonic()
        await writer.submit(submission("first"))
        # Requests that arrive together share one insert.
        await asyncio.gather(*(writer.submit(submission(f"next{i}")) for i in range(5)))
        waited = time.monotonic() - started
    finally:
        await writer.stop()
    assert waited < 30  # far less than the 60 s interval
    inserted = await store.query_arrow(
        "SELECT count() AS rows, uniqExact(_part) AS parts FROM events WHERE app_id = {a:UUID} AND event LIKE 'next%'",
        {"a": app_key["id"]},
    )
    assert inserted.to_pylist() == [{"rows": 5, "parts": 1}]


async def test_live_publishing_does_not_hold_back_the_next_insert(started_app: Litestar, submission: Any) -> None:
    """What follows a flush runs beside the writer, in flush order, and stop() waits for it."""
    release = asyncio.Event()
    published: list[list[str]] = []

    async def slow_publish(rows: Any) -> None:
        published.append(rows.column("event").to_pylist())
        await release.wait()

    writer = GroupCommitWriter(
        started_app.state.engines.clickhouse, "events", prepare_events, 10_000, 0.01, 1_000, on_flushed=slow_publish
    )
    await writer.start()
    try:
        assert (await asyncio.wait_for(writer.submit(submission("first")), 10)).accepted == 1
        # Stored and answered while the first flush's publishing is still stuck.
        assert (await asyncio.wait_for(writer.submit(submission("second")), 10)).accepted == 1
        assert published == [["first"]]
    finally:
        release.set()
        await writer.stop()
    assert published == [["first"], ["second"]]


async def test_requests_that_arrive_during_an_insert_wait_for_the_clients_it_answers(
    started_app: Litestar, submission: Any
) -> None:
    """Clients that send again once answered come back right after a flush: the one request
    that arrived during the insert is flushed with theirs, not in an insert of its own (under
    load, flushes alternated between nearly all the clients and a handful of stragglers, and
    each small insert cost nearly as much as a big one)."""
    store = started_app.state.engines.clickhouse
    flushed: list[list[str]] = []

    async def record(rows: Any) -> None:
        flushed.append(sorted(rows.column("event").to_pylist()))

    writer = GroupCommitWriter(store, "events", prepare_events, 10_000, 60.0, 1_000, on_flushed=record)
    await writer.start()

    async def client(number: int) -> None:
        await writer.submit(submission(f"first{number}"))
        await writer.submit(submission(f"again{number}"))

    try:
        # The store is busy for a moment, so the first flush is still inserting when the
        # straggler arrives (chDB runs one call at a time).
        busy = asyncio.create_task(store.command("SELECT sleep(0.5)"))
        clients = [asyncio.create_task(client(number)) for number in range(3)]
        await asyncio.sleep(0.2)
        await asyncio.wait_for(asyncio.gather(writer.submit(submission("straggler")), *clients, busy), 30)
    finally:
        await writer.stop()
    assert flushed == [["first0", "first1", "first2"], ["again0", "again1", "again2", "straggler"]]
