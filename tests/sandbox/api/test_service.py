"""Deterministic tests of the service and the callback dispatcher on a SteppedClock:
phases, settling and credits, and the exact callback retry schedule — no HTTP, no waiting."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from sandbox.api.auth import Authenticator
from sandbox.api.callbacks import CallbackDispatcher, Sender
from sandbox.api.faults import Faults
from sandbox.api.ratelimit import SlidingWindowLimiter, Window
from sandbox.api.service import SandboxSearchService
from sandbox.api.store import SandboxSearchStore
from sandbox.api.timing import Timing
from tests.support.sandbox_api import FakeEngine, SteppedClock

URL = "https://yourapp.example/webhook/leads"


class ScriptedSender:
    """Answers callback POSTs from a script: an int is a status, an exception is raised."""

    def __init__(self, clock: SteppedClock, script: list[int | BaseException]) -> None:
        self.clock = clock
        self.script = script
        self.calls: list[tuple[float, dict[str, Any]]] = []

    async def __call__(self, url: str, body: bytes, timeout: float) -> int:
        self.calls.append((self.clock.monotonic(), json.loads(body)))
        step = self.script.pop(0) if self.script else 200
        if isinstance(step, BaseException):
            raise step
        return step


def make_service(
    clock: SteppedClock, sender: Sender | None = None, *, faults: Faults | None = None
) -> SandboxSearchService:
    timing = Timing()
    faults = faults or Faults()
    return SandboxSearchService(
        clock=clock,
        timing=timing,
        faults=faults,
        authenticator=Authenticator({"k": "s"}),
        limiter=SlidingWindowLimiter([Window("minute", 60, 60.0)], clock),
        store=SandboxSearchStore(),
        callbacks=CallbackDispatcher(clock=clock, timing=timing, faults=faults, sender=sender),
        engine=FakeEngine(),
    )


async def settle_tasks() -> None:
    """Let every ready task run (the dispatcher's, after the clock moved)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def run_clock(clock: SteppedClock, until: Callable[[], bool], limit: float = 10_000) -> None:
    """Jump the clock from one sleeper's deadline to the next until ``until()`` holds."""
    await settle_tasks()
    while not until():
        deadline = clock.next_deadline
        assert deadline is not None, "nothing left to wake"
        assert deadline <= limit, "woke past the limit"
        clock.advance(deadline - clock.monotonic())
        await settle_tasks()


async def test_status_moves_through_every_phase_by_the_clock() -> None:
    clock = SteppedClock()
    service = make_service(clock)
    record = service.create("k", "Startup founders raising seed rounds", None)
    seen = []
    for _second in range(0, 110, 1):
        seen.append(service.status_of(record))
        clock.advance(1)
    assert list(dict.fromkeys(seen)) == [
        "queued",
        "pending",
        "analyzing",
        "searching",
        "aggregating",
        "completed",
    ]
    assert seen.count("analyzing") == 15
    assert seen.count("searching") == 60


async def test_completed_body_is_serialised_once_with_spec_timestamps() -> None:
    clock = SteppedClock()
    service = make_service(clock)
    record = service.create("k", "Startup founders raising seed rounds", None)
    clock.advance(120)
    body = json.loads(await service.body_of(record))
    assert body["timestamp"] == "2026-01-14T15:32:00Z"
    data = body["data"]
    assert (data["created_on"], data["completed_on"]) == (
        "2026-01-14T15:30:00",
        "2026-01-14T15:31:45",
    )
    assert data["results_count"] == 3 == len(data["results"])
    outcome = record.outcome
    assert outcome is not None
    clock.advance(1)
    assert (await service.settle(record)) is outcome  # idempotent, cached


async def test_credits_only_for_searches_with_leads() -> None:
    clock = SteppedClock()
    faults = Faults()
    service = make_service(clock, faults=faults)
    service.create("k", "founders with leads to find", None)
    service.create("k", "nothing will match this", None)
    faults.update({"fail_searches": 1})
    service.create("k", "founders but the search fails", None)
    service.create("k", "the engine will explode here", None)
    in_flight = await service.usage("k")
    assert in_flight["searches"]["in_progress"] == 4
    assert in_flight["credits_used"] == 0
    clock.advance(200)
    usage = await service.usage("k")
    assert usage["credits_used"] == 1
    assert usage["searches"] == {
        "total": 4,
        "in_progress": 0,
        "completed": 2,
        "completed_without_leads": 1,
        "failed": 2,
    }


async def test_engine_failure_fails_the_search() -> None:
    clock = SteppedClock()
    service = make_service(clock)
    record = service.create("k", "the engine will explode here", None)
    clock.advance(105)
    body = json.loads(await service.body_of(record))
    assert body["data"]["status"] == "failed"
    assert body["data"]["error"]["code"] == "search_failed"


async def test_search_belongs_to_its_key() -> None:
    service = make_service(SteppedClock())
    record = service.create("k", "founders with leads to find", None)
    assert service.find("k", record.request_id) is record
    assert service.find("other", record.request_id) is None
    assert service.find("k", "0" * 64) is None


async def test_callback_retry_schedule_is_exactly_the_spec_one() -> None:
    clock = SteppedClock()
    sender = ScriptedSender(clock, [500] * 10)
    service = make_service(clock, sender)
    record = service.create("k", "founders with leads to find", URL)
    entry = service.callbacks.get(record.request_id)
    assert entry is not None
    assert entry.state == "scheduled"
    await run_clock(clock, lambda: entry.state == "failed")
    starts = [attempt.started for attempt in entry.attempts]
    assert starts == [105, 106, 111, 126, 186, 486]  # completion, then +1, +5, +15, +60, +300
    assert [attempt.status for attempt in entry.attempts] == [500] * 6
    assert len(sender.calls) == 6


async def test_callback_stops_at_the_first_2xx_and_retries_errors_and_timeouts() -> None:
    clock = SteppedClock()
    script: list[int | BaseException] = [
        TimeoutError(),
        ConnectionRefusedError("refused"),
        302,
        204,
    ]
    sender = ScriptedSender(clock, script)
    service = make_service(clock, sender)
    record = service.create("k", "founders with leads to find", URL)
    entry = service.callbacks.get(record.request_id)
    assert entry is not None
    await run_clock(clock, lambda: entry.state == "delivered")
    outcomes = [(a.status, a.error is not None, a.ok) for a in entry.attempts]
    assert outcomes == [
        (None, True, False),
        (None, True, False),
        (302, False, False),
        (204, False, True),
    ]
    assert entry.attempts[0].error == "timeout after 30 s"
    assert [a.started for a in entry.attempts] == [105, 106, 111, 126]


async def test_failed_search_callback_body() -> None:
    clock = SteppedClock()
    sender = ScriptedSender(clock, [])
    faults = Faults()
    faults.update({"fail_searches": 1})
    service = make_service(clock, sender, faults=faults)
    record = service.create("k", "founders with leads to find", URL)
    await run_clock(clock, lambda: bool(sender.calls))
    at, body = sender.calls[0]
    assert at == 80  # failed searches fail after searching
    assert body == {
        "request_id": record.request_id,
        "status": "failed",
        "completed": False,
        "results_count": 0,
        "results": [],
        "error": {
            "code": "search_failed",
            "message": "The lead search could not be completed. Please try again.",
        },
        "timestamp": "2026-01-14T15:31:20Z",
    }


@pytest.mark.parametrize(
    ("fault", "expected_calls", "state"),
    [("drop_callbacks", 0, "dropped"), ("duplicate_callbacks", 2, "delivered")],
)
async def test_drop_and_duplicate(fault: str, expected_calls: int, state: str) -> None:
    clock = SteppedClock()
    sender = ScriptedSender(clock, [])
    faults = Faults()
    faults.update({fault: 1})
    service = make_service(clock, sender, faults=faults)
    record = service.create("k", "founders with leads to find", URL)
    entry = service.callbacks.get(record.request_id)
    assert entry is not None
    await run_clock(clock, lambda: service.callbacks.pending == 0)
    assert len(sender.calls) == expected_calls
    assert entry.state == state
    if expected_calls == 2:
        assert sender.calls[0][1] == sender.calls[1][1]
        assert sender.calls[1][0] - sender.calls[0][0] == Timing().duplicate_callback_delay
        assert entry.attempts[1].duplicate


async def test_reordered_callback_arrives_after_a_later_search() -> None:
    clock = SteppedClock()
    sender = ScriptedSender(clock, [])
    faults = Faults()
    faults.update({"reorder_callbacks": 1})
    service = make_service(clock, sender, faults=faults)
    first = service.create("k", "founders with leads to find", URL)
    clock.advance(2)
    second = service.create("k", "founders with leads to find too", URL)
    await run_clock(clock, lambda: len(sender.calls) == 2)
    order = [body["request_id"] for _, body in sender.calls]
    assert order == [second.request_id, first.request_id]
    entry = service.callbacks.get(first.request_id)
    assert entry is not None
    assert entry.faults == ["reordered"]


async def test_reordered_callback_alone_is_released_after_the_hold() -> None:
    clock = SteppedClock()
    sender = ScriptedSender(clock, [])
    faults = Faults()
    faults.update({"reorder_callbacks": 1})
    service = make_service(clock, sender, faults=faults)
    service.create("k", "founders with leads to find", URL)
    await run_clock(clock, lambda: bool(sender.calls))
    assert sender.calls[0][0] == 105 + Timing().reorder_hold


async def test_reset_cancels_pending_callbacks() -> None:
    clock = SteppedClock()
    sender = ScriptedSender(clock, [])
    service = make_service(clock, sender)
    service.create("k", "founders with leads to find", URL)
    await settle_tasks()
    assert service.callbacks.pending == 1
    await service.reset()
    assert service.callbacks.pending == 0
    assert not service.callbacks.all()
    assert len(service.store) == 0
