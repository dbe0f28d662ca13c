"""Live fan-out: Redis pub/sub between processes, bounded queues to each WebSocket.

Every web process runs one hub. Frames are published to Redis once per application
(already encoded), and each process hands the same bytes to all of its local subscribers of
that application: a frame is encoded once, not once per subscriber. Each subscriber has a
bounded queue; one that falls behind is dropped (its socket closed) instead of making the
others wait or memory grow.

The Redis side is Litestar's channels backend (pub/sub); the hub only adds the per-process
subscriber registry and the slow-client policy, which the plugin's fan-out does not offer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict

import structlog
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from redis.asyncio import Redis

from realtime.frames import channel_for

log = structlog.get_logger(__name__)


class Subscription:
    """One WebSocket's view of one application's stream."""

    def __init__(self, app_id: str, max_backlog: int) -> None:
        self.app_id = app_id
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=max_backlog)
        self.dropped = asyncio.Event()

    def offer(self, frame: str) -> None:
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.dropped.set()


class LiveHub:
    def __init__(self, redis: Redis, max_backlog: int = 256) -> None:
        self._backend = RedisChannelsPubSubBackend(redis=redis, key_prefix="nexus")
        self._max_backlog = max_backlog
        self._local: dict[str, set[Subscription]] = defaultdict(set)
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._backend.on_startup()
        self._reader = asyncio.create_task(self._read(), name="live-hub-reader")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._backend.on_shutdown()

    async def publish(self, app_id: str, frame: bytes) -> None:
        await self._backend.publish(frame, [channel_for(app_id)])

    async def subscribe(self, app_id: str) -> Subscription:
        subscription = Subscription(app_id, self._max_backlog)
        async with self._lock:
            first = not self._local[app_id]
            self._local[app_id].add(subscription)
            if first:
                await self._backend.subscribe([channel_for(app_id)])
        return subscription

    async def unsubscribe(self, subscription: Subscription) -> None:
        async with self._lock:
            subscribers = self._local.get(subscription.app_id)
            if subscribers is None:
                return
            subscribers.discard(subscription)
            if not subscribers:
                del self._local[subscription.app_id]
                await self._backend.unsubscribe([channel_for(subscription.app_id)])

    def subscriber_count(self) -> int:
        return sum(len(subscribers) for subscribers in self._local.values())

    async def _read(self) -> None:
        while True:
            try:
                async for channel, payload in self._backend.stream_events():
                    app_id = channel.rsplit(":", 1)[-1]
                    text = payload.decode()  # once per frame, shared by every local subscriber
                    for subscription in tuple(self._local.get(app_id, ())):
                        subscription.offer(text)
            except asyncio.CancelledError:
                raise
            except Exception:  # a Redis hiccup must not end live updates for good
                log.exception("live_hub_read_failed")
                await asyncio.sleep(1)
