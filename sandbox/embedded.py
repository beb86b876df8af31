"""Run the sandbox inside the current event loop (the product's default, and tests).

Usage::

    async with start_sandbox(SandboxConfig(speed=500)) as sandbox:
        client = NyneClient(api_key="sandbox-key", api_secret="sandbox-secret",
                            base_url=sandbox.base_url)
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox.api.app import SERVICE
from sandbox.api.clock import Clock
from sandbox.api.engine import LeadFinder
from sandbox.api.faults import Faults
from sandbox.api.service import SandboxSearchService
from sandbox.server import SLACK_APP, SandboxConfig, create_app
from sandbox.slack import SLACK_STATE, SlackState

__all__ = ["RunningSandbox", "SandboxConfig", "start_sandbox"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunningSandbox:
    """A started sandbox: where it listens, and its state for tests to inspect."""

    config: SandboxConfig
    host: str
    port: int
    """The real port (the one picked when 0 was asked)."""
    base_url: str
    """The Person Leads API base URL, e.g. ``http://127.0.0.1:8787`` (no trailing slash)."""
    slack_api_url: str
    """The Slack Web API stand-in, e.g. ``http://127.0.0.1:8787/slack/api/``."""
    app: web.Application

    @property
    def service(self) -> SandboxSearchService:
        """The API's state: store, limiter, faults, callbacks."""
        return self.app[SERVICE]

    @property
    def faults(self) -> Faults:
        """The faults in force; set them directly (``sandbox.faults.update({...})``)."""
        return self.service.faults

    @property
    def slack(self) -> SlackState:
        """The Slack stand-in's workspace (channels, messages, event log)."""
        return self.app[SLACK_APP][SLACK_STATE]

    async def usage(self, api_key: str | None = None) -> dict[str, Any]:
        """What ``GET /sandbox/usage`` answers for ``api_key`` (default: the config's key)."""
        return await self.service.usage(api_key or self.config.api_key)

    def callbacks(self, request_id: str) -> dict[str, object] | None:
        """What ``GET /sandbox/callbacks?request_id=`` answers, or ``None``."""
        entry = self.service.callbacks.get(request_id)
        return entry.to_json() if entry is not None else None

    async def reset(self) -> None:
        """Forget searches, accounts, rate limits, callbacks and faults."""
        await self.service.reset()


def _url_host(host: str) -> str:
    """A host clients can connect to: wildcards become loopback, IPv6 gets brackets."""
    if host in {"", "0.0.0.0"}:  # noqa: S104 - mapping the wildcard, not binding it
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


@asynccontextmanager
async def start_sandbox(
    config: SandboxConfig | None = None,
    *,
    engine: LeadFinder | None = None,
    clock: Clock | None = None,
    slack_state: SlackState | None = None,
) -> AsyncIterator[RunningSandbox]:
    """Serve a sandbox on a real TCP port for the duration of the ``async with``.

    Args:
        config: how to run (default: 127.0.0.1, a free port, speed 1, the default key).
        engine: a search engine to use instead of the bundled one.
        clock: a time source to use instead of the real clock.
        slack_state: the Slack stand-in's workspace (default: a fresh seeded one).
    """
    config = config or SandboxConfig()
    app = create_app(config, engine=engine, clock=clock, slack_state=slack_state)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.port)
        await site.start()
        port = int(runner.addresses[0][1])
        origin = f"http://{_url_host(config.host)}:{port}"
        running = RunningSandbox(
            config=config,
            host=config.host,
            port=port,
            base_url=origin,
            slack_api_url=f"{origin}/slack/api/",
            app=app,
        )
        log.info("sandbox listening on %s (speed %g)", origin, config.speed)
        yield running
    finally:
        await runner.cleanup()
