"""Searches that wait their turn for the request budget: :class:`SearchQueue`, :class:`QueueRunner`.

A search asked for by an assistant (MCP) or a script (the CLI) that cannot get a request
slot within its short wait is not refused: it is recorded in Redis — one round trip — and
answered at once with a handle (``queued-<32 hex>``) and when it is expected to start. The
fronts follow a handle like a request ID; its status is ``waiting`` until the API has it.
It is refused only when it could not start within ``LEADS_QUEUE_MAX_WAIT_SECONDS``, and
then the answer says when to come back.

Every long-running process (bot ``web`` and ``worker``, the MCP server) runs a
:class:`QueueRunner`. Runners submit waiting searches in the order they were queued, as
the shared budget frees, behind people's ``/leads`` searches: the limiter's ``queued`` kind
holds back while one of those waits (``shared/state/limiter.py``).

Exactly once, by the same mechanism as the bot's durable ``/leads`` intake: recorded before
it is answered; submitted by one process at a time, under a lock whose lease a heartbeat
renews (``shared/state/lease.py``); its request ID recorded right after the API gave it. A
runner that dies lets its lock lapse and another submits the search. One window stays, as
for ``/leads``: a runner dying between the API's answer and recording it — a few
milliseconds — leaves the search to be submitted again (the core's identical-search reuse
finds the first one if it was recorded).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import redis.asyncio as aioredis
from pydantic import BaseModel
from redis.exceptions import LockError, RedisError

from shared._awaitable import settle, stop_task
from shared.errors import AuthenticationError, LeadsError, QueueFullError, RateLimitError
from shared.service import LeadsService, SubmitResult
from shared.state.keys import Keys
from shared.state.lease import Heartbeat
from shared.state.limiter import RateLimiter
from shared.state.records import Origin
from shared.validation import validate_description

__all__ = ["QueueRunner", "QueueStage", "QueuedSearch", "SearchQueue", "is_queue_handle"]

log = logging.getLogger(__name__)

QUEUE_TTL = 24 * 3600
"""Seconds a queued search's record is kept: long after it was submitted or refused."""
QUEUE_LEASE = 20.0
"""Seconds a runner's lock on a search lives unless its heartbeat renews it."""
RUNNER_ALIVE = 15.0
"""A runner that has not said it is alive for this long is taken for dead."""

_HANDLE = re.compile(r"queued-[0-9a-f]{32}")


def is_queue_handle(text: str) -> bool:
    """True when ``text`` is a queued search's handle (not an API request ID)."""
    return _HANDLE.fullmatch(text) is not None


class QueueStage(StrEnum):
    """How far a queued search has got."""

    WAITING = "waiting"
    """Recorded; the API does not have it yet."""
    SUBMITTED = "submitted"
    """The API has it (or an identical recent search was reused): follow ``request_id``."""
    FAILED = "failed"
    """The API refused it or failed; ``error`` says why."""


class QueuedSearch(BaseModel):
    """One search in the queue, as a front shows it."""

    handle: str
    description: str
    origin: Origin
    fresh: bool = False
    queued_at: datetime
    stage: QueueStage = QueueStage.WAITING
    request_id: str | None = None
    reused: bool = False
    error: str | None = None
    expected_start: datetime | None = None
    """While waiting: when it is expected to go to the API (an estimate)."""
    ahead: int = 0
    """While waiting: how many queued searches go before it."""

    def to_hash(self) -> dict[str, str]:
        """Flat string fields for ``HSET``."""
        fields = {
            "description": self.description,
            "front": self.origin.front,
            "queued_at": f"{self.queued_at.timestamp():.3f}",
            "stage": self.stage.value,
        }
        if self.origin.client:
            fields["client"] = self.origin.client
        if self.fresh:
            fields["fresh"] = "1"
        return fields

    @classmethod
    def from_hash(cls, handle: str, fields: dict[str, str]) -> QueuedSearch:
        """Rebuild from its handle and ``HGETALL`` (decoded)."""
        return cls(
            handle=handle,
            description=fields.get("description", ""),
            origin=Origin(
                front=fields.get("front") or "unknown", client=fields.get("client"), ref=handle
            ),
            fresh=fields.get("fresh") == "1",
            queued_at=datetime.fromtimestamp(float(fields.get("queued_at") or 0), UTC),
            stage=QueueStage(fields.get("stage") or QueueStage.WAITING.value),
            request_id=fields.get("request_id") or None,
            reused=fields.get("reused") == "1",
            error=fields.get("error") or None,
        )


