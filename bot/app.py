"""The bot's aiohttp application: ``/slack/events``, ``/callbacks/nyne/<token>``, ``/healthz``.

:func:`create_app` only builds the application; everything that opens a socket or starts a
task happens when it starts, in ``cleanup_ctx`` (and is closed in reverse order on exit):
the API endpoint (or an embedded sandbox) and the runtime, the Slack client and Bolt app,
the background worker (unless ``LEADS_RUN_SWEEP=false`` leaves it to ``worker``
processes) and, with ``SLACK_APP_TOKEN``, the Socket Mode connection.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.callbacks import handle_nyne_callback
from bot.context import BOLT, BOT, SETTINGS, BotContext
from bot.health import HEALTH, HealthChecks, handle_healthz
from bot.messages import error_code
from bot.resources import open_bot_runtime, running_background
from bot.slack_client import create_bolt_app, create_slack_client
from bot.slack_events import handle_slack_events
from shared.polling import PollSchedule
from shared.runtime import ApiEndpoint
from shared.settings import Settings

__all__ = ["create_app"]

log = logging.getLogger(__name__)

DRAIN_TIMEOUT = 10.0
"""Seconds a shutdown waits for acknowledged ``/leads`` requests to finish."""


def create_app(
    settings: Settings,
    *,
    endpoint: ApiEndpoint | None = None,
    schedule: PollSchedule | None = None,
    settle_heap: bool = False,
) -> web.Application:
    """The bot's application for ``settings``.

    ``endpoint`` overrides the API the settings name, and ``schedule`` the poll timing
    (the demo and tests pass a sandbox they started and a schedule scaled to its speed).
    ``settle_heap``: the process is the bot's own (``python -m bot``): once started, leave
    its start-up objects out of later garbage collections (see :func:`_settle_the_heap`).
    """
    app = web.Application()
    app[SETTINGS] = settings

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            slack = create_slack_client(settings)
            runtime, services = await stack.enter_async_context(
                open_bot_runtime(settings, slack, endpoint=endpoint, schedule=schedule)
            )
            socket_mode = settings.slack_app_token is not None
            bot = BotContext(settings, runtime, services, slack, socket_mode=socket_mode)
            app[BOT] = bot
            app[BOLT] = create_bolt_app(bot)
            await _check_slack_token(bot)
            worker = None
            if settings.leads_run_sweep:
                worker = await stack.enter_async_context(running_background(runtime, services))
            else:
                log.info("LEADS_RUN_SWEEP=false: `worker` processes deliver and sweep")
            app[HEALTH] = HealthChecks(runtime.endpoint.base_url, settings.slack_api_url, worker)
            if settle_heap:
                _settle_the_heap()
            yield
            # No new requests now; let acknowledged ones finish before Redis closes.
            log.info("stopping: finishing acknowledged requests, then the background worker")
            await bot.drain(DRAIN_TIMEOUT)

    app.cleanup_ctx.append(lifecycle)
    if settings.slack_app_token is not None:
        app.cleanup_ctx.append(_socket_mode)
    app.router.add_get("/healthz", handle_healthz)
    app.router.add_post("/callbacks/nyne/{token}", handle_nyne_callback)
    if settings.slack_signing_secret is not None:
        app.router.add_post("/slack/events", handle_slack_events)
    return app


def _settle_the_heap() -> None:
    """Leave what start-up made out of every later full garbage collection.

    Start-up leaves ~100,000 long-lived objects (modules, Bolt, slack_sdk, pydantic models;
    ``python -m bot`` freezes what its imports made, this what opening the app made). Each
    full collection walked all of them: ~30 ms during which no request is answered, and
    a burst of /leads can trigger one between a command and its ack. Collected once, then
    frozen (``gc.freeze``, the standard advice for long-running servers), they are never
    walked again; what the process makes later is collected as before. Only for a process
    that is the bot: one that builds many apps (the tests, the demo) would keep each one's.
    """
    gc.collect()
    gc.freeze()


async def _check_slack_token(bot: BotContext) -> None:
    """Say at start-up, not at the first command, when the bot token is refused."""
    try:
        auth = await bot.slack.auth_test()
    except SlackApiError as err:
        log.error("Slack refused SLACK_BOT_TOKEN (%s): /leads will not work", error_code(err))
        return
    except OSError as err:
        log.warning("Slack is unreachable at start-up (%s)", type(err).__name__)
        return
    log.info("connected to Slack as %s in %s", auth.get("user"), auth.get("team"))


async def _socket_mode(app: web.Application) -> AsyncIterator[None]:
    """Receive Slack's requests over a WebSocket (no public URL needed)."""
    token = app[SETTINGS].slack_app_token
    assert token is not None
    handler = AsyncSocketModeHandler(app[BOLT], app_token=token.get_secret_value())
    await handler.connect_async()  # type: ignore[no-untyped-call]
    log.info("Socket Mode connected: Slack requests arrive over the WebSocket")
    try:
        yield
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
