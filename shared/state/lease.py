"""Keeping a lease on work that only one process may do at a time: :class:`Heartbeat`.

Work that was recorded in Redis before it was acknowledged — a ``/leads`` command and its
deliveries (``bot/``), a queued search (``shared/queue.py``) — is each worked on by one
process at a time, under a Redis lock with a lease. While the work runs, the heartbeat
renews the lock and pushes the work's deadline out (so the requeue pass leaves it alone),
however long Slack or the rate limiter takes: only a run whose process died lets them
lapse. A run that loses its lock anyway (Redis failover, a frozen process) is cancelled at
once rather than do what the next run will.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

from shared._awaitable import stop_task

__all__ = ["Heartbeat"]

log = logging.getLogger(__name__)


class Heartbeat:
    """Renews ``lock`` every third of ``lease`` and calls ``keep_open``; cancels ``work`` if lost.

    Args:
        lock: the held lock.
        lease: seconds the lock lives unless renewed.
        keep_open: pushes the work's deadline out (called after every renewal).
        work: the task doing the work.
        what: names the work in log lines (``{"delivery_id": ...}``).
    """

    def __init__(
        self,
        lock: Lock,
        lease: float,
        keep_open: Callable[[], Awaitable[Any]],
        work: asyncio.Task[Any],
        what: dict[str, str],
    ) -> None:
        self._lock = lock
        self._lease = lease
        self._keep_open = keep_open
        self._work = work
        self._what = what
        self._task: asyncio.Task[None] | None = None
        self.lost = False
        """The lock was lost and the work cancelled: another run may hold it now."""

    async def __aenter__(self) -> Heartbeat:
        self._task = asyncio.create_task(self._beat(), name="leads-heartbeat")
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Asked again until it stops: a cancellation that lands inside a Redis call can be
        # lost (Python 3.11's timeouts turn one that coincides with their own into a
        # TimeoutError, which the retry policy then retries). A single cancel once left a
        # delivery finished but stuck here, its lock renewed for good by the beat.
        await stop_task(self._task)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            try:
                await self._lock.extend(self._lease, replace_ttl=True)
            except LockError:
                self.lost = True
                log.error("lock lost mid-work; stopping this run", extra=self._what)
                self._work.cancel()
                return
            except RedisError:
                # A blip: the lock still has up to two thirds of its lease. Try again at the
                # next beat; if it lapses meanwhile, that extend raises LockError.
                log.warning("could not renew a lock (Redis)", extra=self._what)
                continue
            try:
                await self._keep_open()
            except RedisError:
                log.warning("could not push a deadline out (Redis)", extra=self._what)
