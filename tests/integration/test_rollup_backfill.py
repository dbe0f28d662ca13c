"""Upgrading a store that already holds events: migration 0008 copies them into the rollup
tables, 0010 copies those into the one table that replaces three of them, and its view takes
over from there. Run in a process of its own, on a chDB of its own (chDB allows one per
process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from app.domain.analytics import queries

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import asyncio, json, math, shutil, sys, uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.domain.analytics import queries
from app.domain.analytics.schemas import PropertyFilter, TrendQuery
from app.domain.demo.profiles import SHOP
from app.domain.demo.traffic import TrafficGenerator
from app.engines.clickhouse import ChDBStore
from app.engines.migrations import MIGRATIONS_DIR, migrate_clickhouse
from app.settings import ClickHouseSettings

SPECS = [
    {"interval": "hour"},
    {"interval": "day", "aggregation": "unique_users"},
    {"interval": "hour", "events": ["pageview", "purchase"]},
    {"interval": "hour", "events": ["pageview"], "breakdown": "country", "breakdown_limit": 3},
    {"interval": "day", "events": ["pageview"], "filters": [PropertyFilter("path", "eq", "/checkout")]},
    {"interval": "hour", "events": ["add_to_cart"], "aggregation": "p95", "property": "price"},
    {"interval": "day", "events": ["purchase"], "aggregation": "avg", "property": "revenue"},
]


def same(a, b):
    # Sums of random prices may differ in the last bits with the order they are added in.
    return len(a) == len(b) and all(
        {k: v for k, v in x.items() if k != "value"} == {k: v for k, v in y.items() if k != "value"}
        and math.isclose(x["value"], y["value"], rel_tol=1e-9)
        for x, y in zip(a, b)
    )


async def main(work: Path) -> None:
    earlier = work / "earlier"
    earlier.mkdir()
    for path in sorted((MIGRATIONS_DIR / "clickhouse").glob("*.sql")):
        if int(path.name[:4]) < 8:
            shutil.copy(path, earlier)
    store = ChDBStore(work / "clickhouse")
    await store.start()
    settings = ClickHouseSettings()
    await migrate_clickhouse(store, settings, earlier)
    app_id, org_id = str(uuid.uuid4()), str(uuid.uuid4())
    traffic = TrafficGenerator(SHOP, app_id, org_id)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=2)
    await store.insert_arrow("events", traffic.events(start, end - timedelta(hours=1)))
    applied = await migrate_clickhouse(store, settings)
    await store.insert_arrow("events", traffic.events(end - timedelta(hours=1), end))
    results = []
    for spec in SPECS:
        query = TrendQuery(app_id=app_id, org_id=org_id, date_from=start, date_to=end, **spec)
        answers = []
        for source in (None, queries.EVENTS):
            compiled = queries.build(query, source)
            table = await store.query_arrow(compiled.sql, compiled.params)
            answers.append((compiled.source, table.to_pylist()))
        (source, rolled), (_, raw) = answers
        results.append({"source": source, "rows": len(raw), "same": same(rolled, raw)})
    await store.close()
    print(json.dumps({"applied": applied, "results": results}))


asyncio.run(main(Path(sys.argv[1])))
"""


def test_events_stored_before_the_rollups_are_copied_in(tmp_path: Path) -> None:
    output = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    report = json.loads(output.stdout.strip().splitlines()[-1])
    copies = ["0008_rollup_tables.sql", "0009_drop_unread_revenue.sql", "0010_one_rollup_table.sql"]
    assert report["applied"][: len(copies)] == copies
    sources = [result["source"] for result in report["results"]]
    assert sources == [queries.TOTALS, queries.TOTALS, queries.ROLLUP] + [queries.DIMS] * 2 + [queries.NUMBERS] * 2
    for result in report["results"]:
        assert result["rows"] > 0, result
        assert result["same"], result
