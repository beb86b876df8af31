"""What the bot's handlers share: the typed ``web.AppKey``s and the Bolt listener context."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.jobs import BotServices
from shared.runtime import Runtime
from shared.settings import Settings

__all__ = [
    "BOLT",
    "BOT",
    "SETTINGS",
    "BotContext",
    "attach_to_bolt",
    "bot_context",
]


log = logging.getLogger(__name__)

CANCEL_GRACE = 5.0
"""Seconds work cancelled at shutdown gets to wind down (more than any notice it sends)."""


@dataclass(frozen=True)
class BotContext:
    """The long-lived resources the handlers work with."""

    settings: Settings
    runtime: Runtime
    """The core: the lead-search service, the API client, Redis."""
    services: BotServices
    """The bot's own: what it owes Slack, and the job queue that delivers it."""
    slack: AsyncWebClient
    """The bot's own Slack client (deliveries); listeners get Bolt's per-request one."""
    socket_mode: bool = False
    in_flight: set[asyncio.Task[Any]] = field(default_factory=set)
    """Work started after an ack and not finished yet (Bolt does not track it)."""

    async def run_tracked(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the current task, known to :meth:`drain` until it ends."""
        task = asyncio.current_task()
        if task is not None:
            self.in_flight.add(task)
        try:
            await work
        finally:
            if task is not None:
                self.in_flight.discard(task)

    async def drain(self, timeout: float, *, grace: float = CANCEL_GRACE) -> None:
        """On shutdown: let work already acked finish (up to ``timeout`` seconds).

        Work still running then is cancelled and gets ``grace`` more seconds to wind down
        while the resources it uses are still open: a search cancelled before it was
        submitted uses them to tell its user it did not start.
        """
        if not self.in_flight:
            return
        log.info("finishing %d request(s) already acknowledged", len(self.in_flight))
        _, late = await asyncio.wait(set(self.in_flight), timeout=timeout)
        if not late:
            return
        log.warning("%d request(s) did not finish before shutdown: cancelling", len(late))
        for task in late:
            task.cancel()
        _, stuck = await asyncio.wait(late, timeout=grace)
        if stuck:
            log.warning("%d request(s) still running after being cancelled", len(stuck))


SETTINGS = web.AppKey("leads_settings", Settings)
BOT = web.AppKey("leads_bot", BotContext)
BOLT = web.AppKey("leads_bolt", AsyncApp)

_BOLT_CONTEXT_KEY = "leads"


def attach_to_bolt(bolt: AsyncApp, bot: BotContext) -> None:
    """Make ``bot`` available to every Bolt listener through :func:`bot_context`."""

    # Bolt injects listener and middleware arguments by name: it must be called ``next``.
    async def attach(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        context[_BOLT_CONTEXT_KEY] = bot
        return await next()

    bolt.middleware(attach)


def bot_context(context: AsyncBoltContext) -> BotContext:
    """The bot's resources, from a Bolt listener's ``context``."""
    bot = context.get(_BOLT_CONTEXT_KEY)
    if not isinstance(bot, BotContext):
        raise RuntimeError("the Leads middleware did not run")
    return bot
