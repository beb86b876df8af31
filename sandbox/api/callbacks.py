"""Callback delivery: the spec's body, its retry schedule, and the callback faults.

When a search with a ``callback_url`` finishes, its body is POSTed there. A non-2xx
answer, a connection error or a timeout (30 s ÷ speed) is retried after 1 s, 5 s, 15 s,
1 min and 5 min (÷ speed): at most 6 attempts. Every attempt is recorded so tests can
check the schedule (``GET /sandbox/callbacks?request_id=…``). The callback faults
(:mod:`sandbox.api.faults`) drop a callback, send it again after delivery, hold it until
another overtakes it, or send it to another origin (``sent_to`` in its log).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import aiohttp

from sandbox.api.clock import Clock
from sandbox.api.faults import Faults
from sandbox.api.lifecycle import COMPLETED
from sandbox.api.responses import dumps, utc_timestamp
from sandbox.api.store import Outcome, SandboxSearch
from sandbox.api.timing import Timing

__all__ = [
    "Attempt",
    "CallbackDispatcher",
    "CallbackLog",
    "HttpSender",
    "Sender",
    "callback_body",
]

log = logging.getLogger(__name__)

USER_AGENT = "person-leads-sandbox/1.0 (callback)"

Settle = Callable[[SandboxSearch], Awaitable[Outcome]]


class Sender(Protocol):
    """POSTs a callback body; returns the HTTP status or raises on no answer."""

    async def __call__(self, url: str, body: bytes, timeout: float) -> int:
        """Send ``body`` to ``url`` within ``timeout`` seconds."""
        ...


class HttpSender:
    """The real sender, over one shared ``aiohttp.ClientSession``."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __call__(self, url: str, body: bytes, timeout: float) -> int:
        """POST ``body`` as JSON; redirects are not followed (the spec wants a 2xx)."""
        async with self._session.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=False,
        ) as response:
            await response.read()
            return response.status


def callback_body(record: SandboxSearch, outcome: Outcome) -> bytes:
    """The spec's callback body. Results leave out ``author.image_url``, like its example."""
    body: dict[str, Any] = {
        "request_id": record.request_id,
        "status": outcome.status,
        "completed": outcome.status == COMPLETED,
        "results_count": len(outcome.results),
        "results": [_without_image(lead) for lead in outcome.results],
    }
    if outcome.error is not None:
        body["error"] = outcome.error
    body["timestamp"] = utc_timestamp(record.finished_wall)
    return dumps(body)


def _without_image(lead: dict[str, Any]) -> dict[str, Any]:
    author = lead.get("author")
    if not isinstance(author, dict) or "image_url" not in author:
        return lead
    return {**lead, "author": {k: v for k, v in author.items() if k != "image_url"}}


@dataclass(frozen=True, slots=True)
class Attempt:
    """One POST to a callback URL."""

    number: int
    """1 for the first attempt, 2–6 for retries; duplicates continue the count."""
    started: float
    """Seconds after the search was submitted (sandbox clock) the attempt started."""
    duration: float
    at: datetime
    status: int | None
    """The HTTP status, or ``None`` when no answer came."""
    error: str | None
    """What went wrong when no answer came (timeout, connection refused, ...)."""
    duplicate: bool = False
    """Sent by the ``duplicate_callbacks`` fault after a successful delivery."""

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return self.status is not None and 200 <= self.status < 300

    def to_json(self) -> dict[str, object]:
        """The JSON form used by ``GET /sandbox/callbacks``."""
        return {
            "attempt": self.number,
            "at": self.at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "started": round(self.started, 6),
            "duration": round(self.duration, 6),
            "status": self.status,
            "error": self.error,
            "ok": self.ok,
            "duplicate": self.duplicate,
        }


@dataclass(slots=True)
class CallbackLog:
    """A search's callback: where it goes, its state and every attempt so far.

    States: ``scheduled`` (search still running), ``held`` (reorder fault), ``delivering``,
    ``retrying``, then ``delivered``, ``failed`` (gave up after 6 attempts) or ``dropped``.
    """

    request_id: str
    url: str
    state: str = "scheduled"
    sent_to: str | None = None
    """Where the attempts go when the ``misroute_callbacks`` fault sent them elsewhere."""
    faults: list[str] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """The JSON form used by ``GET /sandbox/callbacks``."""
        return {
            "request_id": self.request_id,
            "callback_url": self.url,
            "sent_to": self.sent_to or self.url,
            "state": self.state,
            "faults": list(self.faults),
            "attempts": [attempt.to_json() for attempt in self.attempts],
        }


