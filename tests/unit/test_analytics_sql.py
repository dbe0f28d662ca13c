"""The SQL the query layer builds: snapshots of typical queries, and what never reaches it.

Snapshots live in tests/unit/snapshots/analytics/; after a deliberate change, rewrite
them with NEXUS_UPDATE_SNAPSHOTS=1 and review the diff."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.domain.analytics import queries
from app.domain.analytics.schemas import PropertyFilter, TrendQuery

SNAPSHOTS = Path(__file__).parent / "snapshots" / "analytics"
APP = "0b6c3f5e-6d5a-4c43-9c61-3e3f1f1a2b3c"
ORG = "5f0a9a7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
T0 = datetime(2025, 3, 1, tzinfo=UTC)


def _query(**fields: object) -> TrendQuery:
    base: dict[str, object] = {"app_id": APP, "org_id": ORG, "date_from": T0, "date_to": T0 + timedelta(days=7)}
    return TrendQuery(**{**base, **fields})  # type: ignore[arg-type]


CASES = {
    "count_all_events_per_hour_totals": _query(interval="hour"),
    "count_one_event_per_minute_raw": _query(events=("checkout",), interval="minute", date_to=T0 + timedelta(hours=1)),
    "unique_users_of_two_events_per_day_rollup": _query(
        events=("signup", "purchase"), aggregation="unique_users", interval="day"
    ),
    "revenue_sum_per_day_numbers": _query(events=("purchase",), aggregation="sum", property="revenue", interval="day"),
    "p95_duration_with_filters_raw": _query(
        events=("api_call",),
        aggregation="p95",
        property="duration_ms",
        interval="hour",
        filters=(
            PropertyFilter("endpoint", "contains", "/v1/orders"),
            PropertyFilter("status", "gt", 499),
            PropertyFilter("beta", "is_set"),
        ),
    ),
    "count_by_path_top_5_per_day_dims": _query(
        events=("pageview",), breakdown="path", breakdown_limit=5, interval="day"
    ),
    "pageviews_of_one_path_per_hour_dims": _query(
        events=("pageview",), interval="hour", filters=(PropertyFilter("path", "eq", "/checkout"),)
    ),
    "unique_users_by_plan_total": _query(
        aggregation="unique_users", breakdown="plan", mode="total", filters=(PropertyFilter("country", "neq", "FR"),)
    ),
    "count_total_big_number_rollup": _query(events=("signup",), mode="total"),
}


def _render(compiled: queries.CompiledQuery) -> str:
    params = json.dumps(compiled.params, indent=2, sort_keys=True, default=str)
    return (
        f"-- source: {compiled.source}\n{compiled.sql}\n\n-- params:\n"
        + "\n".join(f"-- {line}" for line in params.splitlines())
        + "\n"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_sql_snapshot(name: str) -> None:
    rendered = _render(queries.build(CASES[name]))
    path = SNAPSHOTS / f"{name}.sql"
    if os.environ.get("NEXUS_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered)
    assert rendered == path.read_text(), f"SQL for {name} changed; see {path}"


HOSTILE = "x') OR 1=1; DROP TABLE events; --"


def test_property_names_and_values_are_bound_never_spliced() -> None:
    query = _query(
        events=(HOSTILE,),
        aggregation="avg",
        property=HOSTILE,
        breakdown=HOSTILE,
        filters=(PropertyFilter(HOSTILE, "eq", HOSTILE), PropertyFilter(HOSTILE, "contains", HOSTILE)),
    )
    for mode in ("series", "total"):
        compiled = queries.build(TrendQuery(**{**_fields(query), "mode": mode}))
        assert "DROP" not in compiled.sql
        assert "OR 1=1" not in compiled.sql
        assert HOSTILE in compiled.params.values()
        for name in compiled.params:
            assert "{" + name + ":" in compiled.sql


def _fields(query: TrendQuery) -> dict[str, object]:
    return {name: getattr(query, name) for name in query.__struct_fields__}


@pytest.mark.parametrize(
    ("fields", "source"),
    [
        ({"interval": "hour"}, queries.TOTALS),
        ({"interval": "day", "aggregation": "unique_users"}, queries.TOTALS),
        ({"interval": "hour", "events": ("signup",)}, queries.ROLLUP),
        ({"interval": "day", "events": ("signup", "purchase"), "aggregation": "unique_users"}, queries.ROLLUP),
        ({"interval": "day", "aggregation": "sum", "property": "revenue"}, queries.NUMBERS),
        ({"interval": "day", "aggregation": "sum", "property": "amount"}, queries.NUMBERS),
        ({"interval": "hour", "aggregation": "p50", "property": "revenue", "events": ("purchase",)}, queries.NUMBERS),
        ({"interval": "day", "breakdown": "path"}, queries.DIMS),
        ({"interval": "hour", "filters": (PropertyFilter("country", "neq", "FR"),)}, queries.DIMS),
        (
            {
                "aggregation": "unique_users",
                "breakdown": "browser",
                "filters": (PropertyFilter("path", "contains", "/docs"),),
            },
            queries.DIMS,
        ),
        ({"interval": "hour", "date_to": T0 + timedelta(hours=6)}, queries.EVENTS),  # short range
        ({"interval": "minute", "date_to": T0 + timedelta(days=1)}, queries.EVENTS),
        ({"interval": "day", "breakdown": "plan"}, queries.EVENTS),
        ({"interval": "day", "filters": (PropertyFilter("a", "eq", "b"),)}, queries.EVENTS),
        ({"interval": "day", "filters": (PropertyFilter("path", "is_set"),)}, queries.EVENTS),
        ({"interval": "day", "breakdown": "path", "aggregation": "sum", "property": "revenue"}, queries.EVENTS),
        (
            {"aggregation": "p95", "property": "price", "filters": (PropertyFilter("country", "eq", "DE"),)},
            queries.EVENTS,
        ),
        # A total up to a moment inside an hour (a period compared up to the same moment).
        ({"interval": "day", "mode": "total", "date_to": T0 + timedelta(days=7, minutes=30)}, queries.EVENTS),
    ],
)
def test_each_rollup_answers_only_what_it_can(fields: dict[str, object], source: str) -> None:
    query = _query(**fields)
    assert queries.choose_source(query) == source
    for rollup in queries.ROLLUPS:
        if not queries.can_answer(query, rollup):
            with pytest.raises(ValueError, match="rollup"):
                queries.build(query, rollup)


def test_cache_keys_follow_the_query() -> None:
    assert _query().cache_key() == _query().cache_key()
    assert _query().cache_key() != _query(interval="day").cache_key()
    assert _query().cache_key() != _query(filters=(PropertyFilter("a", "eq", "b"),)).cache_key()


def test_filter_values_as_the_json_holds_them() -> None:
    assert PropertyFilter("a", "eq", True).text_value() == "true"
    assert PropertyFilter("a", "eq", 200.0).text_value() == "200"
    assert PropertyFilter("a", "eq", 1.5).text_value() == "1.5"
    assert PropertyFilter("a", "gt", "12.5").number_value() == 12.5
    with pytest.raises(ValueError, match="needs a number"):
        PropertyFilter("a", "lt", "soon")
    with pytest.raises(ValueError, match="needs a value"):
        PropertyFilter("a", "eq")
