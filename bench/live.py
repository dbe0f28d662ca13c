"""Live fan-out: 1,000 WebSocket subscribers, latency from store to subscriber, and delivery rate
against a bare `websockets` broadcast server fed by the same Redis channel.

`python -m bench.live` (`make bench-live`) writes bench/results/live.json:
  clients             subscribers of one application's `WS /v1/applications/{id}/live?token=…`,
                      held by SUBSCRIBER_PROCESSES processes of this benchmark (websockets client).
  p50_ms, p99_ms      for every events frame produced by ingesting events (POST /v1/events/batch,
                      10 events, INGEST_HZ times a second), received by every subscriber: receipt
                      time minus the frame's `t`, which the server stamps after the flush has
                      stored the rows. Same machine, same clock.
  fanout_msgs_per_s   frames received per second across all subscribers while frames are published
                      on the application's Redis channel at PUBLISH_HZ, steadily, for THROUGHPUT_S:
                      the same bytes the server's own publisher sends after a flush (an encoded
                      EventsFrame, `t` = now). Counted: frames published in the window and received
                      by its end (0.5 s after the last publish); before each window the subscribers
                      wait until nothing more arrives, so no backlog carries over. Mean of two runs.
  baseline_msgs_per_s the same, with the same subscribers connected instead to a bare `websockets`
                      broadcast server (below, `baseline`) subscribed to the same channel of the
                      same Redis (the app's embedded redis-server), in the same run.
  fanout_ratio        fanout_msgs_per_s / baseline_msgs_per_s.

PUBLISH_HZ is 50 (50,000 messages a second offered to 1,000 subscribers): more than either server
delivers on this machine, so each figure is that server's delivery capacity, not the offered rate.
(With the default NEXUS_INGEST_FLUSH_INTERVAL_MS of 50, one busy application produces at most 20
frames a second; at that rate both servers deliver every frame and the ratio says nothing.)
Frames are published straight into Redis, not through ingestion, so both servers see the same
frames at the same rate; the app's ingestion path is in the latency figure. Over a window this
short the app's slow-subscriber limit (a 256-frame queue) is not reached.

Everything is on this 2-core machine: subscribers, servers, Redis and the load share the CPUs, so
the subscriber processes' own receive cost is in every figure (in both servers' alike).
The app runs first, then the baseline; a server that cannot keep up shows it as fewer messages
(the app drops a subscriber whose queue is full with close code 4008: counted and printed).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import msgspec
import psutil

from bench import harness
from bench.events import event, fill
from realtime.frames import EventsFrame, channel_for, encode

NAME = "live"
CLIENTS = 1_000
SUBSCRIBER_PROCESSES = 2
CONNECT_CONCURRENCY = 50
INGEST_HZ = 10
INGEST_EVENTS = 10
LATENCY_S = 15
PUBLISH_HZ = int(os.environ.get("NEXUS_BENCH_PUBLISH_HZ", "50"))
THROUGHPUT_S = 10
SETTLE_S = 2


# --- the bare broadcast server (its own process: python -m bench.live --baseline PORT REDIS CHANNEL)


async def baseline(port: int, redis_url: str, channel: str) -> None:
    """Relay every message of one Redis channel to every connected WebSocket, nothing else."""
    import redis.asyncio as aioredis
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    connections: set[ServerConnection] = set()

    async def handler(websocket: ServerConnection) -> None:
        connections.add(websocket)
        try:
            await websocket.wait_closed()
        finally:
            connections.discard(websocket)

    async def relay(pubsub: Any) -> None:
        async for message in pubsub.listen():
            if message["type"] == "message":
                broadcast(connections, message["data"].decode())

    redis = aioredis.Redis.from_url(redis_url)
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel)
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(handler, "127.0.0.1", port, ping_interval=None, backlog=2048):
        task = asyncio.create_task(relay(pubsub))
        print("ready", flush=True)
        await stop
        task.cancel()
    await pubsub.aclose()
    await redis.aclose()


# --- subscribers (their own processes: python -m bench.live --subscribers), driven by JSON lines


class _Frame(msgspec.Struct):
    type: str
    t: datetime | None = None


class Subscribers:
    """Many WebSocket clients in one process; counts frames and their latency while told to."""

    def __init__(self) -> None:
        self.counting = False
        self.since = 0.0
        self.last_message = time.monotonic()
        self.frames = 0
        self.latencies: list[float] = []
        self.open = 0
        self.closed: Counter[str] = Counter()
        self.tasks: list[asyncio.Task[None]] = []
        self.decoder = msgspec.json.Decoder(_Frame)

    async def client(self, url: str, opened: asyncio.Queue[bool], gate: asyncio.Semaphore) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        try:
            async with gate:
                ws = await connect(url, ping_interval=None, open_timeout=120, max_size=2**20)
        except Exception as exc:  # counted; the others go on
            self.closed[f"connect failed: {type(exc).__name__}"] += 1
            await opened.put(False)
            return
        self.open += 1
        await opened.put(True)
        try:
            async for message in ws:
                self.last_message = time.monotonic()
                if self.counting:
                    received = time.time()
                    frame = self.decoder.decode(message)
                    if frame.type == "events" and frame.t is not None and frame.t.timestamp() >= self.since:
                        self.frames += 1
                        self.latencies.append(received - frame.t.timestamp())
        except ConnectionClosed:
            pass
        finally:
            self.open -= 1
            self.closed[str(ws.close_code)] += 1
            await ws.close()

    async def connect(self, url: str, count: int) -> dict[str, Any]:
        opened: asyncio.Queue[bool] = asyncio.Queue()
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        self.closed.clear()
        started = time.perf_counter()
        self.tasks = [asyncio.create_task(self.client(url, opened, gate)) for _ in range(count)]
        results = [await opened.get() for _ in range(count)]
        return {"open": sum(results), "failed": count - sum(results), "seconds": time.perf_counter() - started}

    async def disconnect(self) -> dict[str, Any]:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []
        return {"open": self.open}

    def start(self, since: float) -> dict[str, Any]:
        """Count frames stamped (published or stored) from `since` (epoch seconds) on."""
        self.frames, self.latencies, self.since, self.counting = 0, [], since, True
        self.closed.clear()
        return {"open": self.open}

    def stop(self) -> dict[str, Any]:
        self.counting = False
        return {"frames": self.frames, "latencies": self.latencies, "open": self.open, "closed": dict(self.closed)}


async def subscribers_main() -> None:
    """Read one JSON command a line from stdin, answer one JSON line on stdout."""
    harness.raise_fd_limit()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    subs = Subscribers()
    while line := await reader.readline():
        command = json.loads(line)
        match command["do"]:
            case "connect":
                answer = await subs.connect(command["url"], command["count"])
            case "start":
                answer = subs.start(command["since"])
            case "idle":
                answer = {"idle_s": time.monotonic() - subs.last_message}
            case "stop":
                answer = subs.stop()
            case "disconnect":
                answer = await subs.disconnect()
            case _:
                break
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    await subs.disconnect()


# --- the orchestration (this process)


class SubscriberProcesses:
    """SUBSCRIBER_PROCESSES child processes, commanded together."""

    def __init__(self) -> None:
        command = [sys.executable, "-m", "bench.live", "--subscribers"]
        self.procs = [
            subprocess.Popen(command, cwd=harness.ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for _ in range(SUBSCRIBER_PROCESSES)
        ]

    def ask(self, **command: Any) -> list[dict[str, Any]]:
        share = command.pop("share", None)
        for number, proc in enumerate(self.procs):
            sent = dict(command)
            if share is not None:
                sent["count"] = share // len(self.procs) + (number < share % len(self.procs))
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(sent) + "\n")
            proc.stdin.flush()
        answers = []
        for proc in self.procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"subscriber process {proc.pid} ended (exit {proc.poll()})")
            answers.append(json.loads(line))
        return answers

    def close(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(OSError):
                assert proc.stdin is not None
                proc.stdin.close()
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def connect(subs: SubscriberProcesses, url: str) -> dict[str, Any]:
    answers = subs.ask(do="connect", url=url, share=CLIENTS)
    opened = sum(a["open"] for a in answers)
    seconds = max(a["seconds"] for a in answers)
    print(f"  {opened} of {CLIENTS} subscribers connected in {seconds:.1f} s", flush=True)
    if opened != CLIENTS:
        raise SystemExit(f"only {opened} of {CLIENTS} subscribers could connect")
    time.sleep(SETTLE_S)  # the subscriptions reach Redis
    return {"open": opened, "connect_s": seconds}


def cpu(procs: list[psutil.Process]) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def drain(subs: SubscriberProcesses, quiet_s: float = 1.0, timeout_s: float = 90.0) -> None:
    """Wait until no subscriber has received anything for `quiet_s`: what a server still had
    queued from the previous window must not be counted in the next."""
    deadline = time.monotonic() + timeout_s
    while min(a["idle_s"] for a in subs.ask(do="idle")) < quiet_s:
        if time.monotonic() > deadline:
            raise RuntimeError(f"subscribers still receiving after {timeout_s} s")
        time.sleep(0.25)


def window(subs: SubscriberProcesses, drive: Any, server: psutil.Process) -> dict[str, Any]:
    """Count what the subscribers receive while `drive()` runs; returns the totals, with the CPU
    seconds the serving process and the subscriber processes used meanwhile."""
    clients = [psutil.Process(proc.pid) for proc in subs.procs]
    drain(subs)
    subs.ask(do="start", since=time.time())
    server_before, clients_before = cpu([server]), cpu(clients)
    started = time.perf_counter()
    sent = drive()
    time.sleep(0.5)  # the last frames in flight
    seconds = time.perf_counter() - started
    server_cpu, clients_cpu = cpu([server]) - server_before, cpu(clients) - clients_before
    answers = subs.ask(do="stop")
    closed: Counter[str] = Counter()
    for answer in answers:
        closed.update(answer["closed"])
    latencies = sorted(lat for answer in answers for lat in answer["latencies"])
    return {
        "frames": sum(a["frames"] for a in answers),
        "seconds": seconds,
        "sent": sent,
        "latencies": latencies,
        "open_after": sum(a["open"] for a in answers),
        "closed": dict(closed),
        "server_cpu": server_cpu,
        "clients_cpu": clients_cpu,
    }


def steady(rate_hz: float, seconds: float, action: Any) -> int:
    """Call `action()` rate_hz times a second for `seconds`, on a fixed schedule (a late call is
    not made up for); returns how many calls were made."""
    period, started, done = 1 / rate_hz, time.perf_counter(), 0
    while (due := started + done * period) < started + seconds:
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        action()
        done += 1
    return done


def ingest_driver(base: str, key: str) -> Any:
    """POST INGEST_EVENTS events INGEST_HZ times a second for LATENCY_S; each answer waits for the
    flush, which publishes one frame."""
    rng = random.Random(3)
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Content-Type": "application/json", "X-API-Key": key}
    statuses: Counter[int] = Counter()

    def post() -> None:
        body = fill(json.dumps({"events": [event(rng, str(uuid.uuid4())) for _ in range(INGEST_EVENTS)]}), 0)
        conn.request("POST", "/v1/events/batch", body, headers)
        response = conn.getresponse()
        response.read()
        statuses[response.status] += 1

    def drive() -> dict[str, int]:
        steady(INGEST_HZ, LATENCY_S, post)
        return {str(status): count for status, count in statuses.items()}

    return drive


def publisher(redis_url: str, channel: str, app_id: str) -> Any:
    """Publish an encoded EventsFrame (as the server's publisher does after a flush) PUBLISH_HZ
    times a second for THROUGHPUT_S."""
    import redis

    client = redis.Redis.from_url(redis_url)
    counts = {"pageview": 7, "click": 2, "signup": 1}

    def publish() -> None:
        client.publish(channel, encode(EventsFrame(app_id=app_id, t=datetime.now(UTC), counts=counts, total=10)))

    def drive() -> int:
        return steady(PUBLISH_HZ, THROUGHPUT_S, publish)

    return drive


def channel_counter(redis_url: str, channel: str) -> tuple[Counter[str], threading.Event]:
    """Count the frames published on `channel` (by anyone), in a thread, until the event is set."""
    import redis

    counted: Counter[str] = Counter()
    stop = threading.Event()
    pubsub = redis.Redis.from_url(redis_url).pubsub()
    pubsub.subscribe(channel)

    def run() -> None:
        while not stop.is_set():
            message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            if message is not None:
                counted["frames"] += 1
        pubsub.close()

    threading.Thread(target=run, daemon=True, name="channel-counter").start()
    return counted, stop


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(fraction * len(values)))]


def describe(label: str, measured: dict[str, Any], published: int) -> None:
    rate = measured["frames"] / measured["seconds"]
    share = measured["frames"] / max(published * CLIENTS, 1)
    lat = measured["latencies"]
    print(
        f"  {label}: {rate:,.0f} msgs/s, {measured['frames']:,} of {published:,} frames x {CLIENTS} "
        f"({share:.1%}); latency p50 {percentile(lat, 0.5) * 1000:.1f} ms, p99 {percentile(lat, 0.99) * 1000:.1f} ms; "
        f"open after {measured['open_after']}, closed {measured['closed'] or 'none'}",
        flush=True,
    )
    per_message = measured["server_cpu"] / max(measured["frames"], 1) * 1e6
    print(
        f"    CPU: serving process {measured['server_cpu'] / measured['seconds']:.2f} cores "
        f"({per_message:.1f} us per message delivered), subscribers "
        f"{measured['clients_cpu'] / measured['seconds']:.2f} cores",
        flush=True,
    )


def main() -> None:
    harness.raise_fd_limit()
    load_before = os.getloadavg()[0]
    subs = SubscriberProcesses()
    baseline_proc: subprocess.Popen[str] | None = None
    runs: dict[str, list[dict[str, Any]]] = {"app": [], "baseline": []}
    try:
        with harness.running_server("nexus-bench-live-") as server:
            app = server.create_application("bench-live")
            token, app_id = server.login(), app["id"]
            redis_url = server.redis_url()
            channel = channel_for(app_id)
            counted, stop_counting = channel_counter(redis_url, channel)
            baseline_port = harness.free_port()
            baseline_proc = subprocess.Popen(
                [sys.executable, "-m", "bench.live", "--baseline", str(baseline_port), redis_url, channel],
                cwd=harness.ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert baseline_proc.stdout is not None
            if baseline_proc.stdout.readline().strip() != "ready":
                raise RuntimeError("the baseline server did not start")
            urls = {
                "app": f"{server.base.replace('http://', 'ws://')}/v1/applications/{app_id}/live?token={token}",
                "baseline": f"ws://127.0.0.1:{baseline_port}/",
            }
            processes = {"app": server.process, "baseline": psutil.Process(baseline_proc.pid)}

            def fan_out(name: str, number: int) -> None:
                process = processes[name]
                before = counted["frames"]
                with harness.profiled(process.pid, f"{NAME}-{name}-{number}", THROUGHPUT_S - 2):
                    measured = window(subs, publisher(redis_url, channel, app_id), process)
                describe(f"{name} {number}, publish at {PUBLISH_HZ}/s", measured, counted["frames"] - before)
                runs[name].append(measured)

            # The app first: latency through ingestion, then fan-out; the baseline twice; the app
            # again. Each fan-out figure is the mean of its two runs (the order evens out).
            print(f"app server: {CLIENTS} subscribers ...", flush=True)
            connect(subs, urls["app"])
            before = counted["frames"]
            with harness.profiled(server.pid, f"{NAME}-latency", LATENCY_S - 2):
                latency = window(subs, ingest_driver(server.base, app["ingest_key"]), server.process)
            latency_published = counted["frames"] - before
            describe(f"app, ingest at {INGEST_HZ}/s (latency)", latency, latency_published)
            print(f"    ingest answers by status: {latency['sent']}", flush=True)
            fan_out("app", 1)
            for name, numbers in (("baseline", (1, 2)), ("app", (2,))):
                subs.ask(do="disconnect")
                print(f"{name} server: {CLIENTS} subscribers ...", flush=True)
                connect(subs, urls[name])
                if name == "baseline":  # for comparison: the same ingest-made frames, relayed bare
                    before = counted["frames"]
                    measured = window(subs, ingest_driver(server.base, app["ingest_key"]), processes[name])
                    published = counted["frames"] - before
                    describe(f"baseline, ingest at {INGEST_HZ}/s (latency, not in json)", measured, published)
                for number in numbers:
                    fan_out(name, number)
            subs.ask(do="disconnect")
            stop_counting.set()
            baseline_proc.send_signal(signal.SIGTERM)
            baseline_proc.wait(30)
        harness.report_stop(server)
    finally:
        subs.close()
        if baseline_proc is not None and baseline_proc.poll() is None:
            baseline_proc.kill()
            baseline_proc.wait()

    def rate(name: str) -> float:
        return sum(m["frames"] / m["seconds"] for m in runs[name]) / len(runs[name])

    def cpu_per_message(name: str) -> float:
        return sum(m["server_cpu"] for m in runs[name]) / max(sum(m["frames"] for m in runs[name]), 1) * 1e6

    fanout_rate, baseline_rate = rate("app"), rate("baseline")
    results = {
        "clients": CLIENTS,
        "p50_ms": round(percentile(latency["latencies"], 0.5) * 1000, 2),
        "p99_ms": round(percentile(latency["latencies"], 0.99) * 1000, 2),
        "fanout_msgs_per_s": round(fanout_rate, 1),
        "baseline_msgs_per_s": round(baseline_rate, 1),
        "fanout_ratio": round(fanout_rate / baseline_rate, 3) if baseline_rate else None,
    }
    path = harness.write_results(NAME, results)
    harness.table(
        [
            *results.items(),
            ("latency samples", f"{len(latency['latencies']):,} ({latency_published} frames x subscribers)"),
            ("offered msgs/s", f"{PUBLISH_HZ * CLIENTS:,} ({PUBLISH_HZ} frames/s x {CLIENTS})"),
            (
                "fan-out runs app / baseline",
                " / ".join(
                    ", ".join(f"{m['frames'] / m['seconds']:,.0f}" for m in runs[name]) for name in ("app", "baseline")
                ),
            ),
            ("CPU us per message app / baseline", f"{cpu_per_message('app'):.1f} / {cpu_per_message('baseline'):.1f}"),
            ("subscriber processes", SUBSCRIBER_PROCESSES),
            ("load avg 1m before", f"{load_before:.2f}"),
        ]
    )
    print(f"wrote {path.relative_to(harness.ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--baseline"]:
        import uvloop

        uvloop.run(baseline(int(sys.argv[2]), sys.argv[3], sys.argv[4]))
    elif sys.argv[1:2] == ["--subscribers"]:
        asyncio.run(subscribers_main())
    else:
        main()
