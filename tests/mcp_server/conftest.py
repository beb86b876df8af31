"""Fixtures: the sandbox API at high speed, a real Redis, and the server under test.

Every test talks to the server through the official MCP client; in-memory tests use the
legacy (handshake) protocol era, which is what desktop hosts speak today. The client is
opened inside each test (``async with connect() as client``), not in a fixture: its
task group must be entered and left by the same task.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from mcp import Client

from mcp_server.server import create_server
from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from shared.runtime import ApiEndpoint, Runtime, open_runtime
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings

ClientFactory = Callable[..., AbstractAsyncContextManager[Client]]


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    """The sandbox API; at speed 200 the spec's 105-second search takes about half a second."""
    async with start_sandbox(SandboxConfig(speed=200)) as running:
        yield running


@pytest.fixture
def settings(redis_url: str) -> Settings:
    """Defaults, on the test's Redis."""
    return Settings(_env_file=None, redis_url=redis_url)


@pytest.fixture
def endpoint(sandbox: RunningSandbox) -> ApiEndpoint:
    """The sandbox, with its own credentials."""
    return ApiEndpoint(sandbox.base_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True)


@pytest.fixture
def connect(settings: Settings, endpoint: ApiEndpoint) -> ClientFactory:
    """``async with connect(**setting_overrides, endpoint=...) as client``: a fresh server."""

    @asynccontextmanager
    async def factory(
        *, endpoint_: ApiEndpoint | None = None, mode: Any = "legacy", **overrides: Any
    ) -> AsyncIterator[Client]:
        custom = settings.model_copy(update=overrides) if overrides else settings
        server = create_server(custom, endpoint=endpoint_ or endpoint)
        async with Client(server, mode=mode) as client:
            yield client

    return factory


@pytest.fixture
async def runtime(settings: Settings, endpoint: ApiEndpoint) -> AsyncIterator[Runtime]:
    """Another user of the same Redis and API key (what the Slack bot would be)."""
    async with open_runtime(settings, endpoint=endpoint) as opened:
        yield opened
