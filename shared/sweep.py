"""The background sweep: the safety net that finishes what callbacks and waiters don't.

Each pass (a front's job queue runs one every second, once across all its workers) claims
the searches whose poll is due — atomically, so two workers never poll the same search —
and polls them inside the shared rate budget: searches without a callback, searches whose
callback is late, progress for the fronts that show it. Abandoned searches are marked
expired. Its cost grows with the number of *due* searches, not the number pending: the
schedule is a sorted set read by score.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.exceptions import LockError

from shared.service import LeadsService

__all__ = ["Sweeper"]

log = logging.getLogger(__name__)


class Sweeper:
    """Runs sweep passes for one process.

    Args:
        service: the lead-search service.
        batch: most searches taken per pass.
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

    async def run_once(self) -> int:
        """One pass over the due polls (skipped while another pass runs); how many it polled.

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
        return len(claimed)

    async def _poll(self, request_id: str) -> None:
        async with self._slots:
            try:
                await self.service.poll_claimed(request_id)
            except Exception:
                # One bad search must not stop the pass; its lease expires and it is retried.
                log.exception("sweep could not poll a search", extra={"request_id": request_id})
