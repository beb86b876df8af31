"""How the core tells everyone that a search changed: one event bus per process.

Every recorded change (a new phase, the completion) is published once, by the process that
recorded it, as a :class:`SearchChange`:

* **listeners** (:meth:`EventBus.subscribe`) hear every change once. A front hangs its own
  work on them — the Slack bot queues the answers it owes. A change made in a process that
  has listeners reaches them directly, before :meth:`EventBus.publish` returns, and nowhere
  else; a change made in a process without any (an MCP server, the CLI) reaches the
  listeners of every other process over Redis pub/sub within milliseconds.
* **watchers** (:meth:`EventBus.watch`) wait for one search: an MCP tool call or the CLI
  learns of its completion within milliseconds of the callback landing in any process,
  instead of at its next poll.

Pub/sub messages are hints: a lost one (a reconnect, a Redis restart) costs latency, never
correctness, because whoever acts on one re-reads the record, and the fronts keep their own
safety nets (the bot re-queues overdue answers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as aioredis

__all__ = ["ChangeListener", "EventBus", "SearchChange", "Watcher"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchChange:
    """A search reached a new state (its record's ``rev`` tells old news from new)."""

    request_id: str
    status: str
    rev: int

    def encode(self, *, heard: bool) -> str:
        """The pub/sub message: ``"<request_id> <status> <rev> <heard>"``.

        ``heard`` (1 or 0): whether listeners in the sending process already heard it.
        """
        return f"{self.request_id} {self.status} {self.rev} {int(heard)}"

    @classmethod
    def decode(cls, message: str) -> tuple[SearchChange, bool] | None:
        """The change and whether it was heard, or None for a message this bus did not write."""
        parts = message.split(" ")
        if len(parts) != 4 or not parts[2].isdigit():
            return None
        request_id, status, rev, heard = parts
        return cls(request_id, status, int(rev)), heard == "1"


ChangeListener = Callable[[SearchChange], Awaitable[None]]
"""Hears every change of every search (see :meth:`EventBus.subscribe`)."""


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
    """Announces search changes to this process's listeners and watchers, and to others."""

    def __init__(self, redis: aioredis.Redis, channel: str) -> None:
        self._redis = redis
        self.channel = channel
        self._listeners: list[ChangeListener] = []
        self._watchers: defaultdict[str, set[Watcher]] = defaultdict(set)
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._remote_work: set[asyncio.Task[None]] = set()

    async def subscribe(self, listener: ChangeListener) -> None:
        """Have ``listener`` hear every change from now on (see the module's doc for where).

        A change made elsewhere may reach the listeners of several processes, so a listener
        must be idempotent (the bot's queues jobs whose IDs name the change's revision).

        A listener's failure is logged and does not stop the others.
        """
        self._listeners.append(listener)
        await self._ensure_listening()

    async def publish(self, change: SearchChange) -> None:
        """Announce a change recorded by this process.

        This process's listeners run first, awaited. The pub/sub message that wakes waiters
        (and, if nobody here listens, the other processes' listeners) is a hint: failing to
        send it is logged, never raised.
        """
        await self._run_listeners(change)
        try:
            await self._redis.publish(self.channel, change.encode(heard=bool(self._listeners)))
        except (aioredis.RedisError, OSError):
            log.warning("could not publish a change", extra={"request_id": change.request_id})

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
        """Stop listening; listeners still running for other processes' changes are cancelled."""
        tasks = [self._listener] if self._listener is not None else []
        tasks += self._remote_work
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
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
            data = data.decode(errors="replace")
        decoded = SearchChange.decode(data) if isinstance(data, str) else None
        if decoded is None:
            return
        change, heard = decoded
        for watcher in self._watchers.get(change.request_id, ()):
            watcher.notify()
        if not heard and self._listeners:
            # Made in a process with no listeners: ours hear it here (every listening
            # process does; listeners must be idempotent). Tracked, so that none is left
            # unawaited at shutdown.
            task = asyncio.create_task(self._run_listeners(change), name="leads-change-listeners")
            self._remote_work.add(task)
            task.add_done_callback(self._remote_work.discard)

    async def _run_listeners(self, change: SearchChange) -> None:
        for listener in self._listeners:
            try:
                await listener(change)
            except Exception:  # one failing listener must not silence the others
                log.exception("a change listener failed", extra={"request_id": change.request_id})

    def _wake_all(self) -> None:
        for watchers in self._watchers.values():
            for watcher in watchers:
                watcher.notify()
