"""Background work: the saq queue on Redis, the tasks it runs and their schedules. Wiring only.

Tasks live in their domains (`app/domain/<name>/tasks.py`) as `async def task(ctx, **kwargs)`;
`ctx` is a `TaskContext`-shaped dict holding what they need. The web process enqueues; the
worker runs: inside the web process with embedded engines (one process) or when
`NEXUS_WORKER_INPROCESS=1`, else in `nexus worker` processes, any number of them.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, TypedDict

import redis.asyncio as aioredis
from saq import CronJob, Queue, Worker
from saq.queue.redis import RedisQueue

from app.core.crypto import SecretBox
from app.core.outbound import OutboundClient
from app.engines import Engines
from app.settings import Settings
from realtime.hub import LiveHub

QUEUE_NAME = "nexus"


class TaskContext(TypedDict, total=False):
    engines: Engines
    settings: Settings
    box: SecretBox
    outbound: OutboundClient
    hub: LiveHub
    queue: Queue


def functions() -> list[Any]:
    """Every task a worker can run. Imported lazily so `app.worker` loads without the domains."""
    from app.domain.connections.health_tasks import health_tick
    from app.domain.discovery.tasks import run_discovery
    from app.domain.insights.tasks import insights_tick
    from app.domain.reports import tasks as report_tasks
    from app.domain.webhooks import tasks as webhook_tasks

    return [
        ("connections.health_tick", health_tick),
        ("discovery.run", run_discovery),
        ("insights.tick", insights_tick),
        ("webhooks.deliver", webhook_tasks.deliver),
        ("webhooks.sweep", webhook_tasks.sweep_webhooks),
        ("reports.weekly", report_tasks.send_weekly_reports),
    ]


def cron_jobs(settings: Settings) -> list[CronJob[Any]]:
    """Periodic work. saq's scheduler makes each run happen once however many workers run."""
    if not settings.worker.schedules:
        return []
    from app.domain.connections.health_tasks import health_tick
    from app.domain.insights.scheduler import cron_expression
    from app.domain.insights.tasks import insights_tick
    from app.domain.reports import tasks as report_tasks
    from app.domain.webhooks import tasks as webhook_tasks

    return [
        CronJob(insights_tick, cron=cron_expression(settings.worker.insight_interval_s)),
        CronJob(health_tick, cron=cron_expression(settings.worker.health_interval_s)),
        # Re-enqueue due webhook deliveries whose queue job was lost (saq names it by __qualname__).
        CronJob(webhook_tasks.sweep_webhooks, cron="* * * * *"),
        # Mondays 08:00 UTC: each application's week to webhooks subscribed to report.weekly.
        CronJob(report_tasks.send_weekly_reports, cron="0 8 * * 1", timeout=600),
    ]


def make_queue(redis_url: str) -> Queue:
    # A client of its own: saq blocks on its connections (dequeue) and must not starve the app's.
    return RedisQueue(aioredis.from_url(redis_url), name=QUEUE_NAME)


class Background:
    """The queue, and the worker when this process runs one."""

    def __init__(self, settings: Settings, context: TaskContext) -> None:
        self.settings = settings
        self.context = context
        self.queue: Queue | None = None
        self.worker: Worker[Any] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, redis_url: str, run_worker: bool) -> Queue:
        self.queue = make_queue(redis_url)
        await self.queue.connect()
        self.context["queue"] = self.queue
        if run_worker:
            self.worker = Worker(
                self.queue,
                functions(),
                cron_jobs=cron_jobs(self.settings),
                concurrency=self.settings.worker.concurrency,
                startup=self._startup,
                shutdown_grace_period_s=5,
            )
            # Inside the web process the server owns SIGINT/SIGTERM; the worker stops with it.
            self.worker.SIGNALS = []
            self._task = asyncio.create_task(self.worker.start(), name="saq-worker")
        return self.queue

    async def _startup(self, ctx: dict[str, Any]) -> None:
        ctx.update(self.context)

    async def run_until_signalled(self) -> None:
        """`nexus worker`: run in the foreground until SIGINT/SIGTERM (saq installs the handlers)."""
        assert self.queue is not None
        self.worker = Worker(
            self.queue,
            functions(),
            cron_jobs=cron_jobs(self.settings),
            concurrency=self.settings.worker.concurrency,
            startup=self._startup,
            shutdown_grace_period_s=20,
        )
        await self.worker.start()

    async def stop(self) -> None:
        if self.worker is not None and self._task is not None:
            await self.worker.stop()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.queue is not None:
            await self.queue.disconnect()
