"""Running deliveries: bringing one Slack answer up to date, once, across processes.

A front that can answer (the Slack bot) implements :class:`Deliverer`. The runner makes
sure only one process works on a delivery at a time (a Redis lock with a lease), hands
the deliverer a :class:`DeliveryProgress` to record each step right after it happens, and
marks the delivery finished when the deliverer says so. A crash mid-delivery leaves the
recorded progress behind; the next run (the sweep re-queues overdue deliveries) resumes
after the last recorded step instead of repeating it.
"""

from __future__ import annotations

import contextlib
import logging
from enum import Enum
from typing import Protocol

from redis.exceptions import LockError

from shared.models import Lead
from shared.state.records import Delivery, SearchRecord
from shared.state.store import SearchStore

__all__ = ["Deliverer", "DeliveryOutcome", "DeliveryProgress", "DeliveryRunner"]

log = logging.getLogger(__name__)


class DeliveryProgress:
    """Records a delivery's steps as they happen (and keeps its lock alive)."""

    def __init__(self, store: SearchStore, delivery: Delivery, lock: object) -> None:
        self._store = store
        self._lock = lock
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
        await self._extend()

    async def status_shown(self, status: str) -> None:
        """Record which state the parent message now shows."""
        self.delivery = self.delivery.model_copy(update={"status_shown": status})
        await self._store.update_delivery(self.delivery.delivery_id, status_shown=status)

    async def _extend(self) -> None:
        extend = getattr(self._lock, "extend", None)
        if extend is None:
            return
        try:
            await extend(self._store.timings.delivery_grace, replace_ttl=True)
        except LockError:
            log.warning(
                "delivery lock lost mid-delivery",
                extra={"delivery_id": self.delivery.delivery_id},
            )


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
    """Another process is working on it; try again shortly."""
    GONE = "gone"
    """Nothing to do: unknown, already finished, or its search has expired from Redis."""


class DeliveryRunner:
    """Runs deliveries one at a time per delivery, across all processes."""

    def __init__(self, store: SearchStore, deliverer: Deliverer) -> None:
        self.store = store
        self.deliverer = deliverer

    async def run(self, delivery_id: str) -> DeliveryOutcome:
        """Bring the delivery up to date; see :class:`DeliveryOutcome`."""
        lock = self.store.delivery_lock(delivery_id, lease=self.store.timings.delivery_grace)
        if not await lock.acquire():
            return DeliveryOutcome.BUSY
        try:
            delivery = await self.store.get_delivery(delivery_id)
            if delivery is None or delivery.done:
                return DeliveryOutcome.GONE
            search = await self.store.get_search(delivery.request_id)
            if search is None:
                await self.store.finish_delivery(delivery_id)
                return DeliveryOutcome.GONE
            progress = DeliveryProgress(self.store, delivery, lock)
            if await self.deliverer.deliver(delivery, search, progress):
                await self.store.finish_delivery(delivery_id)
                log.info(
                    "search delivered",
                    extra={"request_id": search.request_id, "delivery_id": delivery_id},
                )
                return DeliveryOutcome.FINISHED
            return DeliveryOutcome.UPDATED
        finally:
            with contextlib.suppress(LockError):  # lease ran out; another run may hold it
                await lock.release()
