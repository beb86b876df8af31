"""The search queue: recorded before it answers, submitted once, in order, by any runner.

Real parts: the sandbox over HTTP and a real redis-server. Runners are the product's own
:class:`QueueRunner`, driven one step at a time (``run_once``) where a test needs to see
each step, or running in the background as in the fronts.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis

from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from shared.errors import InvalidDescriptionError, QueueFullError
from shared.queue import QueueRunner, QueueStage, SearchQueue, is_queue_handle
from shared.runtime import ApiEndpoint, Runtime, open_runtime
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from shared.state.records import Origin

pytestmark = pytest.mark.integration

ASSISTANT = Origin(front="mcp", client="test-assistant")
DESCRIPTIONS = [
    "CTOs at fintech companies discussing cloud migration",
    "Heads of growth at B2B SaaS startups talking about product-led sales",
    "Founders of climate tech startups hiring their first engineers",
]


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with start_sandbox(SandboxConfig(speed=200)) as running:
        yield running


@pytest.fixture
async def runtime(sandbox: RunningSandbox, redis_url: str) -> AsyncIterator[Runtime]:
    """A process whose budget is full for the next minute (each test frees it itself)."""
    settings = Settings(_env_file=None, leads_rate_limit_per_minute=1)
    endpoint = ApiEndpoint(sandbox.base_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True)
    async with open_runtime(settings, endpoint=endpoint, redis_url=redis_url) as opened:
        await opened.limiter.acquire("submit")
        yield opened


async def _searches_made(sandbox: RunningSandbox) -> int:
    return int((await sandbox.usage())["searches"]["total"])


async def _free_the_budget(redis: aioredis.Redis, runtime: Runtime) -> None:
    """What a minute does to the budget: its window empties."""
    await redis.delete(runtime.limiter.key)


async def _until(check: Callable[[], Awaitable[bool]], deadline: float = 20.0) -> None:
    async with asyncio.timeout(deadline):
        while not await check():
            await asyncio.sleep(0.05)


async def test_a_queued_search_is_recorded_with_its_place_and_expected_start(
    runtime: Runtime, sandbox: RunningSandbox
) -> None:
    first = await runtime.queue.enqueue(DESCRIPTIONS[0], ASSISTANT, fresh=False)
    second = await runtime.queue.enqueue(DESCRIPTIONS[1], ASSISTANT, fresh=True)
    assert is_queue_handle(first.handle)
    assert not is_queue_handle(first.handle.replace("queued-", ""))
    assert (first.ahead, second.ahead) == (0, 1)
    assert first.expected_start is not None
    assert second.expected_start is not None
    assert second.expected_start > first.expected_start  # a minute later: one a minute
    again = await runtime.queue.get(second.handle)
    assert again is not None
    assert again.stage is QueueStage.WAITING
    assert again.fresh
    assert again.origin.client == "test-assistant"
    assert again.ahead == 1
    assert await _searches_made(sandbox) == 0


async def test_a_bad_description_or_a_full_queue_records_nothing(
    runtime: Runtime, redis: aioredis.Redis
) -> None:
    with pytest.raises(InvalidDescriptionError):
        await runtime.queue.enqueue("too short", ASSISTANT, fresh=False)
    bounded = SearchQueue(redis, keys=runtime.queue.keys, limiter=runtime.limiter, max_wait=30.0)
    with pytest.raises(QueueFullError) as refused:
        await bounded.enqueue(DESCRIPTIONS[0], ASSISTANT, fresh=False)
    assert 1 <= refused.value.retry_after <= 32  # the slot is ~61 s away, 30 s allowed
    assert "try again in" in refused.value.message
    assert await runtime.queue.waiting() == 0


async def test_searches_are_submitted_in_the_order_they_were_queued(
    runtime: Runtime, sandbox: RunningSandbox, redis: aioredis.Redis
) -> None:
    handles = [
        (await runtime.queue.enqueue(text, ASSISTANT, fresh=False)).handle for text in DESCRIPTIONS
    ]
    runner = QueueRunner(runtime.queue, runtime.service)
    assert await runner.run_once() > 0  # the budget is full: nothing goes
    assert await _searches_made(sandbox) == 0
    submitted = []
    for _ in handles:
        await _free_the_budget(redis, runtime)
        assert await runner.run_once() == 0
        entries = [await runtime.queue.get(handle) for handle in handles]
        submitted = [e.handle for e in entries if e is not None and e.request_id is not None]
    assert submitted == handles
    records = [await runtime.service.get(e.request_id or "") for e in entries if e is not None]
    assert [r.description for r in records if r is not None] == DESCRIPTIONS
    assert all(r is not None and r.origin.front == "mcp" for r in records)
    assert await _searches_made(sandbox) == 3
    assert await runtime.queue.waiting() == 0


async def test_a_search_held_by_a_runner_that_died_is_submitted_once_by_another(
    runtime: Runtime, sandbox: RunningSandbox, redis: aioredis.Redis
) -> None:
    entry = await runtime.queue.enqueue(DESCRIPTIONS[0], ASSISTANT, fresh=False)
    # A runner took it and died: its lock stays until its lease lapses (1 s here).
    dead = redis.lock(runtime.queue.keys.queued_lock(entry.handle), timeout=1.0)
    assert await dead.acquire(blocking=False)
    await _free_the_budget(redis, runtime)
    runner = QueueRunner(runtime.queue, runtime.service)
    await runner.start()
    try:
        await _until(lambda: _has_started(runtime, entry.handle))
    finally:
        await runner.stop()
    assert await _searches_made(sandbox) == 1
    # Later passes find nothing left to do.
    await _free_the_budget(redis, runtime)
    assert await QueueRunner(runtime.queue, runtime.service).run_once() > 0
    assert await _searches_made(sandbox) == 1


async def test_two_runners_submit_each_queued_search_once(
    runtime: Runtime, sandbox: RunningSandbox, redis: aioredis.Redis
) -> None:
    handles = [
        (await runtime.queue.enqueue(text, ASSISTANT, fresh=True)).handle for text in DESCRIPTIONS
    ]
    runners = [QueueRunner(runtime.queue, runtime.service, idle=0.05) for _ in range(2)]
    for runner in runners:
        await runner.start()
    try:
        for handle in handles:
            await _free_the_budget(redis, runtime)
            await _until(functools.partial(_has_started, runtime, handle))
    finally:
        for runner in runners:
            await runner.stop()
    assert await _searches_made(sandbox) == 3


async def test_a_search_the_api_failed_is_told_why_and_never_sent_again(
    runtime: Runtime, sandbox: RunningSandbox, redis: aioredis.Redis
) -> None:
    entry = await runtime.queue.enqueue(DESCRIPTIONS[0], ASSISTANT, fresh=False)
    # The API creates the search, then answers 500: sending it again could make a second.
    sandbox.faults.update({"fail_after_create": 1})
    await _free_the_budget(redis, runtime)
    assert await QueueRunner(runtime.queue, runtime.service).run_once() == 0
    failed = await runtime.queue.get(entry.handle)
    assert failed is not None
    assert failed.stage is QueueStage.FAILED
    assert failed.error
    await _free_the_budget(redis, runtime)
    await QueueRunner(runtime.queue, runtime.service).run_once()
    assert await _searches_made(sandbox) == 1


async def test_a_cli_sees_whether_any_runner_is_alive(runtime: Runtime) -> None:
    assert await runtime.queue.runners_alive() == 0
    runner = QueueRunner(runtime.queue, runtime.service)
    await runner.start()
    try:
        await _until(lambda: _alive(runtime))
    finally:
        await runner.stop()
    assert await runtime.queue.runners_alive() == 0  # it said it was going


async def _alive(runtime: Runtime) -> bool:
    return await runtime.queue.runners_alive() == 1


async def _has_started(runtime: Runtime, handle: str) -> bool:
    entry = await runtime.queue.get(handle)
    return entry is not None and entry.request_id is not None
