"""Fixtures for the sandbox API tests: a sandbox on a real port with a fake engine, and
httpx clients of it. Helpers live in :mod:`tests.support.sandbox_api`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.api.clock import Clock
from sandbox.api.engine import LeadFinder
from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from sandbox.slack import SlackState
from tests.support.sandbox_api import CallbackReceiver, FakeEngine, callback_receiver

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "spec"
AUTH = {"X-API-Key": "sandbox-key", "X-API-Secret": "sandbox-secret"}
FAST = 500.0
"""Speed at which a whole search takes 0.21 s."""

StartSandbox = Callable[..., AbstractAsyncContextManager[RunningSandbox]]


@pytest.fixture
def auth() -> dict[str, str]:
    """The default credentials as headers."""
    return dict(AUTH)


@pytest.fixture
def spec_example() -> Callable[[str], dict[str, Any]]:
    """Loads one of the spec's example bodies (tests/fixtures/spec/<name>.json)."""

    def load(name: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
        return value

    return load


@pytest.fixture
def fake_engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def start(fake_engine: FakeEngine) -> StartSandbox:
    """``async with start(speed=…, clock=…, **config) as sandbox``; fake engine, speed 500."""

    def _start(
        *,
        clock: Clock | None = None,
        engine: LeadFinder | None = None,
        slack_state: SlackState | None = None,
        **config: Any,
    ) -> AbstractAsyncContextManager[RunningSandbox]:
        config.setdefault("speed", FAST)
        return start_sandbox(
            SandboxConfig(**config),
            engine=engine or fake_engine,
            clock=clock,
            slack_state=slack_state,
        )

    return _start


@pytest.fixture
async def sandbox(start: StartSandbox) -> AsyncIterator[RunningSandbox]:
    """A sandbox at speed 500 with the fake engine."""
    async with start() as running:
        yield running


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """An authenticated client of ``sandbox``."""
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=AUTH) as http:
        yield http


@pytest.fixture
async def patient(start: StartSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a sandbox at speed 20 with short phases: a 0.25 s search, callback retries
    after 0.05 s and 0.25 s, and a callback timeout of 1.5 s. At the usual speed 500 the
    timeout is 60 ms, which a stall of a busy machine can outlast, adding an attempt.
    Limits off: these tests poll as fast as they can, and a minute lasts 3 s."""
    async with (
        start(
            speed=20, phase_seconds=(1.0,) * 5, rate_limit_per_minute=0, rate_limit_per_hour=0
        ) as sandbox,
        httpx.AsyncClient(base_url=sandbox.base_url, headers=AUTH) as http,
    ):
        yield http


@pytest.fixture
async def anon(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``sandbox`` without credentials."""
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        yield http


@pytest.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    """A callback receiver answering 200 (set ``statuses``/``hang_first`` before use)."""
    async with callback_receiver() as running:
        yield running
