"""The background sweep: the safety net that finishes what callbacks and waiters don't.

Each pass (run by the job queue every second, once across all workers):

* claims the searches whose poll is due — atomically, so two workers never poll the same
  search — and polls them inside the shared rate budget (searches without a callback,
  searches whose callback is late, progress for Slack threads); abandoned searches are
  marked expired;
* re-queues deliveries that missed their deadline (a worker died mid-delivery, a job was
  lost), so every Slack request is answered even across crashes and restarts.

Its cost grows with the number of *due* items, not the number of pending searches: both
queues are sorted sets read by score.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from redis.exceptions import LockError

from shared.service import LeadsService

__all__ = ["SweepReport", "Sweeper"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    """What one pass did."""

    polled: int
    deliveries_requeued: int


class Sweeper:
    """Runs sweep passes for one process.

    Args:
        service: the lead-search service.
        batch: most searches (and deliveries) taken per pass.
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

    async def run_once(self) -> SweepReport:
        """One pass: due polls, then overdue deliveries — skipped while another pass runs.

        A pass can wait on the rate limiter when the budget is spent; the lock keeps the
        next ticks from piling up behind it (and from crowding deliveries out of workers).
        """
        store = self.service.store
        lock = store.redis.lock(store.keys.sweep_lock, timeout=self.pass_lease, blocking=False)
        if not await lock.acquire():
            return SweepReport(polled=0, deliveries_requeued=0)
        try:
            return await self._pass()
        finally:
            with contextlib.suppress(LockError):  # the pass outlived its lease
                await lock.release()

    async def _pass(self) -> SweepReport:
        store = self.service.store
        claimed = await store.claim_due_polls(limit=self.batch, lease=self.lease)
        if claimed:
            await asyncio.gather(*(self._poll(request_id) for request_id in claimed))
        overdue = await store.overdue_deliveries(limit=self.batch)
        for delivery_id in overdue:
            log.info("re-queueing an overdue delivery", extra={"delivery_id": delivery_id})
            await self.service.queue_delivery(delivery_id, f"sweep-{time.time():.0f}")
        return SweepReport(polled=len(claimed), deliveries_requeued=len(overdue))

    async def _poll(self, request_id: str) -> None:
        async with self._slots:
            try:
                await self.service.poll_claimed(request_id)
            except Exception:
                # One bad search must not stop the pass; its lease expires and it is retried.
                log.exception("sweep could not poll a search", extra={"request_id": request_id})
