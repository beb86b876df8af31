"""The background sweep: the safety net that finishes what callbacks and waiters don't.

Each pass (a front's job queue runs one every second, or a few against a fast sandbox: see
:attr:`Sweeper.tick`; once across all its workers) claims the searches whose poll is due —
atomically, so two workers never poll the same search — and polls them inside the shared
rate budget: searches without a callback, searches whose callback is late, progress for
the fronts that show it. Abandoned searches are marked expired.

Then it spends what the budget has idle on **spare polls** of overdue searches (still open
past the time the API usually answers, so probably a lost callback; ``shared/polling.py``),
a few seconds apart, so a lost callback costs seconds instead of the minute to the next
scheduled poll. They go only while the budget is quiet: the rate limiter grants a spare
poll only while every window (minute and hour) is less than half used — a person's
``/leads`` always finds room, and a submission waiting for its turn means no spare polls —
and never makes one wait. The first refusal ends the pass's spare polls and puts the
searches it claimed off until the limiter expects room again; scheduled polls carry on as
if spare polls did not exist, which is today's schedule when the budget is tight.

A pass costs in proportion to the *due* searches, not the open ones: both plans (scheduled
and spare polls) are sorted sets read by score.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.exceptions import LockError

from shared.service import LeadsService

__all__ = ["Sweeper"]

log = logging.getLogger(__name__)

MIN_TICK = 0.25
"""The shortest time between two sweep passes, however fast the API's stand-in."""


class Sweeper:
    """Runs sweep passes for one process.

    Args:
        service: the lead-search service.
        batch: most searches taken per pass (scheduled polls, then as many spare polls).
        concurrency: polls in flight at once (each still waits for the rate limiter).
        lease: seconds a claimed poll stays hidden from other workers (a poll may wait
            for the rate limiter; a process that dies mid-poll delays that search this long).
        pass_lease: seconds a pass holds the sweep lock (a dead process blocks sweeps at
            most this long; a pass outliving it may overlap the next, which is safe).
    """

    def __init__(
        self,
        service: LeadsService,
        *,
        batch: int = 50,
        concurrency: int = 8,
        lease: float = 30.0,
        pass_lease: float = 15.0,
    ) -> None:
        self.service = service
        self.batch = batch
        self.lease = lease
        self.pass_lease = pass_lease
        self._slots = asyncio.Semaphore(concurrency)

    @property
    def tick(self) -> float:
        """Seconds between passes: the poll schedule's finest step, kept within 0.25–1 s.

        1 s for the real API. A sandbox run ten times faster polls ten times as finely
        (0.2 s between a lost callback's spare polls): a pass a second would round every
        one of those steps up to a whole second."""
        schedule = self.service.schedule
        finest = min(
            schedule.without_callback[0], schedule.with_callback[0], schedule.spare_checks[0]
        )
        return min(1.0, max(MIN_TICK, finest))

    async def run_second(self) -> int:
        """Passes :attr:`tick` apart for about a second (a front's job queue starts this
        every second); how many searches they polled."""
        loop = asyncio.get_running_loop()
        start, tick = loop.time(), self.tick
        polled = 0
        for index in range(round(1.0 / tick)):
            if index:
                await asyncio.sleep(max(0.0, start + index * tick - loop.time()))
            polled += await self.run_once()
        return polled

    async def run_once(self) -> int:
        """One pass over the due polls (skipped while another pass runs); how many it polled
        (spare polls included).

        A pass can wait on the rate limiter when the budget is spent; the lock keeps the
        next ticks from piling up behind it (and from crowding other jobs out of workers).
        """
        store = self.service.store
        lock = store.redis.lock(store.keys.sweep_lock, timeout=self.pass_lease, blocking=False)
        if not await lock.acquire():
            return 0
        try:
            return await self._pass()
        finally:
            with contextlib.suppress(LockError):  # the pass outlived its lease
                await lock.release()

    async def _pass(self) -> int:
        claimed = await self.service.store.claim_due_polls(limit=self.batch, lease=self.lease)
        if claimed:
            await asyncio.gather(*(self._poll(request_id) for request_id in claimed))
        # After the scheduled polls, which put off the spare polls of what they just saw.
        return len(claimed) + await self._spare_pass()

    async def _poll(self, request_id: str) -> None:
        async with self._slots:
            try:
                await self.service.poll_claimed(request_id)
            except Exception:
                # One bad search must not stop the pass; its lease expires and it is retried.
                log.exception("sweep could not poll a search", extra={"request_id": request_id})

    async def _spare_pass(self) -> int:
        """Spare polls of the overdue searches, until the budget is not idle."""
        store = self.service.store
        claimed = await store.claim_overdue(limit=self.batch, lease=self.lease)
        refused: list[float] = []  # how long the limiter expects no spare room, once refused

        async def spare(request_id: str) -> bool:
            async with self._slots:
                if refused:  # give it back, for when spare budget may be free again
                    await store.schedule_spare(request_id, store.now() + refused[0])
                    return False
                try:
                    wait = await self.service.poll_spare(request_id)
                except Exception:
                    log.exception("sweep could not poll a search", extra={"request_id": request_id})
                    return False
                if wait:
                    refused.append(wait)
                    return False
                return True

        polled = sum(await asyncio.gather(*(spare(request_id) for request_id in claimed)))
        if refused:
            log.debug("spare polls paused for %.0fs: the request budget is busy", refused[0])
        return polled
