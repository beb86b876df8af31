"""search_leads queues a search the shared budget has no room for, instead of refusing it.

Real parts only: the sandbox over HTTP, a real Redis, the MCP server through the official
client. The shared budget is one request a minute, so the first search takes it; a minute
passing is played by clearing the limiter's log in Redis (exactly what time would do).
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis

from sandbox.embedded import RunningSandbox
from shared.runtime import Runtime
from shared.settings import Settings
from tests.mcp_server.support import (
    DESCRIPTION,
    OTHER_DESCRIPTION,
    error_of,
    listing_of,
    outcome_of,
)

THIRD_DESCRIPTION = "Heads of growth at B2B SaaS startups talking about product-led sales"


async def _searches_made(sandbox: RunningSandbox) -> int:
    return int((await sandbox.usage())["searches"]["total"])


async def _until(check: Callable[[], Awaitable[bool]], what: str, deadline: float = 20.0) -> None:
    """Wait for ``check`` to hold, up to ``deadline`` seconds."""
    async with asyncio.timeout(deadline):
        while not await check():
            await asyncio.sleep(0.05)
    assert await check(), what


async def _a_minute_passes(redis: aioredis.Redis, runtime: Runtime) -> None:
    """What a minute does to the shared budget: its window empties."""
    await redis.delete(runtime.limiter.key)


@asynccontextmanager
async def _minutes_fly(redis: aioredis.Redis, runtime: Runtime) -> AsyncIterator[None]:
    """Minutes pass every 50 ms for the budget, so searches' polls are not held up."""

    async def fly() -> None:
        while True:
            await _a_minute_passes(redis, runtime)
            await asyncio.sleep(0.05)

    task = asyncio.create_task(fly())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_search_past_the_budget_waits_in_the_queue_then_runs_once(
    connect: Any, sandbox: RunningSandbox, redis: aioredis.Redis, runtime: Runtime
) -> None:
    async with connect(leads_rate_limit_per_minute=1) as client:
        first = outcome_of(
            await client.call_tool("search_leads", {"description": DESCRIPTION, "wait_seconds": 0})
        )
        queued = await client.call_tool(
            "search_leads", {"description": OTHER_DESCRIPTION, "wait_seconds": 0}
        )
        # What the assistant sees: no error, a handle, when it should start, how to follow.
        waiting = outcome_of(queued)
        assert not queued.is_error
        assert first.status != "waiting"
        assert waiting.status == "waiting"
        assert not waiting.finished
        assert re.fullmatch(r"queued-[0-9a-f]{32}", waiting.request_id)
        assert waiting.expected_start is not None
        assert waiting.next_action is not None
        assert f'get_search_status(request_id="{waiting.request_id}"' in waiting.next_action
        assert await _searches_made(sandbox) == 1  # the API does not have it yet

        # Followed like any search: still waiting while the budget is taken.
        status = outcome_of(
            await client.call_tool(
                "get_search_status", {"request_id": waiting.request_id, "wait_seconds": 0}
            )
        )
        assert status.status == "waiting"

        async with _minutes_fly(redis, runtime):
            done = outcome_of(
                await client.call_tool(
                    "get_search_status", {"request_id": waiting.request_id, "wait_seconds": 30}
                )
            )
        assert done.status == "completed", done
        assert re.fullmatch(r"[0-9a-f]{64}", done.request_id)  # the API's own ID from now on
        assert done.description == OTHER_DESCRIPTION
        assert await _searches_made(sandbox) == 2


async def test_past_the_queue_bound_the_search_is_refused_with_when_to_come_back(
    connect: Any, sandbox: RunningSandbox
) -> None:
    # The next free slot is a minute away, past a 30-second bound.
    async with connect(leads_rate_limit_per_minute=1, leads_queue_max_wait_seconds=30) as client:
        await client.call_tool("search_leads", {"description": DESCRIPTION, "wait_seconds": 0})
        result = await client.call_tool(
            "search_leads", {"description": OTHER_DESCRIPTION, "wait_seconds": 0}
        )
        text = error_of(result)
        assert "Not queued: The shared API request budget is booked" in text, text
        assert "longer than a search may wait in the queue (30 s)" in text
        match = re.search(r"try again in (\d+) s", text)
        assert match is not None, text
        assert 1 <= int(match.group(1)) <= 32
        listed = listing_of(await client.call_tool("list_searches", {}))
    assert await _searches_made(sandbox) == 1
    assert len(listed.searches) == 1  # nothing half-made


async def test_the_queue_survives_a_restart_and_each_search_runs_once(
    connect: Any,
    sandbox: RunningSandbox,
    settings: Settings,
    redis: aioredis.Redis,
    runtime: Runtime,
) -> None:
    limited = {"leads_rate_limit_per_minute": 1}
    async with connect(**limited) as client:
        await client.call_tool("search_leads", {"description": DESCRIPTION, "wait_seconds": 0})
        handles = [
            outcome_of(
                await client.call_tool("search_leads", {"description": text, "wait_seconds": 0})
            ).request_id
            for text in (OTHER_DESCRIPTION, THIRD_DESCRIPTION)
        ]
    # That server is gone; two others start, and the budget frees up a minute at a time.
    assert all(handle.startswith("queued-") for handle in handles)
    async with connect(**limited) as one, connect(**limited) as other:
        for _ in handles:
            await _a_minute_passes(redis, runtime)
            made = await _searches_made(sandbox)
            await _until(
                functools.partial(_more_than, sandbox, made), "a queued search went to the API"
            )
        async with _minutes_fly(redis, runtime):
            outcomes = [
                outcome_of(
                    await client.call_tool(
                        "get_search_status", {"request_id": handle, "wait_seconds": 30}
                    )
                )
                for client, handle in zip((one, other), handles, strict=True)
            ]
    assert [o.status for o in outcomes] == ["completed", "completed"]
    assert [o.description for o in outcomes] == [OTHER_DESCRIPTION, THIRD_DESCRIPTION]
    assert await _searches_made(sandbox) == 3  # each queued search exactly once
    assert await redis.zcard(runtime.queue.keys.queue) == 0


async def _more_than(sandbox: RunningSandbox, count: int) -> bool:
    return await _searches_made(sandbox) > count