class CallbackDispatcher:
    """Schedules, sends, retries and records callbacks; applies the callback faults."""

    def __init__(
        self,
        *,
        clock: Clock,
        timing: Timing,
        faults: Faults,
        sender: Sender | None = None,
        max_logs: int = 10_000,
    ) -> None:
        self._clock = clock
        self._timing = timing
        self._faults = faults
        self._sender = sender
        self._max_logs = max_logs
        self._logs: dict[str, CallbackLog] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._held: dict[str, asyncio.Future[None]] = {}

    def start(self, sender: Sender) -> None:
        """Use ``sender`` from now on (set at app startup, once a session exists)."""
        self._sender = sender

    def schedule(self, record: SandboxSearch, settle: Settle) -> CallbackLog:
        """Deliver ``record``'s callback once it finishes; ``settle`` gives its outcome."""
        assert record.callback_url is not None
        entry = CallbackLog(request_id=record.request_id, url=record.callback_url)
        self._logs[record.request_id] = entry
        while len(self._logs) > self._max_logs:  # oldest first; a running delivery carries on
            del self._logs[next(iter(self._logs))]
        task = asyncio.create_task(
            self._run(record, entry, settle), name=f"callback-{record.request_id[:12]}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return entry

    @property
    def pending(self) -> int:
        """Callbacks not finished yet (waiting for their search, held or retrying)."""
        return len(self._tasks)

    def get(self, request_id: str) -> CallbackLog | None:
        """The callback log of a search, if it has a callback."""
        return self._logs.get(request_id)

    def all(self) -> list[CallbackLog]:
        """Every callback log, most recent search first."""
        return list(reversed(self._logs.values()))

    async def aclose(self) -> None:
        """Cancel every pending delivery (at shutdown or reset)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def reset(self) -> None:
        """Cancel pending deliveries and forget every log."""
        await self.aclose()
        self._logs.clear()
        self._held.clear()

    async def _run(self, record: SandboxSearch, entry: CallbackLog, settle: Settle) -> None:
        try:
            finish = record.created_mono + record.schedule.total
            await self._clock.sleep(finish - self._clock.monotonic())
            outcome = await settle(record)
            body = callback_body(record, outcome)
            if self._faults.take("drop_callbacks"):
                entry.faults.append("dropped")
                entry.state = "dropped"
                log.info("callback dropped (fault) request_id=%s", record.request_id)
                return
            if self._faults.take("reorder_callbacks"):
                entry.faults.append("reordered")
                await self._hold(entry)
            if self._faults.take("misroute_callbacks"):
                elsewhere = self._faults.misroute(entry.url)
                if elsewhere != entry.url:
                    entry.faults.append("misrouted")
                    entry.sent_to = elsewhere
            duplicate = self._faults.take("duplicate_callbacks")
            if duplicate:
                entry.faults.append("duplicated")
            copies = self._faults.duplicate_copies  # as set when the callback is sent
            delivered = await self._deliver(record, entry, body)
            for _ in range(copies if delivered and duplicate else 0):
                await self._clock.sleep(self._timing.duplicate_callback_delay)
                await self._attempt(record, entry, body, duplicate=True)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A task's exception would otherwise vanish; the search itself is unaffected.
            log.exception("callback task failed request_id=%s", record.request_id)
            entry.state = "failed"

    async def _deliver(self, record: SandboxSearch, entry: CallbackLog, body: bytes) -> bool:
        """First attempt, then one retry per delay of the schedule until a 2xx."""
        entry.state = "delivering"
        delays = self._timing.callback_retry_delays
        for retry in range(len(delays) + 1):
            if retry:
                entry.state = "retrying"
                await self._clock.sleep(delays[retry - 1])
            if await self._attempt(record, entry, body):
                entry.state = "delivered"
                self._release_held(record.request_id)
                return True
        entry.state = "failed"
        log.warning(
            "callback gave up after %d attempts request_id=%s",
            len(entry.attempts),
            record.request_id,
        )
        return False

    async def _attempt(
        self, record: SandboxSearch, entry: CallbackLog, body: bytes, *, duplicate: bool = False
    ) -> bool:
        assert self._sender is not None, "CallbackDispatcher.start() was not called"
        timeout = self._timing.callback_timeout
        started = self._clock.monotonic()
        at = self._clock.now()
        status: int | None = None
        error: str | None = None
        try:
            status = await self._sender(entry.sent_to or entry.url, body, timeout)
        except TimeoutError:
            error = f"timeout after {timeout:.3g} s"
        except (aiohttp.ClientError, OSError) as err:
            error = f"{type(err).__name__}: {err}"
        attempt = Attempt(
            number=len(entry.attempts) + 1,
            started=started - record.created_mono,
            duration=self._clock.monotonic() - started,
            at=at,
            status=status,
            error=error,
            duplicate=duplicate,
        )
        entry.attempts.append(attempt)
        log.log(
            logging.DEBUG if attempt.ok else logging.INFO,
            "callback attempt %d request_id=%s status=%s error=%s",
            attempt.number,
            record.request_id,
            status,
            error,
        )
        return attempt.ok

    async def _hold(self, entry: CallbackLog) -> None:
        """Wait until another search's callback is delivered, or the hold times out."""
        entry.state = "held"
        released: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._held[entry.request_id] = released
        timer = asyncio.ensure_future(self._clock.sleep(self._timing.reorder_hold))
        try:
            await asyncio.wait({released, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            self._held.pop(entry.request_id, None)

    def _release_held(self, delivered_id: str) -> None:
        for request_id, released in list(self._held.items()):
            if request_id != delivered_id and not released.done():
                released.set_result(None)
