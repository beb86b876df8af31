"""The sweep's spare polls of overdue searches.

Unit tests drive the sweep on a controlled clock, one pass per simulated second (the cron
job's tick), against an API faked with ``httpx.MockTransport`` and the real limiter on a
real Redis; integration tests run it against the sandbox over real HTTP.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
import redis.asyncio as aioredis
from aiohttp import web

from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from shared.client import NyneClient
from shared.polling import PollSchedule
from shared.runtime import ApiEndpoint, open_runtime
from shared.service import LeadsService
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from shared.state.events import EventBus
from shared.state.limiter import RateLimiter, RateWindow
from shared.state.records import Origin, SearchRecord, SearchState
from shared.state.store import SearchStore
from shared.sweep import Sweeper
from tests.conftest import load_spec_example
from tests.support.waiting import wait_until

DESCRIPTION = "CTOs at fintech companies discussing cloud migration"
CLI = Origin(front="cli")
SCHEDULE = PollSchedule()
START = 1_800_000_000.0
LIMIT = 120
"""The fake API's budget a minute: spare polls may use half of it."""


def offsets(*, polls: int) -> list[float]:
    """Seconds after submission of the callback schedule's first ``polls`` polls."""
    delays = (SCHEDULE.delay(n, has_callback=True) for n in range(polls))
    return list(itertools.accumulate(delays))


# -- unit: a controlled clock, a fake API -----------------------------------------------


