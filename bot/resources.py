"""Opening what both bot processes need: the API (or the embedded sandbox), the core's
runtime, and the bot's own services — commands and their spool, deliveries, their job queue,
the background worker."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from slack_sdk.web.async_client import AsyncWebClient

from bot.jobs import BackgroundWorker, BotServices
from bot.spool import SpoolDrainer
from bot.views import notices
from sandbox.launch import embedded_sandbox
from shared.polling import PollSchedule
from shared.runtime import ApiEndpoint, Runtime, open_runtime
from shared.settings import Settings

__all__ = ["open_bot_runtime", "running_background"]

log = logging.getLogger(__name__)


@asynccontextmanager
async def open_bot_runtime(
    settings: Settings,
    slack: AsyncWebClient,
    *,
    endpoint: ApiEndpoint | None = None,
    schedule: PollSchedule | None = None,
) -> AsyncIterator[tuple[Runtime, BotServices]]:
    """The core's runtime for the configured API — or, without credentials, an embedded
    sandbox — and the bot's services on top of it, listening to the core's changes.

    The sandbox's Slack stand-in is never used for Slack: only ``SLACK_API_URL`` decides.
    """
    async with AsyncExitStack() as stack:
        sandbox_url = await stack.enter_async_context(
            embedded_sandbox(
                endpoint is None and settings.uses_sandbox, settings.leads_sandbox_speed
            )
        )
        # Every bot process also submits the assistants' and scripts' queued searches.
        runtime = await stack.enter_async_context(
            open_runtime(
                settings,
                endpoint=endpoint,
                sandbox_url=sandbox_url,
                schedule=schedule,
                run_queue=True,
            )
        )
        services = BotServices.over(runtime, slack)
        await runtime.bus.subscribe(services.on_change)
        # Every bot process drains this host's spool, whether or not it runs the worker:
        # a web replica that spooled commands during a Redis blip moves them itself.
        drainer = SpoolDrainer(
            services.spool,
            lambda command: services.commands.save(command, due_now=True),
            lambda command: services.intake.tell_asker(command, notices.database_down()),
        )
        await drainer.start()
        stack.push_async_callback(drainer.stop)
        yield runtime, services


@asynccontextmanager
async def running_background(
    runtime: Runtime, services: BotServices
) -> AsyncIterator[BackgroundWorker]:
    """Slack deliveries, the poll sweep and the requeue pass, running in this process."""
    worker = BackgroundWorker(runtime.connections, services)
    await worker.start()
    try:
        yield worker
    finally:
        await worker.stop()
