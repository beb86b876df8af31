"""The Slack stand-in served over real HTTP on a free port, mounted at /slack as in the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import SlackState, create_slack_app
from tests.sandbox.slack.support import Sandbox


@pytest.fixture
def state() -> SlackState:
    """A fresh seeded workspace."""
    return SlackState()


@pytest.fixture
async def sandbox(state: SlackState) -> AsyncIterator[Sandbox]:
    """The stand-in mounted in a tiny root app, listening on 127.0.0.1 and a free port."""
    root = web.Application()
    root.add_subapp("/slack", create_slack_app(state))
    runner = web.AppRunner(root)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield Sandbox(state, f"http://{host}:{port}/slack")
    finally:
        await runner.cleanup()


@pytest.fixture
def client(sandbox: Sandbox) -> AsyncWebClient:
    """slack_sdk's AsyncWebClient with the sandbox bot token."""
    return sandbox.client()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP session, for requests no Slack client would make."""
    async with aiohttp.ClientSession() as session:
        yield session