@dataclass
class FakeAPI:
    """The Person Leads API: searches finish when the test says; every GET is logged."""

    clock: Clock
    finishes_at: dict[str, float] = field(default_factory=dict)
    gets: list[float] = field(default_factory=list)
    """Seconds after ``START`` of every GET."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            body: dict[str, Any] = load_spec_example("post_202")
            body["data"]["request_id"] = secrets.token_hex(32)
            return httpx.Response(202, json=body)
        request_id = request.url.params["request_id"]
        self.gets.append(self.clock() - START)
        done = self.clock() >= self.finishes_at.get(request_id, float("inf"))
        body = load_spec_example("get_completed" if done else "get_processing")
        body["data"]["request_id"] = request_id
        return httpx.Response(200, json=body)


@dataclass
class Clock:
    now: float = START

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    clock: Clock
    api: FakeAPI
    limiter: RateLimiter
    service: LeadsService
    sweeper: Sweeper

    async def submit(self, *, finishes_after: float) -> str:
        """A search with a callback that never comes, done ``finishes_after`` s from now."""
        result = await self.service.submit(DESCRIPTION, CLI)
        request_id = result.search.request_id
        self.api.finishes_at[request_id] = self.clock.now + finishes_after
        return request_id

    async def run_until(self, seconds: float) -> None:
        """One sweep pass a second, until ``seconds`` after ``START``."""
        while self.clock.now < START + seconds:
            self.clock.now += 1.0
            await self.sweeper.run_once()

    async def use_half_the_budget(self) -> None:
        """Submissions elsewhere use the minute's budget up to where spare polls stop."""
        used = (await self.limiter.usage())["60s"]
        for _ in range(LIMIT // 2 - used):
            assert await self.limiter.try_acquire("submit") == 0

    async def record(self, request_id: str) -> SearchRecord:
        record = await self.service.get(request_id)
        assert record is not None
        return record


@pytest.fixture
async def world(redis: aioredis.Redis) -> AsyncIterator[World]:
    clock = Clock()
    api = FakeAPI(clock)
    limiter = RateLimiter(redis, "leads:ratelimit:{test}", windows=[RateWindow(LIMIT, 60.0)])
    client = NyneClient(
        api_key="key-123456",
        api_secret="secret-abcdef",
        base_url="https://api.test",
        transport=httpx.MockTransport(api),
        gate=limiter,
    )
    store = SearchStore(redis, clock=clock)
    bus = EventBus(redis, store.keys.events)
    service = LeadsService(
        client=client,
        store=store,
        bus=bus,
        callback_base_url="https://bot.test",
        reuse_window=0,
        schedule=SCHEDULE,
    )
    yield World(clock, api, limiter, service, Sweeper(service))
    await bus.aclose()
    await client.aclose()


async def test_a_quiet_budget_catches_a_lost_callback_with_spare_polls(world: World) -> None:
    request_id = await world.submit(finishes_after=120)  # its callback is lost
    await world.run_until(109)
    assert world.api.gets == offsets(polls=4)  # before it is overdue: the schedule only
    await world.run_until(200)
    record = await world.record(request_id)
    assert record.status is SearchState.COMPLETED
    # Spare polls from 110 s, 2, 3, 5, 8 s apart; the scheduled poll at 112 s puts the next
    # spare one off by 2 s. The fifth spare poll finds it done, 50 s before the schedule
    # would have polled again (at 172 s).
    assert world.api.gets == [2, 7, 22, 52, 110, 112, 114, 117, 122]
    assert offsets(polls=6)[-1] == 172
    assert (record.scheduled_polls, record.spare_polls) == (5, 4)
    assert record.elapsed_seconds == 122


async def test_a_tight_budget_falls_back_to_the_schedule(world: World) -> None:
    request_id = await world.submit(finishes_after=120)
    await world.run_until(100)
    await world.use_half_the_budget()
    await world.run_until(200)
    record = await world.record(request_id)
    assert record.status is SearchState.COMPLETED
    assert world.api.gets == offsets(polls=6)  # exactly the callback schedule: ..., 112, 172
    assert (record.scheduled_polls, record.spare_polls) == (6, 0)
    # Two scheduled polls since; the refused spare polls cost nothing.
    assert (await world.limiter.usage())["60s"] == LIMIT // 2 + 2


async def test_spare_polls_stop_when_the_budget_stops_being_idle(world: World) -> None:
    request_id = await world.submit(finishes_after=1000)  # slow, and no callback
    await world.run_until(116)
    assert world.api.gets[4:] == [110, 112, 114]
    await world.use_half_the_budget()
    await world.run_until(240)
    assert world.api.gets[4:] == [110, 112, 114, 172, 232]  # the schedule's, every 60 s
    record = await world.record(request_id)
    assert record.spare_polls == 2
    # Each refusal put its spare polls off for as long as the limiter said (about a minute):
    # none is due now (a claim with no lease leaves the schedule as it was).
    assert await world.service.store.claim_overdue(limit=10, lease=0) == []


async def test_a_pass_costs_what_is_due_not_what_is_open(world: World) -> None:
    old = [await world.submit(finishes_after=1000) for _ in range(6)]
    world.clock.now = START + 199.5
    new = [await world.submit(finishes_after=1000) for _ in range(10)]
    world.clock.now = START + 200  # the old ones are overdue and due a scheduled poll
    world.sweeper.batch = 4
    # Four scheduled polls, then spare ones of the two overdue searches that did not just
    # have one: each old search is polled once; the new ones, open but not due, are not.
    assert await world.sweeper.run_once() == 6
    assert len(world.api.gets) == 6
    assert [(await world.record(rid)).polls for rid in old] == [1] * 6
    assert [(await world.record(rid)).polls for rid in new] == [0] * 10


# -- integration: the sandbox over real HTTP, real Redis ---------------------------------


def _endpoint(sandbox: RunningSandbox) -> ApiEndpoint:
    return ApiEndpoint(sandbox.base_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[str]]]:
    """A callback receiver that only records what reaches it: its URL and the paths."""
    heard: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        heard.append(request.path)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/callbacks/nyne/{token}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", heard
    await runner.cleanup()


@pytest.mark.integration
@pytest.mark.slow
async def test_a_dropped_callback_is_caught_by_a_spare_poll_long_before_the_schedule(
    redis_url: str, receiver: tuple[str, list[str]]
) -> None:
    # At speed 20 a search slowed 1.2x takes 126 API seconds (6.3 s): just after the
    # callback schedule's poll at 112 s, so that schedule's next look would be at 172 s.
    speed = 20.0
    schedule = SCHEDULE.scaled(1 / speed)
    callback_url, heard = receiver
    async with (
        start_sandbox(SandboxConfig(speed=speed)) as sandbox,
        open_runtime(
            Settings(_env_file=None),
            endpoint=_endpoint(sandbox),
            redis_url=redis_url,
            callback_base_url=callback_url,
            schedule=schedule,
        ) as runtime,
    ):
        sandbox.faults.update({"drop_callbacks": 1, "slow_search": 1.2})
        result = await runtime.service.submit(DESCRIPTION, CLI)
        request_id = result.search.request_id
        sweeper = Sweeper(runtime.service)
        scheduled_next: list[float] = []

        async def swept_to_completion() -> bool:
            due = await runtime.store.next_poll_at(request_id)
            if due is not None:
                scheduled_next.append(due)
            await sweeper.run_once()
            record = await runtime.service.get(request_id)
            return record is not None and record.is_terminal

        await wait_until(swept_to_completion, timeout=60, message="the search to complete")
        record = await runtime.service.get(request_id)
        usage = await sandbox.usage()
        callback = sandbox.callbacks(request_id)

    assert record is not None
    assert record.status is SearchState.COMPLETED
    assert callback is not None
    assert callback["state"] == "dropped"
    assert heard == []
    assert record.completed_at is not None
    created, completed = record.created_at.timestamp(), record.completed_at.timestamp()
    # The five scheduled polls up to 112 s came and went; the search was completed by a
    # spare poll while the next scheduled one (the sixth, at 172 s or later) was still
    # ahead: its due time, read just before the pass that completed the search.
    assert record.scheduled_polls == 5
    assert record.spare_polls >= 1
    assert scheduled_next[-1] > completed
    assert scheduled_next[-1] - created >= offsets(polls=6)[-1] / speed
    assert usage["rate_limited"] == 0


