"""Retention: the SQL (snapshot, bound values), resolving weeks, and the cohort grid and
its table view on hand-made frames."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import msgspec
import polars as pl
import pytest

from app.domain.analytics import retention
from app.domain.analytics.schemas import PropertyFilter, QuerySpec
from components import retention as retention_view
from tests.unit.test_analytics_sql import APP, ORG, _render

SNAPSHOTS = Path(__file__).parent / "snapshots" / "analytics"
MONDAY = datetime(2025, 3, 3, tzinfo=UTC)


def _query(**fields: object) -> retention.RetentionQuery:
    base: dict[str, object] = {
        "app_id": APP,
        "org_id": ORG,
        "date_from": MONDAY,
        "date_to": MONDAY + 4 * retention.WEEK,
        "weeks": 4,
    }
    return retention.RetentionQuery(**{**base, **fields})  # type: ignore[arg-type]


CASES = {
    "retention_any_event_4_weeks": _query(),
    "retention_signup_then_purchase_filtered": _query(
        start_event="signup", return_event="purchase", filters=(PropertyFilter("country", "neq", "FR"),)
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_retention_sql_snapshot(name: str) -> None:
    rendered = _render(retention.build(CASES[name]))
    path = SNAPSHOTS / f"{name}.sql"
    if os.environ.get("NEXUS_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.write_text(rendered)
    assert rendered == path.read_text(), f"SQL for {name} changed; see {path}"


def test_first_seen_scans_all_history_and_values_are_bound() -> None:
    hostile = "x'); DROP TABLE events; --"
    compiled = retention.build(_query(start_event=hostile, return_event=hostile))
    assert "DROP" not in compiled.sql
    cohorts, returns = compiled.sql.split("returns AS (")
    assert "{date_from:" not in cohorts  # first-seen: no lower bound
    assert "{date_from:" in returns
    assert compiled.params["first_week"] == "2025-03-03"
    for name in compiled.params:
        assert "{" + name + ":" in compiled.sql


def test_resolve_counts_whole_weeks_ending_with_this_one() -> None:
    spec = msgspec.convert({"retention": {"weeks": 3, "start_event": "signup"}}, QuerySpec)
    query = retention.resolve(spec, APP, ORG, datetime(2025, 3, 19, 15, tzinfo=UTC))  # a Wednesday
    assert query.date_from == datetime(2025, 3, 3, tzinfo=UTC)
    assert query.date_to == datetime(2025, 3, 24, tzinfo=UTC)
    assert (query.start_event, query.return_event, query.weeks) == ("signup", "*", 3)
    assert retention.monday(datetime(2025, 3, 24, tzinfo=UTC)) == datetime(2025, 3, 24, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "message"),
    [({"weeks": 1}, ">= 2"), ({"weeks": 13}, "<= 12"), ({"start_event": " "}, "blank"), ({"x": 1}, "unknown")],
)
def test_bad_retention_is_refused(body: dict[str, object], message: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=message):
        msgspec.convert({"retention": body}, QuerySpec)


def _raw() -> pl.DataFrame:
    # Cohort 1 (Mar 3): 4 people, 2 back in week 1, 1 in week 2. Cohort 2: 2 people,
    # nobody back. Cohort 3: nobody. Cohort 4 (this week): 5 people.
    return pl.DataFrame(
        {
            "cohort": [date(2025, 3, 3), date(2025, 3, 10), date(2025, 3, 24), date(2025, 3, 3), date(2025, 3, 3)],
            "week": [0, 0, 0, 1, 2],
            "users": [4, 2, 5, 2, 1],
        },
        schema={"cohort": pl.Date, "week": pl.Int64, "users": pl.UInt64},
    )


def test_matrix_fills_the_grid_and_leaves_the_future_empty() -> None:
    frame = retention.matrix(_raw(), date(2025, 3, 3), 4)
    assert frame.height == 16
    rows = {row["cohort"]: row for row in retention.to_rows(frame).iter_rows(named=True)}
    assert rows[date(2025, 3, 3)]["users"] == [4, 2, 1, 0]
    assert rows[date(2025, 3, 3)]["percent"] == [100.0, 50.0, 25.0, 0.0]
    assert rows[date(2025, 3, 10)]["users"] == [2, 0, 0, None]
    assert rows[date(2025, 3, 17)]["size"] == 0
    assert rows[date(2025, 3, 17)]["percent"] == [None, None, None, None]
    assert rows[date(2025, 3, 24)]["users"] == [5, None, None, None]
    # Weighted by cohort size over the cohorts that reached each week.
    assert retention.average_percent(frame) == [100.0, 33.33, 16.67, 0.0]


def test_wide_table_and_api_rows() -> None:
    frame = retention.matrix(_raw(), date(2025, 3, 3), 4)
    wide = retention.to_wide(frame)
    assert wide.columns[:4] == ["cohort", "size", "week 0", "week 0 %"]
    assert wide.row(0) == (date(2025, 3, 3), 4, 4, 100.0, 2, 50.0, 1, 25.0, 0, 0.0)
    result = retention.RetentionResult(query=_query(), frame=frame)
    [first, *_] = result.cohorts()
    assert (first.cohort, first.size, first.users) == (date(2025, 3, 3), 4, [4, 2, 1, 0])


def test_matrix_reads_timestamps_and_empty_results() -> None:
    raw = _raw().with_columns(pl.col("cohort").cast(pl.Datetime("ms", "UTC")))
    assert retention.matrix(raw, date(2025, 3, 3), 4).equals(retention.matrix(_raw(), date(2025, 3, 3), 4))
    empty = retention.matrix(_raw().clear(), date(2025, 3, 3), 2)
    assert empty["users"].to_list() == [0, 0, 0, None]
    assert retention_view.view(empty)["empty"] is True
    assert retention_view.summary(empty).startswith("Retention: nobody")


def test_table_view_shades_cells_by_percent() -> None:
    view = retention_view.view(retention.matrix(_raw(), date(2025, 3, 3), 4))
    assert view["weeks"] == ["Week 0", "Week 1", "Week 2", "Week 3"]
    first = view["rows"][0]
    assert (first["cohort"], first["cohort_iso"], first["size"]) == ("Mar 03", "2025-03-03", "4")
    assert [cell["text"] for cell in first["cells"]] == ["100%", "50%", "25%", "0%"]
    assert first["cells"][0]["strong"]
    assert not first["cells"][1]["strong"]
    assert first["cells"][1]["title"] == "2 of 4 people in week 1"
    last = view["rows"][3]
    assert [cell["future"] for cell in last["cells"]] == [False, True, True, True]
    assert view["average"] == ["100%", "33.33%", "16.67%", "0%"]
    assert [retention_view.level(p) for p in (None, 0, 100)] == [0, 4, 90]
    assert "11 people in 4 weekly cohorts" in retention_view.summary(retention.matrix(_raw(), date(2025, 3, 3), 4))
