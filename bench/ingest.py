"""Batch ingestion throughput against the engine's own insert rate.

`python -m bench.ingest` (`make bench-ingest`) writes bench/results/ingest.json:
  events_per_s           events acknowledged (HTTP 200, counted from each answer's `accepted`) per
                         second by POST /v1/events/batch, 1,000 events a request, driven by wrk
                         from this machine over loopback at CONNECTIONS connections.
  raw_insert_rows_per_s  the same rows inserted straight into chDB by a process of this benchmark,
                         on a data dir of its own with the app's schema (its migrations, rendered
                         by render_clickhouse), in the same 1,000-row Arrow batches the app
                         builds (prepare_events), through chdb_insert, the function
                         ChDBStore.insert_arrow runs, one insert at a time.
  ratio                  events_per_s / raw_insert_rows_per_s.

Events are realistic (bench/events.py): ~150 bytes of properties, a timestamp, a session, and a
client-chosen uuid unique across the whole run, so the writer's de-duplication lookup runs on
every flush and every flush inserts all of its rows, as with real traffic.

The machine is small and shared, so the raw insert runs before and after the server (its figure
is the mean of the two; the spread is printed), and never at the same time as the server.
With NEXUS_BENCH_PROFILE=1, py-spy samples the server during the measured run and the summary
is printed (see bench/harness.py). For comparison only (printed, not in the JSON), the raw run
also measures inserts of FLUSH_ROWS rows, the size of the writer's flushes under this load: the
engine's own ceiling for what the server does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import harness
from bench.events import WRK_SCRIPT, batch_templates, fill, write_templates

NAME = "ingest"
BATCH = 1_000
TEMPLATES = 8
# Enough clients in flight to keep the server busy: each waits for its answer before sending
# again, so fewer leave the writer idle between flushes and make its inserts small. Measured
# side by side on 2026-11-27 (events/s, p50 latency, mean rows per insert): 32 connections
# 126,140 / 248 ms / 16,227; 64: 159,921 / 382 ms / 32,455; 128: 162,093 / 724 ms / 65,949.
# 64 is where throughput stops growing and only the wait does.
CONNECTIONS = int(os.environ.get("NEXUS_BENCH_CONNECTIONS", "64"))
THREADS = 2
WARMUP_S = 3
DURATION_S = 15
RAW_S = 8
FLUSH_ROWS = 10_000  # the writer's default NEXUS_INGEST_FLUSH_ROWS


def raw_insert(prefix: Path, count: int, seconds: float) -> dict[str, float]:
    """Run in a child process (`--raw`): chDB on a fresh data dir with the app's schema; insert
    the templates' rows as 1,000-row Arrow tables for `seconds` (the benchmark's figure), then,
    for comparison only, as FLUSH_ROWS-row tables (what the writer's flushes insert)."""
    from datetime import UTC, datetime
    from uuid import uuid4

    import chdb
    import msgspec
    import pyarrow as pa

    from app.domain.ingest.keys import AppRef
    from app.domain.ingest.prepare import Submission, Window, prepare_events
    from app.domain.ingest.schemas import EventBatch
    from app.engines.clickhouse import chdb_insert, insert_statement
    from app.engines.migrations import MIGRATIONS_DIR, load_migrations, render_clickhouse
    from app.settings import ClickHouseSettings

    data_dir = Path(tempfile.mkdtemp(prefix="nexus-bench-raw-"))
    conn = chdb.connect(str(data_dir / "clickhouse"))
    try:
        settings = ClickHouseSettings()
        for migration in load_migrations(MIGRATIONS_DIR / "clickhouse"):
            for statement in render_clickhouse(migration.sql, settings):
                conn.query(statement)
        decoder = msgspec.json.Decoder(EventBatch)
        window = Window(datetime.now(UTC), settings.retention_days)
        app = AppRef(str(uuid4()), str(uuid4()))
        tables = []
        for number in range(1, count + 1):
            body = fill(Path(f"{prefix}{number}.json").read_text(), number)
            tables.append(prepare_events([Submission(decoder.decode(body).events, app, window)]).rows)
        statement = insert_statement("events", tables[0])

        def insert(rows: Any) -> None:
            chdb_insert(conn, statement, rows)

        def rate(batches: list[Any]) -> float:
            for rows in batches[:2]:  # warm-up
                insert(rows)
            inserted, number, started = 0, 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                rows = batches[number % len(batches)]
                insert(rows)
                inserted, number = inserted + rows.num_rows, number + 1
            return inserted / (time.perf_counter() - started)

        per_flush = FLUSH_ROWS // BATCH
        big = [pa.concat_tables((tables * per_flush)[i : i + per_flush]) for i in range(count)]
        return {"rows_per_s": rate(tables), "flush_rows_per_s": rate(big)}
    finally:
        conn.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def run_raw(prefix: Path) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.ingest", "--raw", str(prefix), str(TEMPLATES), str(RAW_S)]
    out = subprocess.run(command, cwd=harness.ROOT, capture_output=True, text=True, check=True, timeout=2 * RAW_S + 120)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    harness.need_wrk()
    work = Path(tempfile.mkdtemp(prefix="nexus-bench-ingest-"))
    try:
        prefix = write_templates(work, batch_templates(TEMPLATES, BATCH))
        script = work / "ingest.lua"
        script.write_text(WRK_SCRIPT)
        load_before = os.getloadavg()[0]
        print(f"raw insert ({2 * RAW_S} s) ...", flush=True)
        raw = [run_raw(prefix)]
        print("server ...", flush=True)
        with harness.running_server("nexus-bench-ingest-") as server:
            key = server.create_application("bench-ingest")["ingest_key"]
            url = f"{server.base}/v1/events/batch"
            common: dict[str, Any] = {"connections": CONNECTIONS, "threads": THREADS}
            warm = harness.wrk(url, script, seconds=WARMUP_S, args=("0", str(prefix), str(TEMPLATES), key), **common)
            cpu_before, metrics_before = harness.cpu_seconds(server.process), harness.writer_metrics(server.base)
            with harness.profiled(server.pid, NAME, DURATION_S - 2):
                run = harness.wrk(
                    url, script, seconds=DURATION_S, args=("1", str(prefix), str(TEMPLATES), key), **common
                )
            cpu = harness.cpu_seconds(server.process) - cpu_before
            flushes = harness.describe_flushes(metrics_before, harness.writer_metrics(server.base))
        harness.report_stop(server)
        print(f"raw insert ({2 * RAW_S} s) ...", flush=True)
        raw.append(run_raw(prefix))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    seconds = run["duration_us"] / 1e6
    events_per_s = run["accepted"] / seconds
    raw_rate = sum(r["rows_per_s"] for r in raw) / len(raw)
    results = {
        "events_per_s": round(events_per_s, 1),
        "raw_insert_rows_per_s": round(raw_rate, 1),
        "ratio": round(events_per_s / raw_rate, 3),
    }
    path = harness.write_results(NAME, results)
    spread = abs(raw[0]["rows_per_s"] - raw[1]["rows_per_s"]) / raw_rate * 100
    flush_rate = sum(r["flush_rows_per_s"] for r in raw) / len(raw)
    harness.table(
        [
            ("events_per_s", results["events_per_s"]),
            ("raw_insert_rows_per_s", results["raw_insert_rows_per_s"]),
            (
                "raw runs before / after",
                f"{raw[0]['rows_per_s']:.0f} / {raw[1]['rows_per_s']:.0f} ({spread:.1f}% apart)",
            ),
            ("ratio", results["ratio"]),
            (
                f"raw rows/s, {FLUSH_ROWS:,}-row inserts",
                f"{flush_rate:.0f} (events_per_s / it: {events_per_s / flush_rate:.2f})",
            ),
            (
                "requests (200 / other)",
                f"{run['ok']} / {run['failed']} (last other status {run['last_failed_status']})",
            ),
            ("socket errors", run["socket_errors"]),
            ("latency p50 / p99 ms", f"{run['p50_us'] / 1000:.1f} / {run['p99_us'] / 1000:.1f}"),
            ("server CPU ms per 1,000 events", f"{cpu / max(run['accepted'], 1) * 1e6:.2f}"),
            ("server CPU cores busy", f"{cpu / seconds:.2f}"),
            *flushes,
            ("warm-up events/s", f"{warm['accepted'] / (warm['duration_us'] / 1e6):.0f}"),
            ("connections / wrk threads", f"{CONNECTIONS} / {THREADS}"),
            ("load avg 1m before", f"{load_before:.2f}"),
        ]
    )
    print(f"wrote {path.relative_to(harness.ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--raw"]:
        print(json.dumps(raw_insert(Path(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))))
    else:
        main()
