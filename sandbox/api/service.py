"""The Person Leads API's behaviour, without HTTP: create, look up, settle, account."""

from __future__ import annotations

import asyncio
import logging
import secrets
from concurrent.futures import Executor
from typing import Any

from sandbox.api.auth import Authenticator
from sandbox.api.callbacks import CallbackDispatcher
from sandbox.api.clock import Clock
from sandbox.api.engine import LeadFinder, project_lead
from sandbox.api.faults import Faults
from sandbox.api.lifecycle import COMPLETED, FAILED, TERMINAL, plan_schedule
from sandbox.api.ratelimit import SlidingWindowLimiter
from sandbox.api.responses import dumps, naive_timestamp, wrap_data
from sandbox.api.store import Outcome, SandboxSearch, SandboxSearchStore
from sandbox.api.timing import Timing

__all__ = ["RESULT_LIMIT", "SEARCH_FAILED", "SandboxSearchService"]

log = logging.getLogger(__name__)

RESULT_LIMIT = 25
"""Most leads one search returns."""

SEARCH_FAILED = {
    "code": "search_failed",
    "message": "The lead search could not be completed. Please try again.",
}
"""The ``error`` of a failed search (GET body and callback)."""


class SandboxSearchService:
    """Everything the API does, for one sandbox.

    Named apart from the product's ``shared.service.LeadsService``, which is a client of
    the API; this class *is* the (stand-in) API.

    Status is never stored: it is read off the search's schedule at the moment it is
    asked for. A search is *settled* (results fixed, credit charged, body serialised)
    the first time anyone needs its outcome: a GET, its callback, or ``/sandbox/usage``.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        timing: Timing,
        faults: Faults,
        authenticator: Authenticator,
        limiter: SlidingWindowLimiter,
        store: SandboxSearchStore,
        callbacks: CallbackDispatcher,
        engine: LeadFinder | None = None,
        executor: Executor | None = None,
        speed: float = 1.0,
    ) -> None:
        self.clock = clock
        self.speed = speed
        """The divisor already applied to ``timing`` (reported by the admin endpoints)."""
        self.timing = timing
        self.faults = faults
        self.authenticator = authenticator
        self.limiter = limiter
        self.store = store
        self.callbacks = callbacks
        self.engine = engine
        self.executor = executor
        """Where engine searches run; ``None`` runs them inline (unit tests)."""

    def create(self, api_key: str, description: str, callback_url: str | None) -> SandboxSearch:
        """Accept a validated search: plan its schedule, start its search, keep it."""
        fail = self.faults.take("fail_searches")
        schedule = plan_schedule(
            self.timing.phase_seconds, slow_factor=self.faults.slow_search, fail=fail
        )
        created_wall = self.clock.now()
        record = SandboxSearch(
            request_id=secrets.token_hex(32),
            api_key=api_key,
            description=description,
            callback_url=callback_url,
            created_mono=self.clock.monotonic(),
            created_wall=created_wall,
            schedule=schedule,
            results=None if fail else self._start_search(description),
            created_on=naive_timestamp(created_wall),
        )
        self.store.add(record)
        if callback_url is not None:
            self.callbacks.schedule(record, self.settle)
        log.debug(
            "search created request_id=%s fail=%s finishes_in=%.3fs callback=%s",
            record.request_id,
            fail,
            schedule.total,
            callback_url is not None,
        )
        return record

    def find(self, api_key: str, request_id: str) -> SandboxSearch | None:
        """The search, if it exists and belongs to ``api_key``."""
        record = self.store.get(request_id)
        return record if record is not None and record.api_key == api_key else None

    def status_of(self, record: SandboxSearch) -> str:
        """The search's status now, by its schedule (``completed`` may yet settle as failed)."""
        if record.outcome is not None:
            return record.outcome.status
        return record.schedule.status_at(self.clock.monotonic() - record.created_mono)

    async def body_of(self, record: SandboxSearch) -> bytes:
        """The full GET answer for a search, now."""
        status = self.status_of(record)
        if status in TERMINAL:
            data = (await self.settle(record)).data_json
        else:
            data = dumps(
                {"request_id": record.request_id, "status": status, "created_on": record.created_on}
            )
        return wrap_data(data, self.clock.now())

    async def settle(self, record: SandboxSearch) -> Outcome:
        """Fix the search's outcome, charging a credit if it found leads. Idempotent."""
        if record.outcome is not None:
            return record.outcome
        results: list[dict[str, Any]] | None = None
        if record.results is not None:
            try:
                # Shielded: a poller hanging up must not cancel the search for everyone.
                results = await asyncio.shield(record.results)
            except Exception:
                log.exception("search engine failed request_id=%s", record.request_id)
        if record.outcome is None:  # another settle may have finished while we waited
            record.outcome = self._outcome(record, results)
            self._account(record)
        return record.outcome

    async def usage(self, api_key: str) -> dict[str, Any]:
        """Credits, searches and rate-limit state of one key (``GET /sandbox/usage``)."""
        now = self.clock.monotonic()
        in_progress = 0
        for record in self.store.for_key(api_key):
            if record.outcome is None:
                if now - record.created_mono >= record.schedule.total:
                    await self.settle(record)
                else:
                    in_progress += 1
        account = self.store.account(api_key)
        return {
            "api_key": api_key,
            "speed": self.speed,
            "credits_used": account.credits_used,
            "searches": {
                "total": account.searches,
                "in_progress": in_progress,
                "completed": account.completed,
                "completed_without_leads": account.completed_without_leads,
                "failed": account.failed,
            },
            "rate_limit": {state.name: state.to_json() for state in self.limiter.state(api_key)},
            "rate_limited": account.rate_limited,
        }

    async def reset(self) -> None:
        """Forget searches, accounts, rate limits, pending callbacks and faults."""
        await self.callbacks.reset()
        self.store.clear()
        self.limiter.reset()
        self.faults.reset()

    def _start_search(self, description: str) -> asyncio.Future[list[dict[str, Any]]]:
        loop = asyncio.get_running_loop()
        if self.executor is None:
            future: asyncio.Future[list[dict[str, Any]]] = loop.create_future()
            try:
                future.set_result(self._search(description))
            except Exception as err:  # delivered through the future; settle() logs it
                future.set_exception(err)
        else:
            future = loop.run_in_executor(self.executor, self._search, description)
        # Mark the exception retrieved: settle() logs it, if anyone ever asks.
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        return future

    def _search(self, description: str) -> list[dict[str, Any]]:
        if self.engine is None:
            raise RuntimeError("the sandbox search engine is not loaded")
        return [project_lead(lead) for lead in self.engine.search(description, limit=RESULT_LIMIT)]

    def _outcome(self, record: SandboxSearch, results: list[dict[str, Any]] | None) -> Outcome:
        data: dict[str, Any] = {
            "request_id": record.request_id,
            "status": COMPLETED if results is not None else FAILED,
            "created_on": record.created_on,
        }
        if results is None:
            data["error"] = SEARCH_FAILED
            return Outcome(FAILED, [], dict(SEARCH_FAILED), dumps(data))
        data["completed_on"] = naive_timestamp(record.finished_wall)
        data["results_count"] = len(results)
        data["results"] = results
        return Outcome(COMPLETED, results, None, dumps(data))

    def _account(self, record: SandboxSearch) -> None:
        account = self.store.account(record.api_key)
        assert record.outcome is not None
        if record.outcome.status == FAILED:
            account.failed += 1
        elif record.outcome.results:
            account.completed += 1
            account.credits_used += 1  # the spec: credits only when leads are found
        else:
            account.completed += 1
            account.completed_without_leads += 1
