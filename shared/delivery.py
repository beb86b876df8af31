"""Running deliveries: bringing one Slack answer up to date, once, across processes.

A front that can answer (the Slack bot) implements :class:`Deliverer`. The runner makes
sure only one process works on a delivery at a time (a Redis lock with a lease), hands
the deliverer a :class:`DeliveryProgress` to record each step right after it happens, and
marks the delivery finished when the deliverer says so. A crash mid-delivery leaves the
recorded progress behind; the next run (the sweep re-queues overdue deliveries) resumes
after the last recorded step instead of repeating it.

While a run works, a heartbeat renews both its lock and the delivery's deadline, however
long Slack takes (retries, 429 waits): only a run whose process died lets them lapse. A
run that loses its lock anyway (Redis failover, a frozen process) stops at once rather
than post what the next run will post.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from enum import Enum
from typing import Protocol

from redis.asyncio.lock import Lock
from redis.exceptions import LockError

from shared.models import Lead
from shared.state.records import Delivery, SearchRecord
from shared.state.store import SearchStore

__all__ = ["Deliverer", "DeliveryOutcome", "DeliveryProgress", "DeliveryRunner"]

log = logging.getLogger(__name__)


class DeliveryProgress:
    """Records a delivery's steps as they happen."""

    def __init__(self, store: SearchStore, delivery: Delivery) -> None:
        self._store = store
        self.delivery = delivery
        self._results: list[Lead] | None = None

    @property
    def parts_posted(self) -> int:
        """Thread messages already posted (by this run or an earlier one)."""
        return self.delivery.parts_posted

    async def results(self) -> list[Lead]:
        """The search's results (loaded once)."""
        if self._results is None:
            self._results = await self._store.get_results(self.delivery.request_id) or []
        return self._results

    async def part_posted(self, parts_posted: int) -> None:
        """Record that the first ``parts_posted`` thread messages are up."""
        self.delivery = self.delivery.model_copy(update={"parts_posted": parts_posted})
        await self._store.update_delivery(self.delivery.delivery_id, parts_posted=parts_posted)

    async def status_shown(self, status: str) -> None:
        """Record which state the parent message now shows."""
        self.delivery = self.delivery.model_copy(update={"status_shown": status})
        await self._store.update_delivery(self.delivery.delivery_id, status_shown=status)


class Deliverer(Protocol):
    """Brings one answer up to date with its search (implemented by the Slack bot)."""

    async def deliver(
        self, delivery: Delivery, search: SearchRecord, progress: DeliveryProgress
    ) -> bool:
        """Show the search's current state; return True once the answer is complete."""


class DeliveryOutcome(Enum):
    """How a delivery run ended."""

    FINISHED = "finished"
    """The answer is complete."""
    UPDATED = "updated"
    """Progress shown; more to come when the search changes."""
    BUSY = "busy"
    """Another process is working on it (or this run lost its lock); try again shortly."""
    GONE = "gone"
    """Nothing to do: unknown, already finished, or its search has expired from Redis."""


class DeliveryRunner:
    """Runs deliveries one at a time per delivery, across all processes."""

    def __init__(self, store: SearchStore, deliverer: Deliverer) -> None:
        self.store = store
        self.deliverer = deliverer

    async def run(self, delivery_id: str) -> DeliveryOutcome:
        """Bring the delivery up to date; see :class:`DeliveryOutcome`."""
        lease = self.store.timings.delivery_lease
        lock = self.store.delivery_lock(delivery_id, lease=lease)
        if not await lock.acquire():
            return DeliveryOutcome.BUSY
        try:
            delivery = await self.store.get_delivery(delivery_id)
            if delivery is None or delivery.done:
                await self.store.drop_open_delivery(delivery_id)
                return DeliveryOutcome.GONE
            search = await self.store.get_search(delivery.request_id)
            if search is None:
                await self.store.finish_delivery(delivery_id)
                return DeliveryOutcome.GONE
            work = asyncio.create_task(
                self.deliverer.deliver(delivery, search, DeliveryProgress(self.store, delivery))
            )
            heartbeat = _Heartbeat(self.store, lock, delivery_id, work)
            async with heartbeat:
                try:
                    finished = await work
                except asyncio.CancelledError:
                    if not heartbeat.lost:
                        raise
                    return DeliveryOutcome.BUSY
            if finished:
                await self.store.finish_delivery(delivery_id)
                log.info(
                    "search delivered",
                    extra={"request_id": search.request_id, "delivery_id": delivery_id},
                )
                return DeliveryOutcome.FINISHED
            return DeliveryOutcome.UPDATED
        finally:
            with contextlib.suppress(LockError):  # lost: another run may hold it now
                await lock.release()


class _Heartbeat:
    """Renews a running delivery's lock and deadline; cancels the work if the lock is lost."""

    def __init__(
        self, store: SearchStore, lock: Lock, delivery_id: str, work: asyncio.Task[bool]
    ) -> None:
        self._store = store
        self._lock = lock
        self._delivery_id = delivery_id
        self._work = work
        self._task: asyncio.Task[None] | None = None
        self.lost = False

    async def __aenter__(self) -> _Heartbeat:
        self._task = asyncio.create_task(self._beat(), name="leads-delivery-heartbeat")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _beat(self) -> None:
        lease = self._store.timings.delivery_lease
        while True:
            await asyncio.sleep(lease / 3)
            try:
                await self._lock.extend(lease, replace_ttl=True)
            except LockError:
                self.lost = True
                log.error(
                    "delivery lock lost mid-delivery; stopping this run",
                    extra={"delivery_id": self._delivery_id},
                )
                self._work.cancel()
                return
            await self._store.keep_delivery_open(self._delivery_id)
