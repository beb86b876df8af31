"""The event bus against a real redis-server: each change reaches the listeners once.

Two buses on one Redis stand for two processes (each holds its own subscription).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from shared.state.events import EventBus, SearchChange
from tests.support.waiting import wait_until

CHANGE = SearchChange("a" * 64, "completed", 3)


@pytest.fixture
async def buses(redis: aioredis.Redis) -> AsyncIterator[tuple[EventBus, EventBus]]:
    here, there = EventBus(redis, "leads:events"), EventBus(redis, "leads:events")
    yield here, there
    await here.aclose()
    await there.aclose()


class Heard:
    def __init__(self) -> None:
        self.changes: list[SearchChange] = []

    async def __call__(self, change: SearchChange) -> None:
        self.changes.append(change)


async def test_a_change_made_where_someone_listens_is_heard_there_only(
    buses: tuple[EventBus, EventBus],
) -> None:
    here, there = buses
    heard_here, heard_there = Heard(), Heard()
    await here.subscribe(heard_here)
    await there.subscribe(heard_there)
    async with there.watch(CHANGE.request_id) as watcher:
        await here.publish(CHANGE)
        assert heard_here.changes == [CHANGE]  # before publish returned
        assert await watcher.wait(10)  # the message did go out: waiters elsewhere wake
    await asyncio.gather(*there._remote_work)  # whatever it set off there has run
    assert heard_there.changes == []  # ...but the other process's listeners stay quiet
    assert heard_here.changes == [CHANGE]  # and ours did not hear it a second time


async def test_a_change_made_where_nobody_listens_reaches_the_other_listeners(
    buses: tuple[EventBus, EventBus],
) -> None:
    here, there = buses  # `here` is, say, an MCP server: it has no listeners
    heard_there = Heard()
    await there.subscribe(heard_there)
    await here.publish(CHANGE)
    await wait_until(lambda: heard_there.changes == [CHANGE], message="the remote listener")


async def test_a_failing_listener_does_not_silence_the_others(
    buses: tuple[EventBus, EventBus], caplog: pytest.LogCaptureFixture
) -> None:
    here, _ = buses
    heard = Heard()

    async def broken(change: SearchChange) -> None:
        raise RuntimeError("boom")

    await here.subscribe(broken)
    await here.subscribe(heard)
    await here.publish(CHANGE)
    assert heard.changes == [CHANGE]
    assert "a change listener failed" in caplog.text


@pytest.mark.parametrize("message", ["", "x", "a b c", "a b notanumber 1", "a b 1 1 extra"])
def test_messages_the_bus_did_not_write_are_ignored(message: str) -> None:
    assert SearchChange.decode(message) is None
