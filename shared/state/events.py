"""Cross-process wake-ups: every change to a search is announced on one pub/sub channel.

A process waiting on a search (an MCP tool call, the CLI) learns of its completion within
milliseconds of the callback landing in any process, instead of at its next poll. Each
process holds one subscription and fans messages out to its local waiters. Messages are
only hints — a waiter always re-reads the record — so a lost message costs latency,
never correctness.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator

import redis.asyncio as aioredis

__all__ = ["EventBus", "Watcher"]

log = logging.getLogger(__name__)


class Watcher:
    """Wakes when a given search changes (or when the bus reconnects)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Mark a change; the next :meth:`wait` returns at once."""
        self._event.set()

    async def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a change; True if one came."""
        try:
            async with asyncio.timeout(max(0.0, timeout)):
                await self._event.wait()
        except TimeoutError:
            return False
        self._event.clear()
        return True


class EventBus:
    """Publishes "<request_id> <status>" and wakes local watchers of that search."""

    def __init__(self, redis: aioredis.Redis, channel: str) -> None:
        self._redis = redis
        self.channel = channel
        self._watchers: defaultdict[str, set[Watcher]] = defaultdict(set)
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def publish(self, request_id: str, status: str) -> None:
        """Announce a change. Failure to publish is logged, never raised: it's a hint."""
        try:
            await self._redis.publish(self.channel, f"{request_id} {status}")
        except (aioredis.RedisError, OSError):
            log.warning("could not publish a change", extra={"request_id": request_id})

    @contextlib.asynccontextmanager
    async def watch(self, request_id: str) -> AsyncIterator[Watcher]:
        """Watch one search for the duration of the block."""
        await self._ensure_listening()
        watcher = Watcher()
        self._watchers[request_id].add(watcher)
        try:
            yield watcher
        finally:
            watchers = self._watchers.get(request_id)
            if watchers is not None:
                watchers.discard(watcher)
                if not watchers:
                    del self._watchers[request_id]

    async def aclose(self) -> None:
        """Stop listening."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None

    async def _ensure_listening(self) -> None:
        if self._listener is None or self._listener.done():
            self._subscribed.clear()
            self._listener = asyncio.create_task(self._listen(), name="leads-event-bus")
        # Subscribing takes one round trip; wait for it so no change slips past a new watcher.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                await self._subscribed.wait()

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                while True:
                    message = await pubsub.get_message(timeout=30.0)
                    if message is None:
                        continue
                    if message.get("type") == "subscribe":
                        # Confirmed by the server: from here on no publish can slip past.
                        self._subscribed.set()
                        self._wake_all()  # anything may have changed while we were away
                        delay = 0.1
                    elif message.get("type") == "message":
                        self._dispatch(message.get("data"))
            except (aioredis.RedisError, OSError):
                log.warning("event bus lost its subscription; reconnecting in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(aioredis.RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _dispatch(self, data: object) -> None:
        if isinstance(data, bytes):
            data = data.decode()
        if not isinstance(data, str):
            return
        request_id = data.partition(" ")[0]
        for watcher in self._watchers.get(request_id, ()):
            watcher.notify()

    def _wake_all(self) -> None:
        for watchers in self._watchers.values():
            for watcher in watchers:
                watcher.notify()
