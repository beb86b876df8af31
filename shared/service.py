"""The lead-search service every front uses: submit, follow, complete exactly once.

It joins the API client (behind the shared rate limiter), the Redis store and the event
bus. All state lives in Redis, so any process can pick up where another left off:

* **submit** validates, reuses an identical recent search when it can, otherwise submits
  (with a per-search callback URL when there is a public base URL) and records the search
  with its first poll due;
* **apply** takes news of a search — from a poll or a callback, in any process, any number
  of times — records phase changes, completes the search exactly once and announces every
  change on the event bus (:mod:`shared.state.events`), the one way the fronts hear of it;
* **wait** follows one search until it finishes: woken within milliseconds by the event bus
  when news lands anywhere, and polling it itself when its poll falls due;
* **poll** a search whose scheduled poll is due (:meth:`LeadsService.poll_claimed`), or,
  from idle budget only, an overdue one (:meth:`LeadsService.poll_spare`; the schedule and
  what "overdue" means: :mod:`shared.polling`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from pydantic import ValidationError

from shared._awaitable import settle
from shared.client import NyneClient, check_request_id
from shared.errors import (
    APIError,
    AuthenticationError,
    LookupLimitError,
    NotFoundError,
    RateLimitError,
)
from shared.models import Lead, LeadCallback, Search
from shared.polling import PollSchedule
from shared.state.events import EventBus, SearchChange
from shared.state.limiter import RequestKind, WaitListener
from shared.state.records import Origin, SearchRecord, SearchState
from shared.state.store import REUSE_CLAIM_SECONDS, Completion, SearchStore
from shared.validation import description_fingerprint, validate_description

__all__ = ["CallbackOutcome", "LeadsService", "SubmitResult"]

log = logging.getLogger(__name__)

StatusListener = Callable[[SearchRecord], Awaitable[None] | None]


@dataclass(frozen=True)
class SubmitResult:
    """A submitted search, or an identical recent one reused instead."""

    search: SearchRecord
    reused: bool


class CallbackOutcome(Enum):
    """What the callback receiver answers, by what a callback turned out to be."""

    ACCEPTED = 200
    DUPLICATE = 208  # the receiver still answers 2xx, so the API stops retrying
    UNKNOWN_TOKEN = 404
    INVALID_BODY = 400
    MISMATCHED_REQUEST = 409


class LeadsService:
    """Submit, follow and complete lead searches, with all state in Redis.

    Args:
        client: the API client; its ``gate`` should be the shared rate limiter.
        store: the Redis store.
        bus: the event bus: every change is announced there.
        callback_base_url: ``PUBLIC_BASE_URL``; with it, searches carry a callback URL.
        reuse_window: seconds an identical description reuses an earlier search (0: never).
        sandbox: True when the client talks to the local sandbox (results say so).
        schedule: when to poll.
        lookup_limit: how many lookups that must ask the API (a search we do not know)
            one caller may make per ``lookup_window`` seconds.
    """

    def __init__(
        self,
        *,
        client: NyneClient,
        store: SearchStore,
        bus: EventBus,
        callback_base_url: str | None = None,
        reuse_window: int = 3600,
        sandbox: bool = False,
        schedule: PollSchedule | None = None,
        lookup_limit: int = 10,
        lookup_window: int = 60,
    ) -> None:
        self.client = client
        self.store = store
        self.bus = bus
        self.callback_base_url = callback_base_url.rstrip("/") if callback_base_url else None
        self.reuse_window = reuse_window
        self.sandbox = sandbox
        self.schedule = schedule or PollSchedule()
        self.lookup_limit = lookup_limit
        self.lookup_window = lookup_window

    # -- submitting ---------------------------------------------------------------------

    async def submit(
        self,
        description: str,
        origin: Origin,
        *,
        fresh: bool = False,
        on_wait: WaitListener | None = None,
        claimant: str | None = None,
        kind: RequestKind = "submit",
    ) -> SubmitResult:
        """Start a search for ``description`` (or reuse an identical recent one).

        ``fresh=True`` always submits a new search. ``on_wait(seconds)`` hears of every
        wait for the shared request budget before it starts; ``kind`` is its priority there
        (``"watch"`` for a watch's scheduled run). ``claimant`` names a request that may be
        resumed after a crash (a recorded command's ID): the resumed run takes over what the
        dead one claimed rather than wait for it. Raises the client's errors
        (validation, rate limit, authentication, API).
        """
        text = validate_description(description)
        fingerprint = description_fingerprint(text)
        claim: str | None = None
        if self.reuse_window > 0:
            existing, claim = await self._find_reusable(fingerprint, fresh=fresh, claimant=claimant)
            if existing is not None:
                log.info(
                    "search reused",
                    extra={"request_id": existing.request_id, "origin": origin.front},
                )
                return SubmitResult(existing, reused=True)
        try:
            record = await self._submit_new(text, origin, on_wait, kind)
        except BaseException:
            if claim is not None:
                await self.store.finish_reuse(fingerprint, claim, None, self.reuse_window)
            raise
        if self.reuse_window > 0:
            if claim is not None:
                await self.store.finish_reuse(
                    fingerprint, claim, record.request_id, self.reuse_window
                )
            elif fresh:
                await self.store.remember_reuse(fingerprint, record.request_id, self.reuse_window)
        return SubmitResult(record, reused=False)

    async def _find_reusable(
        self, fingerprint: str, *, fresh: bool, claimant: str | None
    ) -> tuple[SearchRecord | None, str | None]:
        """An existing search to reuse, or our claim to submit one (or neither if fresh)."""
        if fresh:
            return None, None
        deadline = time.monotonic() + REUSE_CLAIM_SECONDS
        pause = 0.05
        while True:
            found = await self.store.claim_reuse(fingerprint, claimant)
            if found.claim is not None:
                return None, found.claim
            if found.request_id is not None:
                record = await self.store.get_search(found.request_id)
                if record is not None and record.status not in (
                    SearchState.FAILED,
                    SearchState.EXPIRED,
                ):
                    return record, None
                await self.store.forget_reuse(fingerprint, found.request_id)
                continue
            # Someone is submitting this very description right now (maybe waiting for the
            # rate limiter): wait for their ID rather than spend a request and a credit.
            if time.monotonic() > deadline:
                return None, None
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)

    async def _submit_new(
        self, text: str, origin: Origin, on_wait: WaitListener | None, kind: RequestKind
    ) -> SearchRecord:
        token = self.store.new_callback_token() if self.callback_base_url else None
        callback_url = f"{self.callback_base_url}/callbacks/nyne/{token}" if token else None
        accepted = await self.client.create_search(
            text, callback_url=callback_url, on_wait=on_wait, kind=kind
        )
        now = datetime.fromtimestamp(self.store.now(), UTC)  # the clock the schedule runs on
        state = SearchState.from_api(accepted.status)
        record = SearchRecord(
            request_id=accepted.request_id,
            description=text,
            origin=origin,
            status=state,
            created_at=now,
            phases={state: now},
            has_callback=token is not None,
            sandbox=self.sandbox,
        )
        first_poll = self.schedule.delay(0, has_callback=record.has_callback)
        await self.store.create_search(
            record,
            first_poll_at=now.timestamp() + first_poll,
            callback_token=token,
            overdue_at=now.timestamp() + self.schedule.overdue_after,
        )
        log.info(
            "search submitted",
            extra={
                "request_id": record.request_id,
                "origin": origin.front,
                "callback": record.has_callback,
                "sandbox": self.sandbox,
            },
        )
        return record

    # -- learning of changes ------------------------------------------------------------

    async def apply(
        self, search: Search, *, polled: bool, spare: bool = False
    ) -> SearchRecord | None:
        """Record news of a search from a poll (``spare``: a spare one) or a callback;
        returns the record.

        Safe to call any number of times, concurrently, from any process: a phase is
        recorded once, and a search is completed once — the other attempts are no-ops.
        """
        request_id = search.request_id
        state = SearchState.from_api(search.status)
        if state.is_terminal:
            outcome, record = await self.store.complete(
                request_id,
                state,
                results=search.results,
                results_count=search.results_count,
                error=search.error,
                polled=polled,
                spare=spare,
            )
            if outcome is Completion.WON and record is not None:
                await self._announce(record)
                return record
            return await self.store.get_search(request_id)
        changed = await self.store.set_status(request_id, state, polled=polled, spare=spare)
        record = await self.store.get_search(request_id)
        if changed and record is not None:
            await self._announce(record)
        return record

    async def _announce(self, record: SearchRecord) -> None:
        """Tell everyone of a change: the log, then the event bus (listeners, watchers)."""
        request_id, state = record.request_id, record.status
        if state.is_terminal:
            log.info(
                "search %s",
                state.value,
                extra={
                    "request_id": request_id,
                    "results_count": record.results_count,
                    "elapsed_s": record.elapsed_seconds,
                    "polls": record.polls,
                    "spare_polls": record.spare_polls,
                    "credit_spent": record.credit_spent,
                    **({"error": record.error} if record.error else {}),
                },
            )
            if state is not SearchState.COMPLETED:
                await self.store.forget_reuse(
                    description_fingerprint(record.description), request_id
                )
        else:
            log.info("search %s", state.value, extra={"request_id": request_id})
        await self.bus.publish(SearchChange(request_id, state.value, record.rev))

    async def resolve_callback_token(self, token: str) -> str | None:
        """The search a callback token belongs to, or None (answer 404 then)."""
        return await self.store.resolve_token(token)

    async def accept_callback(self, request_id: str, body: bytes) -> CallbackOutcome:
        """The body of a callback whose token resolved to ``request_id``.

        A finished search's callbacks are duplicates (the API retries, and polls may have
        finished it first): answered at once, without reading the body — the token already
        proved the sender, and the outcome is settled. Otherwise the body must be valid and
        name this search. Recording it is all that happens here: the fronts hear of it on
        the event bus.
        """
        state = await self.store.get_state(request_id)
        if state is None:
            return CallbackOutcome.UNKNOWN_TOKEN  # the search expired from Redis
        if state.is_terminal:
            return CallbackOutcome.DUPLICATE
        try:
            callback = LeadCallback.model_validate_json(body)
        except ValidationError:
            log.warning("callback with an invalid body", extra={"request_id": request_id})
            return CallbackOutcome.INVALID_BODY
        if not self.store.same_request_id(request_id, callback.request_id):
            log.warning(
                "callback for another search rejected",
                extra={"request_id": request_id, "claimed_request_id": callback.request_id[:80]},
            )
            return CallbackOutcome.MISMATCHED_REQUEST
        await self.apply(callback.to_search(), polled=False)
        return CallbackOutcome.ACCEPTED

    # -- polling -------------------------------------------------------------------------

    async def _still_open(self, request_id: str) -> SearchRecord | None:
        """The record of a search still worth polling; None once it is done or expired."""
        record = await self.store.get_search(request_id)
        if record is None or record.is_terminal:
            await self.store.stop_polling(request_id)
            return None
        age = self.store.now() - record.created_at.timestamp()
        if age > self.store.timings.max_pending:
            await self.expire(request_id)
            return None
        return record

    async def poll_claimed(self, request_id: str) -> None:
        """Poll a search whose poll this process has claimed, then schedule the next one."""
        record = await self._still_open(request_id)
        if record is None:
            return
        age = self.store.now() - record.created_at.timestamp()
        retry_in: float | None = None
        try:
            search = await self.client.get_search(request_id)
        except RateLimitError as err:
            retry_in = err.retry_after or self.schedule.retry_after_error
        except NotFoundError:
            minutes = int(age // 60)
            log.warning("API no longer knows this search", extra={"request_id": request_id})
            await self._finish(
                request_id,
                SearchState.FAILED,
                f"The Person Leads API no longer knows this search (after {minutes} min).",
            )
            return
        except AuthenticationError:
            log.error(
                "API rejected our credentials while polling; check NYNE_API_KEY and "
                "NYNE_API_SECRET",
                extra={"request_id": request_id},
            )
            retry_in = 60.0
        except APIError as err:
            log.warning("poll failed: %s", type(err).__name__, extra={"request_id": request_id})
            retry_in = self.schedule.retry_after_error
        else:
            updated = await self.apply(search, polled=True)
            if updated is None or updated.is_terminal:
                return
            now = self.store.now()
            # Spare polls never advance the schedule: it goes on as if they never happened.
            retry_in = self.schedule.delay(
                updated.scheduled_polls, has_callback=updated.has_callback
            )
            await self.store.schedule_poll(
                request_id,
                now + retry_in,
                no_spare_before=now + self.schedule.spare_delay(updated.spare_polls),
            )
            return
        await self.store.schedule_poll(request_id, self.store.now() + retry_in)

    async def poll_spare(self, request_id: str) -> float:
        """Spend a spare request on an overdue search this process has claimed.

        Returns 0.0 when it polled (or there was nothing left to poll). When the budget is
        not idle — submissions and scheduled polls are using it — nothing is sent: the
        search's next spare poll is put off, and the seconds until spare budget may free
        are returned. Whatever a spare poll finds is applied as any poll's news; its errors
        are left to the scheduled polls, which also decide when to give a search up.
        """
        record = await self._still_open(request_id)
        if record is None:
            return 0.0
        try:
            search = await self.client.get_search(request_id, kind="spare")
        except RateLimitError as err:
            wait = err.retry_after or self.schedule.retry_after_error
            await self.store.schedule_spare(request_id, self.store.now() + wait)
            return wait
        except APIError as err:
            log.info("spare poll failed: %s", type(err).__name__, extra={"request_id": request_id})
            retry_at = self.store.now() + self.schedule.retry_after_error
            await self.store.schedule_spare(request_id, retry_at)
            return 0.0
        updated = await self.apply(search, polled=True, spare=True)
        if updated is not None and not updated.is_terminal:
            next_at = self.store.now() + self.schedule.spare_delay(updated.spare_polls)
            await self.store.schedule_spare(request_id, next_at)
        return 0.0

    async def refresh(self, request_id: str) -> SearchRecord | None:
        """Poll now if this search's poll is due (nobody else is polling it); return it."""
        if await self.store.claim_poll(request_id, lease=30.0):
            await self.poll_claimed(request_id)
        return await self.store.get_search(request_id)

    async def expire(self, request_id: str) -> None:
        """Stop waiting for a search that never finished."""
        minutes = self.store.timings.max_pending // 60
        await self._finish(
            request_id,
            SearchState.EXPIRED,
            f"No result after {minutes} minutes, so we stopped waiting. Please try again.",
        )

    async def _finish(self, request_id: str, state: SearchState, error: str) -> None:
        outcome, record = await self.store.complete(request_id, state, error=error)
        if outcome is Completion.WON and record is not None:
            await self._announce(record)

    # -- reading -------------------------------------------------------------------------

    async def get(self, request_id: str) -> SearchRecord | None:
        """The stored record of a search, or None."""
        return await self.store.get_search(check_request_id(request_id))

    async def results(self, request_id: str) -> list[Lead]:
        """The results of a completed search (empty when none)."""
        return await self.store.get_results(request_id) or []

    async def lookup(self, request_id: str, origin: Origin, *, caller: str) -> SearchRecord:
        """A search by ID, adopting one we never saw (e.g. started elsewhere with this key).

        ``caller`` names who asks (each front picks it: a Slack user, an MCP client, the
        CLI); it gets ``lookup_limit`` lookups a window that must ask the API.

        Raises :class:`NotFoundError` when neither Redis nor the API knows it, and
        :class:`LookupLimitError` when ``caller`` has used up its lookups (nothing sent).
        """
        request_id = check_request_id(request_id)
        record = await self.store.get_search(request_id)
        if record is not None:
            return record
        if await self.store.known_unknown(request_id):
            raise NotFoundError(
                "No search with that request ID.", status_code=404, code="not_found"
            )
        # Remembering unknown IDs stops repeats, not fresh guesses: each new random ID would
        # spend a request of the budget every front shares, so each caller gets a few.
        wait = await self.store.count_lookup(
            caller, limit=self.lookup_limit, window=self.lookup_window
        )
        if wait:
            raise LookupLimitError(retry_after=wait)
        try:
            search = await self.client.get_search(request_id)
        except NotFoundError:
            # Anyone can type a request ID: don't let guesses spend the shared budget.
            await self.store.remember_unknown(request_id)
            raise
        now = datetime.now(UTC)
        adopted = SearchRecord(
            request_id=request_id,
            description="",
            origin=origin,
            status=SearchState.QUEUED,
            created_at=search.created_on or now,
            sandbox=self.sandbox,
        )
        first_poll = now.timestamp() + self.schedule.delay(1, has_callback=False)
        await self.store.create_search(
            adopted,
            first_poll_at=first_poll,
            callback_token=None,
            overdue_at=adopted.created_at.timestamp() + self.schedule.overdue_after,
        )
        return await self.apply(search, polled=True) or adopted

    async def recent(self, limit: int) -> list[SearchRecord]:
        """Recently submitted searches, newest first."""
        return await self.store.recent(limit)

    # -- waiting -------------------------------------------------------------------------

    async def wait(
        self,
        request_id: str,
        *,
        timeout: float,
        on_status: StatusListener | None = None,
    ) -> SearchRecord:
        """Follow a search for up to ``timeout`` seconds; return it, finished or not.

        Wakes as soon as news of the search lands in any process (event bus), and polls
        the API itself whenever the search's poll is due — shared with the sweep, so a
        search is never polled twice at once. ``on_status`` hears every status change.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        shown: SearchState | None = None
        async with self.bus.watch(request_id) as watcher:
            while True:
                record = await self.store.get_search(request_id)
                if record is None:
                    raise NotFoundError(
                        "No search with that request ID.", status_code=404, code="not_found"
                    )
                if record.status != shown:
                    shown = record.status
                    if on_status is not None:
                        await settle(on_status(record))
                if record.is_terminal:
                    return record
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return record
                due = await self.store.next_poll_at(request_id)
                if due is not None and due <= time.time():
                    await self.refresh(request_id)
                    continue
                until_due = (due - time.time()) if due is not None else remaining
                await watcher.wait(min(remaining, max(0.01, until_due)))
