"""One event per request, many concurrent clients.

`python -m bench.single` (`make bench-single`) writes bench/results/single.json:
  requests_per_s  POST /v1/events answered 200 per second, driven by wrk from this machine over
                  loopback at CONNECTIONS connections (each a client sending its next event as
                  soon as the previous one is acknowledged).

Each request is one realistic event (bench/events.py) with a client-chosen uuid unique across the
run, so the writer's de-duplication lookup runs on every flush as with real traffic. An event is
acknowledged only once stored, so a request waits for the group-commit flush it joins; with
closed-loop clients a flush holds at most CONNECTIONS rows, and the rate is bounded by
CONNECTIONS / (time from a request's arrival to its flush's end). That time has a floor, the
engine's insert (about 10 ms for a small part on chDB here, however few its rows), so by
Little's law 5,000 acknowledged requests a second need several hundred clients waiting at
once: CONNECTIONS is 512 (a site's visitors, or an SDK's worker pool, are many more).

With NEXUS_BENCH_PROFILE=1, py-spy samples the server during the measured run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from bench import harness
from bench.events import WRK_SCRIPT, single_templates, write_templates

NAME = "single"
TEMPLATES = 64
CONNECTIONS = int(os.environ.get("NEXUS_BENCH_CONNECTIONS", "512"))
THREADS = 2
WARMUP_S = 3
DURATION_S = 15


def main() -> None:
    harness.need_wrk()
    work = Path(tempfile.mkdtemp(prefix="nexus-bench-single-"))
    try:
        prefix = write_templates(work, single_templates(TEMPLATES))
        script = work / "single.lua"
        script.write_text(WRK_SCRIPT)
        load_before = os.getloadavg()[0]
        with harness.running_server("nexus-bench-single-") as server:
            key = server.create_application("bench-single")["ingest_key"]
            url = f"{server.base}/v1/events"
            common = {"connections": CONNECTIONS, "threads": THREADS}
            harness.wrk(url, script, seconds=WARMUP_S, args=("0", str(prefix), str(TEMPLATES), key), **common)
            cpu_before, metrics_before = harness.cpu_seconds(server.process), harness.writer_metrics(server.base)
            with harness.profiled(server.pid, NAME, DURATION_S - 2):
                run = harness.wrk(
                    url, script, seconds=DURATION_S, args=("1", str(prefix), str(TEMPLATES), key), **common
                )
            cpu = harness.cpu_seconds(server.process) - cpu_before
            flushes = harness.describe_flushes(metrics_before, harness.writer_metrics(server.base))
        harness.report_stop(server)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    seconds = run["duration_us"] / 1e6
    results = {"requests_per_s": round(run["ok"] / seconds, 1)}
    path = harness.write_results(NAME, results)
    harness.table(
        [
            ("requests_per_s", results["requests_per_s"]),
            (
                "requests (200 / other)",
                f"{run['ok']} / {run['failed']} (last other status {run['last_failed_status']})",
            ),
            ("events accepted", run["accepted"]),
            ("socket errors", run["socket_errors"]),
            ("latency p50 / p99 ms", f"{run['p50_us'] / 1000:.1f} / {run['p99_us'] / 1000:.1f}"),
            ("server CPU us per request", f"{cpu / max(run['ok'], 1) * 1e6:.0f}"),
            ("server CPU cores busy", f"{cpu / seconds:.2f}"),
            *flushes,
            ("connections / wrk threads", f"{CONNECTIONS} / {THREADS}"),
            ("load avg 1m before", f"{load_before:.2f}"),
        ]
    )
    print(f"wrote {path.relative_to(harness.ROOT)}")


if __name__ == "__main__":
    main()