class SearchQueue:
    """The queue in Redis, behind named operations (keys: ``shared/state/keys.py``).

    Args:
        redis: a decoded Redis client.
        keys: the key schema.
        limiter: the shared request budget (to estimate when a search can start).
        max_wait: seconds; a search expected to start later than this is refused.
    """

    def __init__(
        self, redis: aioredis.Redis, *, keys: Keys, limiter: RateLimiter, max_wait: float
    ) -> None:
        self._redis = redis
        self.keys = keys
        self.limiter = limiter
        self.max_wait = max_wait

    async def enqueue(self, description: str, origin: Origin, *, fresh: bool) -> QueuedSearch:
        """Record a search to submit when the budget allows; raises
        :class:`QueueFullError` (with ``retry_after``) when it could not start within
        ``max_wait``, and the core's validation errors for a bad description."""
        text = validate_description(description)
        ahead = int(await self._redis.zcard(self.keys.queue))
        wait = await self.limiter.expected_wait(ahead + await self._interactive_waiting())
        if wait > self.max_wait:
            raise QueueFullError(expected_wait=wait, bound=self.max_wait)
        now = datetime.now(UTC)
        handle = f"queued-{secrets.token_hex(16)}"
        entry = QueuedSearch(
            handle=handle,
            description=text,
            origin=origin.model_copy(update={"ref": handle}),
            fresh=fresh,
            queued_at=now,
            expected_start=now + timedelta(seconds=wait),
            ahead=ahead,
        )
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.queued(handle), mapping=entry.to_hash())
            pipe.expire(self.keys.queued(handle), QUEUE_TTL)
            pipe.zadd(self.keys.queue, {handle: now.timestamp()})
            pipe.expire(self.keys.queue, QUEUE_TTL)
            await pipe.execute()
        log.info(
            "search queued",
            extra={"handle": handle, "origin": origin.front, "ahead": ahead, "wait_s": wait},
        )
        return entry

    async def _interactive_waiting(self) -> int:
        """1 while a person's search waits for a slot (it goes before the queue), else 0."""
        return 1 if await self._redis.exists(self.limiter.waiting_key) else 0

    async def record(self, handle: str) -> QueuedSearch | None:
        """A queued search by handle, as recorded (no place, no estimate)."""
        fields: dict[str, str] = await settle(self._redis.hgetall(self.keys.queued(handle)))
        return QueuedSearch.from_hash(handle, fields) if fields else None

    async def get(self, handle: str) -> QueuedSearch | None:
        """A queued search by handle (with its place and expected start while waiting)."""
        entry = await self.record(handle)
        if entry is not None and entry.stage is QueueStage.WAITING:
            rank = await self._redis.zrank(self.keys.queue, handle)
            entry.ahead = int(rank or 0)
            wait = await self.limiter.expected_wait(entry.ahead)
            entry.expected_start = datetime.now(UTC) + timedelta(seconds=wait)
        return entry

    async def submit_or_queue(
        self, service: LeadsService, description: str, origin: Origin, *, fresh: bool
    ) -> SubmitResult | QueuedSearch:
        """Submit at once if the budget allows within the limiter's short ``queued`` wait
        and nobody is queued ahead; otherwise queue it (see :meth:`enqueue`)."""
        if await self.waiting() == 0:
            try:
                return await service.submit(description, origin, fresh=fresh, kind="queued")
            except RateLimitError:
                pass  # its turn is not now: it waits in the queue instead
        return await self.enqueue(description, origin, fresh=fresh)

    async def wait_submitted(self, handle: str, timeout: float) -> QueuedSearch | None:
        """The queued search once it has left the queue, or as it is after ``timeout``
        seconds (None if unknown)."""
        deadline = time.monotonic() + timeout
        pause = 0.1
        while True:
            entry = await self.record(handle)
            if entry is None or entry.stage is not QueueStage.WAITING:
                return entry
            left = deadline - time.monotonic()
            if left <= 0:
                return await self.get(handle)  # still waiting: with its place and estimate
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, 1.0)

    async def waiting(self) -> int:
        """How many searches wait in the queue."""
        return int(await self._redis.zcard(self.keys.queue))

    async def heads(self, count: int) -> list[str]:
        """The ``count`` searches that have waited longest, oldest first."""
        return list(await self._redis.zrange(self.keys.queue, 0, count - 1))

    async def finish(
        self,
        handle: str,
        *,
        request_id: str | None = None,
        reused: bool = False,
        error: str | None = None,
    ) -> None:
        """Record that a search went to the API (``request_id``) or failed (``error``),
        and take it out of the queue, in one step."""
        fields = (
            {"stage": QueueStage.SUBMITTED.value, "request_id": request_id or ""}
            if error is None
            else {"stage": QueueStage.FAILED.value, "error": error}
        )
        if reused:
            fields["reused"] = "1"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.queued(handle), mapping=fields)
            pipe.zrem(self.keys.queue, handle)
            await pipe.execute()

    async def drop(self, handle: str) -> None:
        """Take a handle whose record is gone out of the queue."""
        await self._redis.zrem(self.keys.queue, handle)

    async def say_alive(self, runner: str) -> None:
        """Note that ``runner`` is running (and forget runners long gone)."""
        now = time.time()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self.keys.queue_runners, {runner: now})
            pipe.zremrangebyscore(self.keys.queue_runners, "-inf", now - 10 * RUNNER_ALIVE)
            pipe.expire(self.keys.queue_runners, QUEUE_TTL)
            await pipe.execute()

    async def say_gone(self, runner: str) -> None:
        """Note that ``runner`` stopped."""
        await self._redis.zrem(self.keys.queue_runners, runner)

    async def runners_alive(self) -> int:
        """How many runners said they were alive in the last :data:`RUNNER_ALIVE` seconds."""
        since = time.time() - RUNNER_ALIVE
        return int(await self._redis.zcount(self.keys.queue_runners, f"({since}", "+inf"))

    def lock(self, handle: str) -> aioredis.lock.Lock:
        """The lock a runner holds while it submits ``handle``."""
        return self._redis.lock(self.keys.queued_lock(handle), timeout=QUEUE_LEASE)


