"""Opening what both bot processes need: the API endpoint (or the sandbox), the runtime,
the Slack client and the background worker."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery import SlackDeliverer
from sandbox.embedded import sandbox_base_url
from shared.delivery import DeliveryRunner
from shared.jobs import BackgroundWorker
from shared.runtime import ApiEndpoint, Runtime, open_front_runtime
from shared.service import PollSchedule
from shared.settings import Settings
from shared.sweep import Sweeper

__all__ = ["open_bot_runtime", "running_background"]

log = logging.getLogger(__name__)


def open_bot_runtime(
    settings: Settings,
    *,
    endpoint: ApiEndpoint | None = None,
    schedule: PollSchedule | None = None,
) -> AbstractAsyncContextManager[Runtime]:
    """The runtime for the configured API — or, without credentials, an embedded sandbox.

    The sandbox's Slack stand-in is never used for Slack: only ``SLACK_API_URL`` decides.
    """
    return open_front_runtime(
        settings, start_sandbox=sandbox_base_url, endpoint=endpoint, schedule=schedule
    )


@asynccontextmanager
async def running_background(
    runtime: Runtime, slack: AsyncWebClient
) -> AsyncIterator[BackgroundWorker]:
    """Slack deliveries and the poll sweep, running in this process."""
    worker = BackgroundWorker(
        runtime.connections,
        runner=DeliveryRunner(runtime.store, SlackDeliverer(slack)),
        sweeper=Sweeper(runtime.service),
        queue_name=runtime.store.keys.jobs,
    )
    await worker.start()
    try:
        yield worker
    finally:
        await worker.stop()
