"""Ranges widen to whole buckets; relative ranges end with the current bucket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.domain.analytics import timerange
from app.domain.analytics.schemas import QuerySpec

NOW = datetime(2025, 3, 5, 14, 37, 12, tzinfo=UTC)


def test_floor_and_ceil() -> None:
    assert timerange.floor(NOW, "minute") == datetime(2025, 3, 5, 14, 37, tzinfo=UTC)
    assert timerange.floor(NOW, "hour") == datetime(2025, 3, 5, 14, tzinfo=UTC)
    assert timerange.floor(NOW, "day") == datetime(2025, 3, 5, tzinfo=UTC)
    assert timerange.ceil(NOW, "hour") == datetime(2025, 3, 5, 15, tzinfo=UTC)
    on_the_hour = datetime(2025, 3, 5, 14, tzinfo=UTC)
    assert timerange.ceil(on_the_hour, "hour") == on_the_hour


def test_offsets_and_naive_times_are_utc() -> None:
    paris = datetime(2025, 3, 5, 15, 37, tzinfo=timezone(timedelta(hours=1)))
    assert timerange.floor(paris, "hour") == datetime(2025, 3, 5, 14, tzinfo=UTC)
    assert timerange.as_utc(datetime(2025, 3, 5, 14)) == datetime(2025, 3, 5, 14, tzinfo=UTC)


def test_aligned_and_refused_ranges() -> None:
    start, end = timerange.aligned(NOW - timedelta(hours=2), NOW, "hour")
    assert (start, end) == (datetime(2025, 3, 5, 12, tzinfo=UTC), datetime(2025, 3, 5, 15, tzinfo=UTC))
    with pytest.raises(timerange.RangeError, match="before"):
        timerange.aligned(NOW, NOW, "hour")
    with pytest.raises(timerange.RangeError, match="buckets"):
        timerange.aligned(NOW - timedelta(days=30), NOW, "minute")


def test_relative_ranges_include_the_current_bucket() -> None:
    start, end = timerange.relative("24h", "hour", NOW)
    assert end == datetime(2025, 3, 5, 15, tzinfo=UTC)
    assert timerange.bucket_count(start, end, "hour") == 24
    start, end = timerange.relative("7d", "day", NOW)
    assert (start, end) == (datetime(2025, 2, 27, tzinfo=UTC), datetime(2025, 3, 6, tzinfo=UTC))
    # Exactly on a boundary: the bucket that has just begun is the last.
    start, end = timerange.relative("1h", "minute", datetime(2025, 3, 5, 14, tzinfo=UTC))
    assert end == datetime(2025, 3, 5, 14, 1, tzinfo=UTC)
    assert timerange.bucket_count(start, end, "minute") == 60


def test_resolve_a_spec() -> None:
    spec = QuerySpec(events=["signup"], interval="day", range="30d", breakdown="plan")
    query = timerange.resolve(spec, "app", "org", NOW, "total")
    assert (query.app_id, query.org_id, query.mode, query.events, query.breakdown) == (
        "app",
        "org",
        "total",
        ("signup",),
        "plan",
    )
    assert timerange.bucket_count(query.date_from, query.date_to, "day") == 30
    pinned = QuerySpec(
        date_from=datetime(2025, 1, 1, 10, 30, tzinfo=UTC), date_to=datetime(2025, 1, 2, tzinfo=UTC), interval="day"
    )
    query = timerange.resolve(pinned, "app", "org", NOW)
    assert (query.date_from, query.date_to) == (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC))
    with pytest.raises(timerange.RangeError):
        timerange.resolve(QuerySpec(interval="minute", range="90d"), "app", "org", NOW)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"events": ["*", "signup"]}, "cannot be combined"),
        ({"events": [" "]}, "blank"),
        ({"aggregation": "avg"}, "needs `property`"),
        ({"date_from": NOW}, "both"),
        ({"date_from": NOW, "date_to": NOW}, "before"),
        ({"app_id": "nope"}, "UUID"),
    ],
)
def test_specs_that_make_no_sense_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        QuerySpec(**fields)  # type: ignore[arg-type]


def test_specs_are_normalised() -> None:
    spec = QuerySpec(events=["a", " a", "b"], aggregation="count", property="ignored")
    assert spec.events == ["a", "b"]
    assert spec.property is None
