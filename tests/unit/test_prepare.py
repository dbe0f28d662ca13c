"""prepare.py: one flush of many requests, checked a column at a time, answered per request."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import msgspec

from app.domain.ingest.keys import AppRef
from app.domain.ingest.prepare import (
    RETRY_HORIZON,
    Submission,
    Window,
    prepare_events,
    prepare_metrics,
    random_uuids,
)
from app.domain.ingest.schemas import EventBatch, MetricBatch

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
APP_A, APP_B = AppRef("a" * 8, "o" * 8), AppRef("b" * 8, "p" * 8)


def events(*items: dict[str, object]) -> list[object]:
    return list(msgspec.json.decode(msgspec.json.encode({"events": items}), type=EventBatch).events)


def metrics(*items: dict[str, object]) -> list[object]:
    return list(msgspec.json.decode(msgspec.json.encode({"metrics": items}), type=MetricBatch).metrics)


def window(now: datetime = NOW) -> Window:
    return Window(now, retention_days=30)


def test_rejections_go_back_to_each_request_by_its_own_indexes() -> None:
    first = Submission(events({"event": "a", "distinct_id": "u"}, {"event": "", "distinct_id": "u"}), APP_A, window())
    second = Submission(
        events(
            {"event": "b", "distinct_id": ""}, {"event": "c", "distinct_id": "u"}, {"event": "d", "distinct_id": "u"}
        ),
        APP_B,
        window(NOW + timedelta(seconds=1)),
    )
    prepared = prepare_events([first, second])
    assert prepared.accepted == [1, 2]
    assert [(r.index, r.error) for r in prepared.rejected[0]] == [(1, "event must not be empty")]
    assert [(r.index, r.error) for r in prepared.rejected[1]] == [(0, "distinct_id must not be empty")]
    rows = prepared.rows.to_pylist()
    assert [(r["app_id"], r["org_id"], r["event"]) for r in rows] == [
        (APP_A.app_id, APP_A.org_id, "a"),
        (APP_B.app_id, APP_B.org_id, "c"),
        (APP_B.app_id, APP_B.org_id, "d"),
    ]
    # No timestamp sent: each request's own time of receipt.
    assert [r["timestamp"] for r in rows] == [NOW, NOW + timedelta(seconds=1), NOW + timedelta(seconds=1)]


def test_times_are_normalised_to_utc_milliseconds() -> None:
    sent = ["2026-11-26T13:30:00.123456+01:30", "2026-11-26T11:59:00Z", "2026-11-26 11:00:00.5+00:00"]
    prepared = prepare_events(
        [Submission(events(*({"event": "e", "distinct_id": "u", "timestamp": t} for t in sent)), APP_A, window())]
    )
    assert prepared.accepted == [3]
    assert prepared.rows.column("timestamp").to_pylist() == [
        datetime(2026, 11, 26, 12, 0, 0, 123000, tzinfo=UTC),
        datetime(2026, 11, 26, 11, 59, tzinfo=UTC),
        datetime(2026, 11, 26, 11, 0, 0, 500000, tzinfo=UTC),
    ]


def test_each_bad_time_is_refused_with_its_reason() -> None:
    sent = [
        "2026-11-26T11:00:00Z",
        "yesterday",
        "2026-11-26T11:00:00",
        (NOW + timedelta(hours=2)).isoformat(),
        (NOW - timedelta(days=31)).isoformat(),
        "2026-11-26T11:00:00.1234567Z",  # Arrow's parser refuses it; Python's reads it
    ]
    prepared = prepare_events(
        [Submission(events(*({"event": "e", "distinct_id": "u", "timestamp": t} for t in sent)), APP_A, window())]
    )
    assert prepared.accepted == [2]
    assert [(r.index, r.error) for r in prepared.rejected[0]] == [
        (1, "timestamp is not an RFC 3339 time"),
        (2, "timestamp needs a UTC offset, e.g. 2026-01-31T12:00:00Z"),
        (3, "timestamp is more than 1 hour in the future"),
        (4, "timestamp is older than the retention period"),
    ]


def test_the_first_problem_of_an_event_is_the_one_reported() -> None:
    prepared = prepare_events(
        [Submission(events({"event": "", "distinct_id": "", "timestamp": "nope", "properties": [1]}), APP_A, window())]
    )
    assert [r.error for r in prepared.rejected[0]] == ["event must not be empty"]


def test_properties_must_be_an_object_and_null_means_none() -> None:
    prepared = prepare_events(
        [
            Submission(
                events(
                    {"event": "e", "distinct_id": "u", "properties": None},
                    {"event": "e", "distinct_id": "u", "properties": [1, 2]},
                    {"event": "e", "distinct_id": "u", "properties": {"big": "x" * 70_000}},
                    {"event": "e", "distinct_id": "u", "properties": {"plan": {"tier": "pro"}}},
                    {"event": "e", "distinct_id": "u", "properties": {"city": "Zürich ✓"}},
                ),
                APP_A,
                window(),
            )
        ]
    )
    assert [(r.index, r.error) for r in prepared.rejected[0]] == [
        (1, "properties must be a JSON object"),
        (2, "properties are larger than 64 KB"),
    ]
    assert prepared.rows.column("properties").to_pylist() == [
        "{}",
        '{"plan":{"tier":"pro"}}',
        '{"city":"Zürich ✓"}',
    ]


def test_uuids_are_canonical_and_missing_ones_are_made() -> None:
    given = uuid.uuid4()
    prepared = prepare_events(
        [
            Submission(
                events(
                    {"event": "e", "distinct_id": "u", "uuid": str(given).upper()},
                    {"event": "e", "distinct_id": "u", "uuid": given.hex},
                    {"event": "e", "distinct_id": "u"},
                ),
                APP_A,
                window(),
            )
        ]
    )
    first, second, made = prepared.rows.column("uuid").to_pylist()
    assert first == second == str(given)
    assert str(uuid.UUID(made)) == made
    assert prepared.retry_checks.column("uuid").to_pylist() == [str(given), str(given)]  # not the one made here
    assert (
        prepare_events([Submission(events({"event": "e", "distinct_id": "u"}), APP_A, window())]).retry_checks.num_rows
        == 0
    )


def test_a_retry_is_looked_for_from_its_own_time_or_a_day_before_receipt() -> None:
    sent_at = NOW - timedelta(minutes=5)
    prepared = prepare_events(
        [
            Submission(
                events(
                    {"event": "e", "distinct_id": "u", "uuid": str(uuid.uuid4()), "timestamp": sent_at.isoformat()},
                    {"event": "e", "distinct_id": "u", "uuid": str(uuid.uuid4())},
                    {"event": "", "distinct_id": "u", "uuid": str(uuid.uuid4())},  # refused: nothing to look for
                ),
                APP_A,
                window(),
            )
        ]
    )
    assert prepared.retry_checks.column("since").to_pylist() == [sent_at, NOW - RETRY_HORIZON]


def test_a_malformed_uuid_is_refused_by_index() -> None:
    prepared = prepare_events(
        [
            Submission(
                events({"event": "e", "distinct_id": "u", "uuid": "not-a-uuid"}, {"event": "e", "distinct_id": "u"}),
                APP_A,
                window(),
            )
        ]
    )
    assert [(r.index, r.error) for r in prepared.rejected[0]] == [(0, "uuid is not a UUID")]
    assert prepared.accepted == [1]


def test_random_uuids_are_version_4_and_distinct() -> None:
    made = random_uuids(1000)
    parsed = [uuid.UUID(text) for text in made]
    assert all(
        u.version == 4 and u.variant == uuid.RFC_4122 and str(u) == text for u, text in zip(parsed, made, strict=True)
    )
    assert len(set(made)) == 1000


def test_metrics_are_checked_per_item() -> None:
    prepared = prepare_metrics(
        [
            Submission(
                metrics(
                    {"endpoint": "/api/cart", "method": "post", "status_code": 201, "duration_ms": 42.5},
                    {"endpoint": "/api/cart", "method": "BREW", "status_code": 200, "duration_ms": 1},
                    {"endpoint": "/api/cart", "method": "GET", "status_code": 99, "duration_ms": 1},
                    {"endpoint": "/api/cart", "method": "GET", "status_code": 200, "duration_ms": -1},
                    {"endpoint": "", "method": "GET", "status_code": 200, "duration_ms": 1},
                ),
                APP_A,
                window(),
            )
        ]
    )
    assert [(r.index, r.error.split(" ")[0]) for r in prepared.rejected[0]] == [
        (1, "method"),
        (2, "status_code"),
        (3, "duration_ms"),
        (4, "endpoint"),
    ]
    assert prepared.rows.select(["method", "status_code", "duration_ms"]).to_pylist() == [
        {"method": "POST", "status_code": 201, "duration_ms": 42.5}
    ]