@pytest.mark.integration
async def test_spare_polls_stop_when_the_budget_is_spent_and_submissions_still_go(
    redis_url: str,
) -> None:
    # A budget of 8 requests a minute: spare polls may bring it to 4. Two searches that
    # never finish, whose callbacks are lost, overdue at once and worth a spare poll every
    # 10 ms; their scheduled polls are ten minutes off.
    schedule = PollSchedule(with_callback=(600.0,), overdue_after=0.0, spare_checks=(0.01,))
    settings = Settings(_env_file=None, leads_rate_limit_per_minute=8)
    async with (
        start_sandbox(SandboxConfig(speed=1)) as sandbox,  # its minute: the test's
        open_runtime(
            settings,
            endpoint=_endpoint(sandbox),
            redis_url=redis_url,
            callback_base_url="http://127.0.0.1:9",
            schedule=schedule,
        ) as runtime,
    ):
        sandbox.faults.update({"drop_callbacks": "always", "slow_search": 10000})
        ids = [
            (await runtime.service.submit(f"{DESCRIPTION} #{n}", CLI)).search.request_id
            for n in range(2)
        ]
        sweeper = Sweeper(runtime.service)

        async def spare_budget_spent() -> bool:
            """Each search had its one spare poll the budget allows (2 submissions + 2)."""
            await sweeper.run_once()
            found = [await runtime.service.get(rid) for rid in ids]
            return sum(r.spare_polls for r in found if r is not None) == 2

        await wait_until(spare_budget_spent, timeout=30, message="the spare polls to stop")
        # How long a refusal puts spare polls off is the unit test's to check, on a clock it
        # controls (test_spare_polls_stop_when_the_budget_stops_being_idle).
        for _ in range(20):
            assert await sweeper.run_once() == 0  # no more spare polls: nothing is sent
        records = [await runtime.service.get(rid) for rid in ids]
        spent = await runtime.limiter.usage()
        waits: list[float] = []

        async def heard_wait(seconds: float) -> None:
            waits.append(seconds)

        person = await runtime.service.submit(
            "Founders of seed-stage startups hiring engineers", CLI, on_wait=heard_wait
        )
        usage = await sandbox.usage()

    assert sum(r.spare_polls for r in records if r is not None) == 2  # 2 submissions + 2
    assert spent["60s"] == 4
    assert not person.reused
    assert waits == []
    assert usage["rate_limit"]["minute"]["used"] == 5
    assert usage["rate_limited"] == 0


class _CountingSweeper(Sweeper):
    """Counts passes instead of making them (what a pass does is tested above)."""

    passes = 0

    async def run_once(self) -> int:
        self.passes += 1
        return 1


@pytest.mark.parametrize(
    ("schedule", "tick", "passes"),
    [
        (PollSchedule(), 1.0, 1),  # the real API: a pass a second, as the job queue runs it
        (PollSchedule().scaled(1 / 10), 0.25, 4),  # a sandbox 10x faster: finer, to a floor
        (PollSchedule().scaled(1 / 3), 1 / 3, 3),
    ],
)
async def test_the_sweep_passes_as_finely_as_its_schedule_steps(
    schedule: PollSchedule, tick: float, passes: int
) -> None:
    service = SimpleNamespace(schedule=schedule)  # only its schedule is read
    sweeper = _CountingSweeper(cast(LeadsService, service))
    assert sweeper.tick == pytest.approx(tick)
    assert await sweeper.run_second() == passes
    assert sweeper.passes == passes
