"""One run of a watch, exactly once and resumable: :class:`WatchRunner`.

A run is one slot of one watch (``<watch id>:<slot>``), claimed once by the scheduler
(``shared.watch.scheduler``). Its steps are recorded in the run's record as they happen,
so a run cut short by a crash is retried from the step it reached:

1. submit the search (a low-priority request: the rate limiter serves people's searches
   and polls first) and record its ID — a retry finds it and submits nothing;
2. wait for it: the run returns :attr:`RunOutcome.WAITING` and is looked at again when the
   search changes (the front hears it on the event bus) or after a while;
3. count its credit, then hand the leads to the front's :class:`RunDelivery`, which fixes
   which are new (before recording them as seen) and posts them, each step recorded;
4. log the new leads for ``get_new_leads``, record what the run found on the watch.

A search that fails, or an API that refuses it, counts as a failure of the watch; three
in a row pause it, and the front tells its audience why.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from redis.exceptions import LockError

from shared.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InvalidDescriptionError,
    RateLimitError,
)
from shared.models import Lead
from shared.service import LeadsService
from shared.state.records import SearchRecord, SearchState
from shared.watch.store import LastRun, Watch, WatchStore

__all__ = [
    "FAILURES_BEFORE_PAUSE",
    "Found",
    "RunDelivery",
    "RunOutcome",
    "SeenSetDelivery",
    "WatchRunner",
]

log = logging.getLogger(__name__)

FAILURES_BEFORE_PAUSE = 3
"""Failed runs in a row after which a watch is paused."""


class RunOutcome(Enum):
    """How one attempt at a run ended."""

    DONE = "done"
    """The run is over (found something, nothing new, failed or skipped)."""
    WAITING = "waiting"
    """Its search is still running, or the budget is full: looked at again later."""
    BUSY = "busy"
    """Another process is working on it."""
    GONE = "gone"
    """Nothing to do: already done, or its watch was deleted."""


@dataclass(frozen=True)
class Found:
    """What a delivery made of a run's leads."""

    new: list[int]
    """Positions of the leads new to the audience (posted, or reported)."""
    seen: int
    """How many were left out: seen before, or muted."""


class RunDelivery(Protocol):
    """How a front hands a watch's results to its audience."""

    async def deliver(
        self, watch: Watch, run_id: str, search: SearchRecord, leads: list[Lead]
    ) -> Found:
        """Find the new leads and deliver them; safe to call again for the same run."""

    async def tell_paused(self, watch: Watch, reason: str) -> None:
        """Tell the audience the watch was paused, and why."""


class SeenSetDelivery:
    """Delivery of a watch with no channel: its new leads go only to ``get_new_leads``.

    "New" means not reported by this watch before (its seen-set).
    """

    def __init__(self, store: WatchStore) -> None:
        self.store = store

    async def deliver(
        self, watch: Watch, run_id: str, search: SearchRecord, leads: list[Lead]
    ) -> Found:
        """Fix the unseen leads for this run, then remember them all as seen."""
        new = await self.store.keep_new(run_id, await self.store.unseen(watch.watch_id, leads))
        await self.store.mark_seen(watch.watch_id, leads)
        return Found(new, len(leads) - len(new))

    async def tell_paused(self, watch: Watch, reason: str) -> None:
        """Nobody to tell: the watch list shows it paused, with the reason."""
        log.warning("watch paused: %s", reason, extra={"watch_id": watch.watch_id})