class QueueRunner:
    """Submits queued searches, oldest first, as the shared budget allows.

    Args:
        queue: the queue.
        service: the core, which submits (behind the limiter's ``queued`` kind).
        idle: seconds between looks at an empty queue.
    """

    def __init__(self, queue: SearchQueue, service: LeadsService, *, idle: float = 0.5) -> None:
        self.queue = queue
        self.service = service
        self.idle = idle
        self.name = f"runner-{secrets.token_hex(6)}"
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Run in the background until :meth:`stop`."""
        self._task = asyncio.create_task(self._loop(), name="leads-queue-runner")

    async def stop(self) -> None:
        """Stop; a search being submitted is left to another runner (its lock lapses)."""
        task, self._task = self._task, None
        await stop_task(task)
        with contextlib.suppress(RedisError, OSError):  # it just stops being counted alive
            await self.queue.say_gone(self.name)

    async def _loop(self) -> None:
        alive_at = 0.0
        while True:
            try:
                if time.monotonic() - alive_at > RUNNER_ALIVE / 3:
                    await self.queue.say_alive(self.name)
                    alive_at = time.monotonic()
                pause = await self.run_once()
            except (RedisError, OSError):
                log.warning("queue runner: Redis failed; trying again shortly", exc_info=True)
                pause = 1.0
            if pause:
                await asyncio.sleep(pause)

    async def run_once(self) -> float:
        """Submit the oldest queued search this runner can lock, if any.

        Returns how long to pause before the next look: 0 after a submission, ``idle``
        when nothing could be taken, or about how long the budget stays full.
        """
        for handle in await self.queue.heads(5):
            lock = self.queue.lock(handle)
            if not await lock.acquire(blocking=False):
                continue  # another runner has it
            try:
                return await self._submit(handle, lock)
            finally:
                with contextlib.suppress(LockError):  # it lapsed: the heartbeat said so
                    await lock.release()
        return self.idle

    async def _submit(self, handle: str, lock: aioredis.lock.Lock) -> float:
        entry = await self.queue.record(handle)
        if entry is None:
            await self.queue.drop(handle)  # its record expired: nothing left to submit
            return 0.0
        if entry.stage is not QueueStage.WAITING:
            return 0.0
        work = asyncio.create_task(
            self.service.submit(
                entry.description, entry.origin, fresh=entry.fresh, claimant=handle, kind="queued"
            )
        )
        heartbeat = Heartbeat(lock, QUEUE_LEASE, _nothing, work, {"handle": handle})
        async with heartbeat:
            try:
                result = await work
            except asyncio.CancelledError:
                if heartbeat.lost:
                    return 0.0  # another runner holds it now
                raise
            except RateLimitError as err:
                # Its turn has not come (people's searches go first): it stays at the head.
                return min(float(err.retry_after or 1.0), 5.0)
            except AuthenticationError:
                await self.queue.finish(
                    handle, error="The API refused this server's credentials: ask its operator."
                )
                return 0.0
            except LeadsError as err:
                # Refused or failed by the API, or its answer lost: never sent again (the
                # client already retried what was safe to; a POST answered 500 or left
                # unanswered may have created the search). The caller is told why.
                await self.queue.finish(handle, error=err.message[:300])
                log.warning("queued search failed", extra={"handle": handle})
                return 0.0
        await self.queue.finish(handle, request_id=result.search.request_id, reused=result.reused)
        log.info(
            "queued search submitted",
            extra={"handle": handle, "request_id": result.search.request_id},
        )
        return 0.0


async def _nothing() -> None:
    """A queued search has no deadline to push out: its lock is all that says it is taken."""
