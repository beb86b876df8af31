"""Fixtures for the bot's integration tests: the sandbox at high speed, the bot on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from shared.state.store import SearchStore
from tests.bot.support import BotUnderTest, bot_settings, new_port, running_bot


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    """The Person Leads API and Slack stand-ins; the spec's 105 s search takes ~0.5 s."""
    async with start_sandbox(SandboxConfig(speed=200)) as running:
        yield running


@pytest.fixture
async def slow_sandbox() -> AsyncIterator[RunningSandbox]:
    """A search of about 5 s whose phases each last longer than the sweep's 1 s tick."""
    config = SandboxConfig(speed=1, phase_seconds=(0.3, 0.3, 1.5, 1.5, 1.5))
    async with start_sandbox(config) as running:
        yield running


@pytest.fixture
async def bot(sandbox: RunningSandbox, redis_url: str) -> AsyncIterator[BotUnderTest]:
    """The bot (polling only) on the sandbox and the session's Redis."""
    settings = bot_settings(sandbox, redis_url, port=new_port())
    async with running_bot(sandbox, settings) as running:
        yield running


@pytest.fixture
def searches(redis: aioredis.Redis) -> SearchStore:
    """The core's search store, default prefix."""
    return SearchStore(redis)