class WatchRunner:
    """Runs watch runs against the lead-search service.

    Args:
        store: the watches.
        service: the search service (its client's gate is the shared rate limiter).
        lease: seconds a run's lock lives (a run holds it only between two Slack posts).
        recheck: seconds before an unfinished run is looked at again without news.
    """

    def __init__(
        self,
        store: WatchStore,
        service: LeadsService,
        *,
        lease: float = 120.0,
        recheck: float = 30.0,
    ) -> None:
        self.store = store
        self.service = service
        self.lease = lease
        self.recheck = recheck

    async def run(self, run_id: str, delivery: RunDelivery) -> RunOutcome:
        """Take the run as far as it can go now; see :class:`RunOutcome`."""
        lock = self.store.run_lock(run_id, self.lease)
        if not await lock.acquire():
            return RunOutcome.BUSY
        try:
            return await self._advance(run_id, delivery)
        finally:
            with contextlib.suppress(LockError):  # expired: another attempt may hold it now
                await lock.release()

    async def _advance(self, run_id: str, delivery: RunDelivery) -> RunOutcome:
        watch_id = run_id.partition(":")[0]
        where = {"watch_id": watch_id, "run_id": run_id}
        progress = await self.store.progress(run_id)
        if progress.get("done") == "1":
            await self.store.close_run(run_id)
            return RunOutcome.GONE
        watch = await self.store.get(watch_id)
        if watch is None:
            await self.store.close_run(run_id)
            return RunOutcome.GONE
        request_id = progress.get("request_id")
        if not request_id:
            if watch.paused:
                await self.store.finish_run(
                    watch, run_id, LastRun(self.store.clock.now(), "skipped")
                )
                return RunOutcome.DONE
            try:
                submitted = await self.service.submit(
                    watch.description, watch.origin, fresh=True, kind="watch"
                )
            except RateLimitError as err:
                # People's searches come first: this run waits for room in the budget.
                await self.store.recheck(run_id, float(err.retry_after or self.recheck))
                log.info("watch run waits for the request budget", extra=where)
                return RunOutcome.WAITING
            except InvalidDescriptionError as err:
                return await self._failed(watch, run_id, err.message, delivery)
            except APIError as err:
                return await self._failed(watch, run_id, _refusal(err), delivery)
            request_id = submitted.search.request_id
            await self.store.attach_search(run_id, request_id, self.service.store.pending_ttl)
            log.info("watch run submitted", extra={**where, "request_id": request_id})
        search = await self.service.get(request_id)
        if search is None:
            return await self._failed(watch, run_id, "its search expired unfinished", delivery)
        if not search.is_terminal:
            await self.store.recheck(run_id, self.recheck)
            return RunOutcome.WAITING
        if search.status is not SearchState.COMPLETED:
            reason = f"its search {search.status.value}" + (
                f": {search.error}" if search.error else ""
            )
            return await self._failed(watch, run_id, reason, delivery)
        if search.credit_spent:
            await self.store.count_credit(watch_id, run_id)
        leads = await self.service.results(request_id)
        found = await delivery.deliver(watch, run_id, search, leads)
        await self.store.log_new(watch_id, run_id, [leads[p] for p in found.new])
        status = "found" if found.new else "nothing_new"
        last = LastRun(self.store.clock.now(), status, len(found.new), found.seen)
        await self.store.finish_run(watch, run_id, last)
        log.info("watch run done", extra={**where, "new": len(found.new), "seen": found.seen})
        return RunOutcome.DONE

    async def _failed(
        self, watch: Watch, run_id: str, reason: str, delivery: RunDelivery
    ) -> RunOutcome:
        failures = await self.store.count_failure(watch.watch_id, run_id)
        log.warning(
            "watch run failed (%d in a row): %s",
            failures,
            reason,
            extra={"watch_id": watch.watch_id, "run_id": run_id},
        )
        if failures >= FAILURES_BEFORE_PAUSE and not watch.paused:
            why = f"{failures} runs in a row failed; the last: {reason}"
            await self.store.pause(watch.watch_id, why)
            await delivery.tell_paused(watch, why)
        last = LastRun(self.store.clock.now(), "failed", note=reason)
        await self.store.finish_run(watch, run_id, last)
        return RunOutcome.DONE


def _refusal(err: APIError) -> str:
    """Why the API did not take a run's search, in words for whoever reads the watch list."""
    if isinstance(err, AuthenticationError):
        return "the API refused our credentials (NYNE_API_KEY / NYNE_API_SECRET)"
    if isinstance(err, BadRequestError):
        return f"the API refused the search ({err.code or 'bad request'})"
    return "the API was unavailable"
