"""Eight dashboard panel queries over 10 million events: embedded ClickHouse (chDB) against PostgreSQL.

`python -m bench.queries` (`make bench-queries`) writes bench/results/queries.json:
  rows             events stored, the same rows in both engines.
  p95_ms           95th percentile of the wall time of every measured run of the eight panel queries
                   on chDB, run as the app runs them: the statement and its parameters from our query
                   layer (app.domain.analytics.queries.build on a TrendQuery resolved by timerange.resolve,
                   so whichever hourly rollup the layer chooses: totals, per event, per dimension or
                   per numeric property), sent through ChDBStore.query_arrow, Arrow back. Service.run's
                   5-second result cache is not in the way: it is not used.
  postgres_p95_ms  the same for eight hand-written PostgreSQL queries answering the same questions
                   (date_trunc, count(DISTINCT), percentile_cont, jsonb ->>) over the same rows.
  speedup_geomean  geometric mean over the eight queries of (PostgreSQL median / chDB median).

Data: the demo traffic generator (app/domain/demo/traffic.py: sessions with daily and weekly
seasonality, pageview > signup > purchase funnel, revenue on purchases, path/country/plan/browser
properties, returning and anonymous users, random uuids), scaled up: five applications over the
30 days before now, one of them a busy shop with ~82% of the rows. Each application is generated
at a rate calibrated so the total slightly exceeds ROWS, then rows are dropped uniformly at random
to leave exactly ROWS.

chDB: a fresh data dir in this process, opened as the app opens it (ChDBStore with its default
block cache: NEXUS_CLICKHOUSE_BLOCK_CACHE_MB), with our migrations (render_clickhouse, single node); one
Arrow insert per day of data through ChDBStore.insert_arrow, so the materialized views fill
the hourly rollups as the rows go in; then we wait for background merges to finish.
PostgreSQL: a scratch database `nexus_bench_<random>` on 127.0.0.1:5432 (dropped at the end); the
same rows through COPY (CSV written by pyarrow; properties as jsonb), then indexes on
(app_id, timestamp), (app_id, event, timestamp) and BRIN(timestamp), then VACUUM ANALYZE. The
queries filter on app_id only (an application's organisation is implied), so count queries can be
answered by index-only scans. The session gets work_mem = 256MB and jit = off (JIT compilation only
slows these queries down: the breakdown panel takes ~390 ms with it, ~220 ms without); the server's
settings are left as they are. Both choices favour PostgreSQL.

Both engines answer every query with the same buckets and values (counts exactly; ClickHouse's
uniq within 3%; sums and percentiles within 1e-6): checked once per query before timing, and the
run fails if they differ. Queries run round-robin, WARMUP rounds unmeasured, then RUNS rounds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import math
import os
import secrets
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from psycopg.rows import dict_row

from app.domain.analytics import queries
from app.domain.analytics.schemas import PropertyFilter, QuerySpec, TrendQuery
from app.domain.analytics.timerange import resolve
from app.domain.demo.profiles import MOBILE, SAAS, SHOP, Profile
from app.domain.demo.traffic import TrafficGenerator
from app.engines.clickhouse import ChDBStore
from app.engines.migrations import MIGRATIONS_DIR, load_migrations, render_clickhouse
from app.settings import ClickHouseSettings

NAME = "queries"
ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
ROWS = int(os.environ.get("NEXUS_BENCH_ROWS", "10000000"))
DAYS = 30
SEED = 20_260_301
# Generate this much more than ROWS, then drop the surplus at random.
MARGIN = 1.03
# The calibration run generates each application at this fraction of its final rate.
CALIBRATION_SCALE = 0.25
CH_WARMUP, CH_RUNS = 2, 20
PG_WARMUP, PG_RUNS = 1, 5
MERGE_WAIT_S = 300
PG_DSN = "host=127.0.0.1 port=5432 user=postgres"
PG_STATEMENT_TIMEOUT = "120s"
PG_WORK_MEM = "256MB"
PG_COLUMNS = ("app_id", "org_id", "uuid", "event", "distinct_id", "session_id", "timestamp", "properties")


@dataclasses.dataclass(frozen=True)
class App:
    name: str
    profile: Profile
    share: float  # of ROWS

    @property
    def app_id(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"nexus-bench-queries/{self.name}/app"))

    @property
    def org_id(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"nexus-bench-queries/{self.name}/org"))


# A handful of applications, mostly one big shop; the panels query the big one.
APPS = (
    App("shop", SHOP, 0.82),
    App("saas", SAAS, 0.09),
    App("mobile", MOBILE, 0.06),
    App("saas-small", SAAS, 0.02),
    App("mobile-small", MOBILE, 0.01),
)
BIG = APPS[0]


@dataclasses.dataclass(frozen=True)
class Panel:
    name: str
    spec: QuerySpec
    postgres: str  # %(app_id)s, %(date_from)s and %(date_to)s are bound from the resolved TrendQuery
    tolerance: float  # relative, per value


# Ranges are bound from the resolved TrendQuery, so both engines answer exactly the same question.
_PG_RANGE = """app_id = %(app_id)s
  AND "timestamp" >= %(date_from)s
  AND "timestamp" < %(date_to)s"""

PANELS = (
    Panel(
        "count / hour, 24 h",
        QuerySpec(range="24h", interval="hour"),
        f"""SELECT date_trunc('hour', "timestamp") AS t, count(*) AS value
