"""Fixtures shared by the whole suite."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests.support.servers import RedisServer, run_redis_server

FIXTURES = Path(__file__).parent / "fixtures"


def load_spec_example(name: str) -> Any:
    """One of the API spec's own example bodies, verbatim (tests/fixtures/spec/NAME.json)."""
    return json.loads((FIXTURES / "spec" / f"{name}.json").read_text())


SpecExample = Callable[[str], Any]


@pytest.fixture
def spec_example() -> SpecExample:
    """Loader for the spec's example bodies."""
    return load_spec_example


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI a skipped test is a failure: nothing may pass by not running."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = reporter.stats.get("skipped", [])
    if skipped:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; failing the run.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server for the whole session, on a free port."""
    with run_redis_server() as server:
        yield server


@pytest.fixture
async def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied before each test."""
    client = aioredis.Redis.from_url(redis_server.url)
    await client.flushall()
    await client.aclose()
    return redis_server.url


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A decoded client of the session's Redis (emptied before each test)."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()
