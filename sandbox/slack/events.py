"""The stand-in's ordered event log: what a person would have seen happen in Slack, in order.

Every visible effect of a Web API call (a message posted, updated or deleted, an ephemeral
shown, a file shared, a response_url answered, a home tab published) is appended here with a
sequence number. Tests and the demo read it (``events_since``), wait on it with a deadline
(``wait_for``) or follow it (``subscribe``) — no polling loops, no fixed sleeps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

EventKind = Literal[
    "message_posted",
    "message_updated",
    "message_deleted",
    "ephemeral_posted",
    "file_shared",
    "response_url_posted",
    "home_published",
]


@dataclass(frozen=True, slots=True)
class Event:
    """One visible effect, numbered in the order it happened (``seq`` starts at 1)."""

    seq: int
    kind: EventKind
    channel: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    user: str | None = None
    #: What the effect carried: the message as the API returns it, the response_url body, …
    payload: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data (the admin endpoint's shape)."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "channel": self.channel,
            "ts": self.ts,
            "thread_ts": self.thread_ts,
            "user": self.user,
            "payload": self.payload,
            "at": self.at,
        }


EventPredicate = Callable[[Event], bool]


class EventLog:
    """Append-only list of events with asyncio-friendly waiting.

    Waiters are plain futures created on the waiting coroutine's own loop, so one log can be
    read from whichever loop a test or server happens to run.
    """

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._waiters: set[asyncio.Future[None]] = set()

    @property
    def last_seq(self) -> int:
        """Sequence number of the newest event (0 when nothing has happened yet)."""
        return self._events[-1].seq if self._events else 0

    def append(self, kind: EventKind, **fields: Any) -> Event:
        """Record an effect and wake everyone waiting for news."""
        event = Event(seq=self.last_seq + 1, kind=kind, **fields)
        self._events.append(event)
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            _wake(waiter)
        return event

    def events_since(self, since: int = 0, kind: EventKind | None = None) -> list[Event]:
        """Events with ``seq > since`` (oldest first), optionally of one kind."""
        # seq n sits at index n-1: slice instead of scanning the whole log.
        return [e for e in self._events[max(since, 0) :] if kind is None or e.kind == kind]

    async def wait_for(
        self,
        predicate: EventPredicate | None = None,
        *,
        kind: EventKind | None = None,
        since: int = 0,
        timeout: float = 5.0,
    ) -> Event:
        """The first event after ``since`` matching ``kind`` and ``predicate``.

        Returns at once if one already happened; otherwise waits for it until ``timeout``
        seconds have passed, then raises ``TimeoutError``. Pass ``since=log.last_seq`` taken
        before an action to wait only for what that action causes.
        """
        async with asyncio.timeout(timeout):
            seen = since
            while True:
                for event in self.events_since(seen, kind):
                    if predicate is None or predicate(event):
                        return event
                seen = self.last_seq
                await self._next()

    async def subscribe(self, since: int = 0) -> AsyncIterator[Event]:
        """Every event after ``since``, then each new one as it happens (never ends)."""
        seen = since
        while True:
            for event in self.events_since(seen):
                seen = event.seq
                yield event
            await self._next()

    async def wait_for_news(self, since: int, timeout: float) -> list[Event]:
        """Events after ``since``; if there are none yet, wait up to ``timeout`` for some."""
        try:
            async with asyncio.timeout(timeout):
                while not self.events_since(since):
                    await self._next()
        except TimeoutError:
            pass
        return self.events_since(since)

    async def _next(self) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await waiter
        finally:
            self._waiters.discard(waiter)


def _wake(waiter: asyncio.Future[None]) -> None:
    """Resolve a waiter from whichever thread appended (the log may be fed from a server thread)."""
    loop = waiter.get_loop()
    if waiter.done() or loop.is_closed():
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if loop is running:
        waiter.set_result(None)
    else:
        loop.call_soon_threadsafe(_resolve, waiter)


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