FROM events
WHERE {_PG_RANGE}
GROUP BY t ORDER BY t""",
        0.0,
    ),
    Panel(
        "count / day, 30 d",
        QuerySpec(range="30d", interval="day"),
        f"""SELECT date_trunc('day', "timestamp") AS t, count(*) AS value
FROM events
WHERE {_PG_RANGE}
GROUP BY t ORDER BY t""",
        0.0,
    ),
    Panel(
        "unique users / day, 7 d",
        QuerySpec(range="7d", interval="day", aggregation="unique_users"),
        f"""SELECT date_trunc('day', "timestamp") AS t, count(DISTINCT distinct_id) AS value
FROM events
WHERE {_PG_RANGE}
GROUP BY t ORDER BY t""",
        0.03,
    ),
    Panel(
        "signup+purchase / hour, 7 d",
        QuerySpec(events=["signup", "purchase"], range="7d", interval="hour"),
        f"""SELECT date_trunc('hour', "timestamp") AS t, event AS series, count(*) AS value
FROM events
WHERE {_PG_RANGE}
  AND event IN ('signup', 'purchase')
GROUP BY t, series ORDER BY t, series""",
        0.0,
    ),
    Panel(
        "p95 cart price / hour, 24 h",
        QuerySpec(events=["add_to_cart"], aggregation="p95", property="price", range="24h", interval="hour"),
        f"""SELECT date_trunc('hour', "timestamp") AS t,
    percentile_cont(0.95) WITHIN GROUP (ORDER BY (properties ->> 'price')::float8) AS value
FROM events
WHERE {_PG_RANGE}
  AND event = 'add_to_cart'
  AND properties ? 'price'
GROUP BY t ORDER BY t""",
        1e-6,
    ),
    Panel(
        "revenue / day, 30 d",
        QuerySpec(events=["purchase"], aggregation="sum", property="revenue", range="30d", interval="day"),
        f"""SELECT date_trunc('day', "timestamp") AS t, sum((properties ->> 'revenue')::float8) AS value
FROM events
WHERE {_PG_RANGE}
  AND event = 'purchase'
GROUP BY t ORDER BY t""",
        1e-6,
    ),
    Panel(
        "pageviews by country top 5 / hour, 24 h",
        QuerySpec(events=["pageview"], breakdown="country", breakdown_limit=5, range="24h", interval="hour"),
        f"""WITH top_values AS (
    SELECT properties ->> 'country' AS series
    FROM events
    WHERE {_PG_RANGE}
      AND event = 'pageview'
    GROUP BY series
    ORDER BY count(*) DESC, series
    LIMIT 5
)
SELECT date_trunc('hour', "timestamp") AS t, properties ->> 'country' AS series, count(*) AS value
FROM events
WHERE {_PG_RANGE}
  AND event = 'pageview'
  AND properties ->> 'country' IN (SELECT series FROM top_values)
GROUP BY t, series ORDER BY t, series""",
        0.0,
    ),
    Panel(
        "pageviews of /checkout / hour, 7 d",
        QuerySpec(
            events=["pageview"],
            filters=[PropertyFilter(property="path", operator="eq", value="/checkout")],
            range="7d",
            interval="hour",
        ),
        f"""SELECT date_trunc('hour', "timestamp") AS t, count(*) AS value
FROM events
WHERE {_PG_RANGE}
  AND event = 'pageview'
  AND properties ->> 'path' = '/checkout'
GROUP BY t ORDER BY t""",
        0.0,
    ),
)


# --- data ------------------------------------------------------------------------------


def _scaled(app: App, factor: float) -> Profile:
    """The app's profile under a key of its own (its own random streams), `factor` times as busy."""
    profile = app.profile
    return dataclasses.replace(
        profile,
        key=f"bench-{app.name}",
        sessions_per_hour=profile.sessions_per_hour * factor,
        returning_users=max(1, round(profile.returning_users * factor)),
    )


