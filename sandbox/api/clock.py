"""One injectable clock, so the lifecycle, the rate limits and the callbacks agree on time."""

from __future__ import annotations

import asyncio
import heapq
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock"]


class Clock(Protocol):
    """Where the sandbox reads time and how it waits."""

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps; used for every duration."""
        ...

    def now(self) -> datetime:
        """The current time, timezone-aware UTC; used for the timestamps in bodies."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock (callback retries and holds use it)."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic``, ``datetime.now(UTC)`` and ``asyncio.sleep``."""

    def monotonic(self) -> float:
        """Seconds from ``time.monotonic()``."""
        return time.monotonic()

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep``, never negative."""
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock that moves only when told to, for deterministic tests.

    ``sleep`` parks the caller until :meth:`advance` moves time past its deadline, so a
    test can step a search through its phases, or a callback through its retry schedule,
    without waiting in real time.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 1, 14, 15, 30, tzinfo=UTC)
        self._elapsed = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._counter = 0

    def monotonic(self) -> float:
        """Seconds advanced so far."""
        return self._elapsed

    def now(self) -> datetime:
        """The start time plus the seconds advanced so far."""
        return self._start + timedelta(seconds=self._elapsed)

    async def sleep(self, seconds: float) -> None:
        """Wait until the clock has been advanced by ``seconds``."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._counter += 1
        heapq.heappush(self._sleepers, (self._elapsed + seconds, self._counter, waiter))
        await waiter

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline has come."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._elapsed += seconds
        while self._sleepers and self._sleepers[0][0] <= self._elapsed:
            _, _, waiter = heapq.heappop(self._sleepers)
            if not waiter.done():
                waiter.set_result(None)
