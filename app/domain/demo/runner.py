"""Demo traffic in the admin's organisation: three applications, their last 30 days of
history, and live traffic every second (issue 3, "Demo traffic").

- `ensure_demo`: the applications (app/domain/demo/apps.py) and their history over the
  window (app/domain/demo/history.py), stored straight into the analytics store. Idempotent;
  a restart catches up what was missed within the window (30 days), older gaps stay gaps.
- `DemoTraffic`: the background task of a running app (and of `nexus demo`). It takes a
  PostgreSQL advisory lock (one generator across processes sharing the databases), ensures
  the applications, catches up, then every second generates the second that just passed for
  each demo application and submits it through the group-commit writers, so live frames
  reach the dashboards; the backfill of older history runs beside it, newest first.
- `start_demo` / `stop_demo`: the two calls app/asgi.py makes.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import structlog
from psycopg import AsyncConnection

from app.domain.demo.apps import DemoApp, current, ensure_apps
from app.domain.demo.history import fill_backward, fill_forward, record
from app.domain.ingest.writer import GroupCommitWriter, Overloaded, StoreUnavailable
from app.engines import Engines
from app.settings import Settings

__all__ = ["DemoApp", "DemoTraffic", "ensure_demo", "run_until_signalled", "start_demo", "stop_demo", "submit_live"]

log = structlog.get_logger(__name__)

WINDOW = timedelta(days=30)  # history kept filled: the first start's backfill, and catch-up after restarts
LIVE_CATCH_UP = timedelta(minutes=5)  # the most the live loop makes up after a stall
SAVE_EVERY_S = 300.0  # how often the live loop records filled_until (and re-reads the apps)
STOP_TIMEOUT_S = 15.0
LOCK_KEY = 0x4E58444D  # "NXDM": one advisory lock for whoever generates the demo traffic


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _window(settings: Settings, window: timedelta) -> timedelta:
    """No history older than the store keeps (its TTL would drop it at once)."""
    return min(window, timedelta(days=settings.clickhouse.retention_days) - timedelta(days=1))


async def ensure_demo(
    engines: Engines, settings: Settings, *, window: timedelta = WINDOW, now: datetime | None = None
) -> list[DemoApp]:
    """The demo applications, with their history stored over [now - window, now).

    Idempotent: a second call stores only what is missing (nothing, for the same `now`)."""
    now = now or _now()
    window = _window(settings, window)
    apps = await ensure_apps(engines, settings, now)
    started = time.perf_counter()
    stored = await fill_forward(engines, apps, now, window)
    stored += await fill_backward(engines, apps, now - window)
    log.info("demo_history_filled", events=stored, seconds=round(time.perf_counter() - started, 1))
    return apps


# --- live ------------------------------------------------------------------------------


async def submit_live(
    apps: list[DemoApp],
    start: datetime,
    end: datetime,
    event_writer: GroupCommitWriter,
    metric_writer: GroupCommitWriter,
    check_uuids: bool = False,
) -> int:
    """Generate [start, end) for each active application and store it through the writers
    (which publish the live frames); returns the events stored."""
    running = [app for app in apps if not app.paused]
    if not running or end <= start:
        return 0

    def generate() -> tuple[pa.Table, pa.Table]:
        events = pa.concat_tables([app.live.events(start, end) for app in running])
        metrics = pa.concat_tables([app.live.metrics(start, end) for app in running])
        return events, metrics

    events, metrics = await asyncio.to_thread(generate)
    stored, _ = await asyncio.gather(
        event_writer.write(events, check_uuids=check_uuids), metric_writer.write(metrics, check_uuids=check_uuids)
    )
    return stored


class DemoTraffic:
    """The demo's background task in a running app (or in `nexus demo`)."""

    def __init__(
        self,
        engines: Engines,
        settings: Settings,
        event_writer: GroupCommitWriter,
        metric_writer: GroupCommitWriter,
        window: timedelta = WINDOW,
        tick_s: float = 1.0,
    ) -> None:
        self._engines = engines
        self._settings = settings
        self._writers = (event_writer, metric_writer)
        self._window = _window(settings, window)
        self._tick_s = tick_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.apps: list[DemoApp] = []

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="demo-traffic")

    async def stop(self) -> None:
        """Finish the chunk or tick in hand, record progress, and end."""
        self._stop.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_TIMEOUT_S)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait(self) -> None:
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        try:
            async with self._exclusive() as held:
                if held:
                    await self._generate()
        except Exception:  # the demo must never take the app down with it
            log.exception("demo_traffic_failed")

    @contextlib.asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[bool]:
        """Hold the demo's advisory lock on a connection of its own, waiting for it (another
        process sharing the databases may be generating); yields False if stopped first."""
        conn = await AsyncConnection.connect(self._engines.postgres.url, autocommit=True)
        try:
            waiting_logged = False
            while not self._stop.is_set():
                cursor = await conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
                row = await cursor.fetchone()
                if row and row[0]:
                    break
                if not waiting_logged:
                    log.info("demo_traffic_waiting", reason="another process generates the demo traffic")
                    waiting_logged = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 30)
            yield not self._stop.is_set()
        finally:
            await conn.close()  # releases the lock

    async def _generate(self) -> None:
        engines, event_writer, metric_writer = self._engines, *self._writers
        now = _now()
        self.apps = await ensure_apps(engines, self._settings, now)
        if not self.apps:
            return
        started = time.perf_counter()
        caught_up = await fill_forward(engines, self.apps, now, self._window)
        log.info("demo_traffic_started", apps=len(self.apps), caught_up_events=caught_up)
        backfill = asyncio.create_task(self._backfill(now - self._window, started), name="demo-backfill")
        # Live traffic continues where the stored history ends (never before: no overlap).
        cursor = max([now, *(app.filled_until for app in self.apps if app.filled_until)])
        try:
            cursor = await self._live(cursor, event_writer, metric_writer)
        finally:
            self._stop.set()
            with contextlib.suppress(Exception):
                await backfill
            await record(engines, self.apps, "filled_until", cursor)

    async def _backfill(self, window_start: datetime, started: float) -> None:
        try:
            stored = await fill_backward(self._engines, self.apps, window_start, self._stop)
        except Exception:
            log.exception("demo_backfill_failed")
            return
        if stored:
            log.info("demo_backfill_done", events=stored, seconds=round(time.perf_counter() - started, 1))

    async def _live(
        self, cursor: datetime, event_writer: GroupCommitWriter, metric_writer: GroupCommitWriter
    ) -> datetime:
        """Every tick, the time since the last one; returns how far it got."""
        retrying = False
        last_save = time.monotonic()
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):  # wake on the next whole tick
                await asyncio.wait_for(self._stop.wait(), self._tick_s - time.time() % self._tick_s)
            if self._stop.is_set():
                break
            now = _now()
            if now <= cursor:  # the stored history runs ahead (the clock was set back)
                continue
            if now - cursor > LIVE_CATCH_UP:
                log.warning("demo_live_gap", skipped_s=(now - cursor - LIVE_CATCH_UP).total_seconds())
                cursor = now - LIVE_CATCH_UP
            try:
                # After a failed tick the same rows come again: let the writer drop any stored.
                await submit_live(self.apps, cursor, now, event_writer, metric_writer, check_uuids=retrying)
                cursor, retrying = now, False
            except (Overloaded, StoreUnavailable) as exc:
                if not retrying:
                    log.warning("demo_live_deferred", error=str(exc))
                retrying = True
            if time.monotonic() - last_save >= SAVE_EVERY_S:
                last_save = time.monotonic()
                await record(self._engines, self.apps, "filled_until", cursor)
                await self._refresh()
        return cursor

    async def _refresh(self) -> None:
        """Pick up paused, resumed or deleted demo applications."""
        if not self.apps:
            return
        now = {app.app_id: app for app in await current(self._engines, self.apps[0].org_id)}
        kept = [app for app in self.apps if app.app_id in now]
        for app in kept:
            app.paused = now[app.app_id].paused
        self.apps[:] = kept


def start_demo(
    engines: Engines, settings: Settings, event_writer: GroupCommitWriter, metric_writer: GroupCommitWriter
) -> DemoTraffic:
    """Start the demo traffic in the background; `await stop_demo(...)` before the writers stop."""
    demo = DemoTraffic(engines, settings, event_writer, metric_writer)
    demo.start()
    return demo


async def stop_demo(demo: DemoTraffic | None) -> None:
    if demo is not None:
        await demo.stop()


async def run_until_signalled(engines: Engines, settings: Settings) -> None:
    """`nexus demo`: the same demo traffic in a process of its own, until Ctrl-C or SIGTERM."""
    from app.domain.ingest.service import writers as ingest_writers
    from realtime.hub import LiveHub

    assert engines.redis.client is not None
    hub = LiveHub(engines.redis.client)
    await hub.start()
    writers = list(ingest_writers(engines.clickhouse, settings.ingest, hub).values())
    for writer in writers:
        await writer.start()
    demo = start_demo(engines, settings, writers[0], writers[1])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        finished = asyncio.create_task(demo.wait())
        await asyncio.wait([finished, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
    finally:
        await demo.stop()
        for writer in writers:
            await writer.stop()
        await hub.stop()