def _days(start: datetime) -> list[tuple[datetime, datetime]]:
    return [(start + timedelta(days=i), start + timedelta(days=i + 1)) for i in range(DAYS)]


def generate(start: datetime) -> list[pa.Table]:
    """Exactly ROWS events over DAYS days from `start`, one Arrow table (EVENT_SCHEMA) per day."""
    days = _days(start)
    generators = []
    for app in APPS:
        probe = TrafficGenerator(_scaled(app, CALIBRATION_SCALE), app.app_id, app.org_id)
        at_base = sum(probe.events(a, b).num_rows for a, b in days) / CALIBRATION_SCALE
        factor = ROWS * app.share * MARGIN / max(at_base, 1.0)
        generators.append(TrafficGenerator(_scaled(app, factor), app.app_id, app.org_id))
    chunks = [pa.concat_tables([g.events(a, b) for g in generators]) for a, b in days]
    total = sum(chunk.num_rows for chunk in chunks)
    if total < ROWS:
        raise SystemExit(f"generated {total:,} rows, fewer than {ROWS:,}: raise MARGIN")
    drop = np.sort(np.random.default_rng(SEED).choice(total, total - ROWS, replace=False))
    kept, offset = [], 0
    for chunk in chunks:
        mask = np.ones(chunk.num_rows, dtype=bool)
        mask[drop[(drop >= offset) & (drop < offset + chunk.num_rows)] - offset] = False
        kept.append(chunk.filter(pa.array(mask)))
        offset += chunk.num_rows
    return kept


# --- chDB ------------------------------------------------------------------------------


class ClickHouse:
    """ChDBStore (the app's embedded store) on a fresh data dir, driven from one event loop."""

    def __init__(self, data_dir: Path) -> None:
        self.runner = asyncio.Runner()
        self.store = ChDBStore(data_dir / "clickhouse")
        self.runner.run(self.store.start())

    def __call__(self, awaitable: Any) -> Any:
        return self.runner.run(awaitable)

    def migrate(self) -> None:
        settings = ClickHouseSettings()
        for migration in load_migrations(MIGRATIONS_DIR / "clickhouse"):
            for statement in render_clickhouse(migration.sql, settings):
                self(self.store.command(statement))

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        return self(self.store.query_arrow(sql, params)).column(0)[0].as_py()

    def wait_for_merges(self) -> float:
        started = time.perf_counter()
        while self.scalar("SELECT count() FROM system.merges") and time.perf_counter() - started < MERGE_WAIT_S:
            time.sleep(1)
        return time.perf_counter() - started

    def parts(self, table: str) -> int:
        sql = "SELECT count() FROM system.parts WHERE active AND database = currentDatabase() AND table = {t:String}"
        return int(self.scalar(sql, {"t": table}))

    def granules(self, sql: str, params: dict[str, Any]) -> str:
        """From EXPLAIN indexes = 1: per table read, granules selected / granules in all its parts.
        (The set of a breakdown's top values is built by a subquery the plan does not show.)"""
        plan = self(self.store.query_arrow("EXPLAIN indexes = 1 " + sql, params)).column(0).to_pylist()
        reads: list[list[str]] = []
        for line in plan:
            text = line.strip().lstrip("│└├─ ")
            if text.startswith("ReadFromMergeTree"):
                reads.append([text.split("(")[-1].rstrip(")").split(".")[-1], "?", "?"])
            elif reads and text.startswith("Parts:") and "| Granules:" in text:
                reads[-1][1] = text.rsplit(":", 1)[1].strip()
            elif reads and reads[-1][2] == "?" and text.startswith("Granules:") and "/" in text:
                reads[-1][2] = text.rsplit("/", 1)[1].strip()
        return ", ".join(f"{table} {selected}/{total}" for table, selected, total in reads)

    def close(self) -> None:
        self(self.store.close())
        self.runner.close()


# --- PostgreSQL ------------------------------------------------------------------------


def pg_connect(dbname: str) -> psycopg.Connection[Any]:
    # prepare_threshold=None: no server-side prepared statements, so every run is planned
    # with its actual values (no switch to a generic plan part-way through the runs).
    return psycopg.connect(f"{PG_DSN} dbname={dbname}", autocommit=True, prepare_threshold=None)


def _csv(chunk: pa.Table) -> memoryview:
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(chunk.select(list(PG_COLUMNS)), sink, pa_csv.WriteOptions(include_header=False))
    return memoryview(sink.getvalue())


