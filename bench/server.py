"""Which ASGI server serves the app: uvicorn (uvloop) or granian, measured side by side.

`python -m bench.server` (`make bench-server`) starts the real app (`app.asgi:create_app`) under
each server in turn, with one worker and a fresh data dir for its embedded engines, loads it with
wrk (Debian's `wrk`) over loopback from the same machine, stops it with SIGTERM and checks that
no engine process outlives it. Figures go to bench/results/server.json.

Scenarios, each after a warm-up, at CONNECTIONS connections:
  health  GET /health: framework and server overhead.
  api     GET /v1/applications with a bearer token: auth lookup in PostgreSQL, a page of JSON.

The machine is shared and small, so the servers run in ABBA order (uvicorn, granian, granian,
uvicorn) and each figure is the mean of its two runs; `*_spread_pct` is how far those two differ.
Throughput moves with whatever else the machine runs; the server's own CPU time per request
(`*_cpu_us_per_req`, server process and workers, engines excluded) moves much less.
Granian is chosen only if it stops on SIGTERM, leaves no more processes behind than uvicorn, and on
the api scenario both serves more than MARGIN more requests per second and spends more than MARGIN
less CPU per request: uvicorn is what `nexus run` already uses, and a smaller or unconfirmed gap is
noise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psutil

from bench.harness import (
    ADMIN,
    ROOT,
    WRK_REPORT,
    call,
    cpu_seconds,
    free_port,
    server_command,
    server_env,
    stop,
    wait_until_up,
)

RESULTS = ROOT / "bench" / "results" / "server.json"
CONNECTIONS = 64
WARMUP_S = 2
DURATION_S = 10
MARGIN = 0.05
ORDER = ("uvicorn", "granian", "granian", "uvicorn")
SEEDED_APPLICATIONS = 5
DATA_PREFIX = "nexus-bench-server-"


def wrk(url: str, seconds: int, script: Path, token: str | None, server: psutil.Process) -> dict[str, float]:
    headers = ["-H", f"Authorization: Bearer {token}"] if token else []
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), *headers, url]
    cpu_before = cpu_seconds(server)
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(server) - cpu_before
    report = json.loads(out.strip().splitlines()[-1])
    return {
        "rps": round(report["requests"] / (report["duration_us"] / 1e6), 1),
        "p99_ms": round(report["p99_us"] / 1000, 2),
        "errors": report["errors"],
        "cpu_us_per_req": round(cpu / max(report["requests"], 1) * 1e6, 1),
    }


def measure(name: str) -> dict[str, float | None]:
    """One run of one server: start it on a fresh data dir, load it, stop it."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"{DATA_PREFIX}{name}-"))
    log, script = data_dir / "server.log", data_dir / "report.lua"
    script.write_text(WRK_REPORT)
    env = server_env(data_dir)  # embedded engines in data_dir, no demo traffic, rate limit out of the way
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    figures: dict[str, float | None] = {"load_avg_1m_before": round(os.getloadavg()[0], 2)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            server_command(name, port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until_up(base, proc, log)
        server = psutil.Process(proc.pid)
        token = str(call(f"{base}/v1/auth/token", body={"email": ADMIN[0], "password": ADMIN[1]})["access_token"])
        for i in range(SEEDED_APPLICATIONS):
            call(f"{base}/v1/applications", token, {"name": f"bench-{i}", "type": "web"})
        for scenario, url, bearer in (("health", f"{base}/health", None), ("api", f"{base}/v1/applications", token)):
            wrk(url, WARMUP_S, script, bearer, server)
            for key, value in wrk(url, DURATION_S, script, bearer, server).items():
                figures[f"{scenario}_{key}"] = value
    finally:
        figures["sigterm_exit_s"], figures["leftover_processes"] = stop(proc, data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
    return figures


def combine(key: str, values: list[float | None]) -> float | None:
    """Counts add up, the slowest stop counts (None: some run did not stop), the rest is a mean."""
    if key.endswith(("errors", "leftover_processes")):
        return sum(v or 0 for v in values)
    if key == "sigterm_exit_s":
        return None if None in values else max(v or 0 for v in values)
    numbers = [v or 0 for v in values]
    return round(sum(numbers) / len(numbers), 2)


def ratio(results: dict[str, object], key: str) -> float:
    granian, uvicorn = results[f"granian_{key}"], results[f"uvicorn_{key}"]
    return round(float(granian) / float(uvicorn), 3)  # type: ignore[arg-type]


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("bench.server needs wrk: apt-get install -y wrk")
    runs: dict[str, list[dict[str, float | None]]] = {"uvicorn": [], "granian": []}
    for number, name in enumerate(ORDER, start=1):
        print(f"run {number}/{len(ORDER)}: {name} ...", flush=True)
        runs[name].append(measure(name))
    results: dict[str, object] = {"cpu_count": os.cpu_count(), "connections": CONNECTIONS, "duration_s": DURATION_S}
    for name, measured in runs.items():
        for key in measured[0]:
            results[f"{name}_{key}"] = combine(key, [m[key] for m in measured])
        for scenario in ("health", "api"):
            rps = [float(m[f"{scenario}_rps"] or 0) for m in measured]
            results[f"{name}_{scenario}_rps_spread_pct"] = round((max(rps) - min(rps)) / (sum(rps) / len(rps)) * 100, 1)
    for scenario in ("health", "api"):
        results[f"{scenario}_ratio_granian_over_uvicorn"] = ratio(results, f"{scenario}_rps")
        results[f"{scenario}_cpu_ratio_granian_over_uvicorn"] = ratio(results, f"{scenario}_cpu_us_per_req")
    stops = results["granian_sigterm_exit_s"] is not None
    no_worse = results["granian_leftover_processes"] <= results["uvicorn_leftover_processes"]  # type: ignore[operator]
    faster = results["api_ratio_granian_over_uvicorn"] > 1 + MARGIN  # type: ignore[operator]
    cheaper = results["api_cpu_ratio_granian_over_uvicorn"] < 1 - MARGIN  # type: ignore[operator]
    results["chosen"] = "granian" if stops and no_worse and faster and cheaper else "uvicorn"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")

    figures = ("rps", "rps_spread_pct", "p99_ms", "cpu_us_per_req", "errors")
    rows = [f"{scenario}_{figure}" for scenario in ("health", "api") for figure in figures]
    print(f"{'':24}{'uvicorn':>10}{'granian':>10}")
    for key in [*rows, "sigterm_exit_s", "leftover_processes"]:
        print(f"{key:24}{results[f'uvicorn_{key}']!s:>10}{results[f'granian_{key}']!s:>10}")
    print(
        f"granian/uvicorn: health x{results['health_ratio_granian_over_uvicorn']}, "
        f"api x{results['api_ratio_granian_over_uvicorn']}; CPU per request: "
        f"health x{results['health_cpu_ratio_granian_over_uvicorn']}, "
        f"api x{results['api_cpu_ratio_granian_over_uvicorn']}; "
        f"chosen: {results['chosen']}"
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