def pg_load(conn: psycopg.Connection[Any], chunks: list[pa.Table]) -> dict[str, float]:
    """Table, COPY (in the creating transaction, so FREEZE applies), indexes, VACUUM ANALYZE; seconds each."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with conn.transaction():
        conn.execute(
            """CREATE TABLE events (
                   app_id uuid NOT NULL,
                   org_id uuid NOT NULL,
                   uuid uuid NOT NULL,
                   event text NOT NULL,
                   distinct_id text NOT NULL,
                   session_id text NOT NULL,
                   "timestamp" timestamptz NOT NULL,
                   properties jsonb NOT NULL)"""
        )
        columns = ", ".join(f'"{name}"' for name in PG_COLUMNS)
        with conn.cursor().copy(f"COPY events ({columns}) FROM STDIN (FORMAT csv, FREEZE true)") as copy:
            for chunk in chunks:
                copy.write(_csv(chunk))
    seconds["copy"] = time.perf_counter() - started
    conn.execute("SET maintenance_work_mem = '1GB'")
    started = time.perf_counter()
    conn.execute('CREATE INDEX events_app_time ON events (app_id, "timestamp")')
    conn.execute('CREATE INDEX events_app_event_time ON events (app_id, event, "timestamp")')
    conn.execute('CREATE INDEX events_time_brin ON events USING brin ("timestamp")')
    seconds["indexes"] = time.perf_counter() - started
    started = time.perf_counter()
    conn.execute("VACUUM ANALYZE events")
    seconds["vacuum_analyze"] = time.perf_counter() - started
    return seconds


# --- comparing and timing --------------------------------------------------------------

Rows = dict[tuple[datetime, str], float]


def _moment(value: datetime | int) -> datetime:
    """ClickHouse sends DateTime to Arrow as UInt32 seconds."""
    return value if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)


def _rows(records: list[dict[str, Any]]) -> Rows:
    return {(_moment(r["t"]), str(r.get("series") or "")): float(r["value"]) for r in records}


def compare(ch: Rows, pg: Rows, tolerance: float) -> tuple[bool, float]:
    """Same buckets, and values within `tolerance` (relative); and the largest relative difference."""
    if ch.keys() != pg.keys():
        return False, math.inf
    worst = max((abs(ch[k] - pg[k]) / max(abs(pg[k]), 1e-9) for k in ch), default=0.0)
    return worst <= tolerance, worst


def timed(rounds: int, panels: list[Any], run: Callable[[Any], Any]) -> list[list[float]]:
    """Run every panel once per round (round-robin); milliseconds per panel."""
    times: list[list[float]] = [[] for _ in panels]
    for _ in range(rounds):
        for i, panel in enumerate(panels):
            started = time.perf_counter()
            run(panel)
            times[i].append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def write_results(results: dict[str, Any]) -> Path:
    path = RESULTS_DIR / f"{NAME}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


# --- the run ---------------------------------------------------------------------------


def main() -> None:
    load_before = os.getloadavg()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(days=DAYS)
    print(f"generating {ROWS:,} events, {len(APPS)} applications, {DAYS} days ...", flush=True)
    started = time.perf_counter()
    chunks = generate(start)
    generate_s = time.perf_counter() - started
    rows = sum(chunk.num_rows for chunk in chunks)
    big_rows = sum(pc.sum(pc.equal(c.column("app_id"), BIG.app_id)).as_py() or 0 for c in chunks)
    print(f"  {rows:,} rows ({big_rows:,} in the big application) in {generate_s:.1f} s", flush=True)

    trend: list[TrendQuery] = [resolve(panel.spec, BIG.app_id, BIG.org_id, now) for panel in PANELS]
    compiled = [queries.build(query) for query in trend]
    data_dir = Path(tempfile.mkdtemp(prefix="nexus-bench-queries-"))
    database = f"nexus_bench_{secrets.token_hex(4)}"
    ch: ClickHouse | None = None
    admin = psycopg.connect(f"{PG_DSN} dbname=postgres", autocommit=True)
    try:
        ch = ClickHouse(data_dir)
        ch.migrate()
        print("chDB: inserting ...", flush=True)
        started = time.perf_counter()
        for chunk in chunks:
            ch(ch.store.insert_arrow("events", chunk))
        ch_insert_s = time.perf_counter() - started
        print(f"  {rows / ch_insert_s:,.0f} rows/s ({ch_insert_s:.1f} s)", flush=True)

        print(f"PostgreSQL: loading into {database} ...", flush=True)
        admin.execute(f"CREATE DATABASE {database}")
        pg = pg_connect(database)
        pg_seconds = pg_load(pg, chunks)
        print("  " + ", ".join(f"{k} {v:.1f} s" for k, v in pg_seconds.items()), flush=True)
        size = pg.execute("SELECT pg_size_pretty(pg_total_relation_size('events'))").fetchone()
        del chunks
        gc.collect()

        merge_s = ch.wait_for_merges()
        ch_stored = int(ch.scalar("SELECT count() FROM events"))
        rollup_rows = int(ch.scalar("SELECT count() FROM events_rollup"))
        print(
            f"chDB: {ch_stored:,} events in {ch.parts('events')} parts; events_rollup {rollup_rows:,} rows in "
            f"{ch.parts('events_rollup')} parts (waited {merge_s:.0f} s for merges)",
            flush=True,
        )
        print(f"PostgreSQL: table with indexes {size[0] if size else '?'}", flush=True)
        if ch_stored != rows:
            raise SystemExit(f"chDB holds {ch_stored:,} events, expected {rows:,}")

        pg.execute("SET TimeZone = 'UTC'")
        pg.execute(f"SET work_mem = '{PG_WORK_MEM}'")
        pg.execute("SET jit = off")
        pg.execute(f"SET statement_timeout = '{PG_STATEMENT_TIMEOUT}'")
        pg_params = [{"app_id": uuid.UUID(q.app_id), "date_from": q.date_from, "date_to": q.date_to} for q in trend]

        def run_ch(i: int) -> pa.Table:
            assert ch is not None
            return ch(ch.store.query_arrow(compiled[i].sql, compiled[i].params))

        def run_pg(i: int) -> list[dict[str, Any]]:
            cursor = pg.cursor(row_factory=dict_row)
            return cursor.execute(PANELS[i].postgres, pg_params[i]).fetchall()

        print("checking that both engines give the same answers ...", flush=True)
        indexes = list(range(len(PANELS)))
        checks = []
        for i, panel in enumerate(PANELS):
            ok, worst = compare(_rows(run_ch(i).to_pylist()), _rows(run_pg(i)), panel.tolerance)
            checks.append((ok, worst))
            if not ok:
                print(f"  MISMATCH: {panel.name} (largest relative difference {worst:.3g})", flush=True)

        print(f"chDB: {CH_WARMUP} + {CH_RUNS} rounds ...", flush=True)
        timed(CH_WARMUP, indexes, run_ch)
        ch_times = timed(CH_RUNS, indexes, run_ch)
        print(f"PostgreSQL: {PG_WARMUP} + {PG_RUNS} rounds ...", flush=True)
        timed(PG_WARMUP, indexes, run_pg)
        pg_times = timed(PG_RUNS, indexes, run_pg)
        granules = [ch.granules(c.sql, c.params) for c in compiled]
        pg.close()
    finally:
        if ch is not None:
            ch.close()
        shutil.rmtree(data_dir, ignore_errors=True)
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.close()

    if not all(ok for ok, _ in checks):
        raise SystemExit("the engines disagree (see above); no results written")
    ch_medians = [statistics.median(t) for t in ch_times]
    pg_medians = [statistics.median(t) for t in pg_times]
    ratios = [p / c for p, c in zip(pg_medians, ch_medians, strict=True)]
    results = {
        "rows": rows,
        "p95_ms": round(p95([t for ts in ch_times for t in ts]), 1),
        "postgres_p95_ms": round(p95([t for ts in pg_times for t in ts]), 1),
        "speedup_geomean": round(math.exp(sum(math.log(r) for r in ratios) / len(ratios)), 1),
    }
    path = write_results(results)

    print()
    width = max(len(panel.name) for panel in PANELS)
    source_width = max(len(c.source) for c in compiled)
    print(
        f"  {'panel':<{width}}  {'source':<{source_width}}  {'chDB med':>9}  {'chDB p95':>9}  {'PG med':>9}  "
        f"{'speedup':>8}  {'max diff':>8}  granules read (chDB)"
    )
    for i, panel in enumerate(PANELS):
        print(
            f"  {panel.name:<{width}}  {compiled[i].source:<{source_width}}  "
            f"{ch_medians[i]:>7.1f}ms  {p95(ch_times[i]):>7.1f}ms  "
            f"{pg_medians[i]:>7.0f}ms  {ratios[i]:>7.1f}x  {checks[i][1]:>8.2g}  {granules[i]}"
        )
    print()
    width = max(len(key) for key in results)
    for key, value in results.items():
        print(f"  {key:<{width}}  {value}")
    load_after = os.getloadavg()
    print(f"  load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}; {os.cpu_count()} CPUs")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
