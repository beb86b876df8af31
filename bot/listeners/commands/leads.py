"""``/leads``: help, status, watches (``watches.py``), and new searches.

Slack wants an answer within 3 seconds. Everything that can be decided from the text alone
(help, a description outside 10–2000 characters) is the ack itself, so the
person sees it at once and nothing else happens; anything else is acked empty first (tens
of milliseconds) and done afterwards, with the outcome posted or sent ephemerally.

A new search is recorded in Redis before its ack (``bot/intake.py``): Slack never retries a
slash command, so what is acknowledged must survive this process. If Redis cannot take the
record within the ack budget, it goes to this host's spool (``bot/spool.py``); only if that
fails too does the ack itself say to try again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.command_text import ShowHelp, ShowStatus, StartSearch, WatchCommand, parse_command
from bot.context import BotContext, bot_context
from bot.deliveries import SlackRequest
from bot.intake import Command
from bot.listeners.commands.watches import handle_watch_command
from bot.lookup import show_status
from bot.messages import respond_ephemeral
from bot.views import notices
from bot.views.blocks import SlackMessage
from bot.views.help import help_message
from shared.errors import InvalidDescriptionError
from shared.validation import validate_description

__all__ = ["handle_leads_command"]

log = logging.getLogger(__name__)


async def _ack_ephemeral(ack: AsyncAck, message: SlackMessage) -> None:
    await ack(response_type="ephemeral", **message.as_args())


async def handle_leads_command(
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Answer one ``/leads`` invocation."""
    asker = SlackRequest(
        team_id=str(command.get("team_id") or ""),
        channel_id=str(command.get("channel_id") or ""),
        user_id=str(command.get("user_id") or ""),
    )
    match parse_command(str(command.get("text") or "")):
        case ShowHelp():
            await _ack_ephemeral(ack, help_message())
        case WatchCommand() as watch_command:
            await handle_watch_command(ack, watch_command, asker, respond, client, context)
        case ShowStatus(request_id=request_id):
            await ack()
            bot = bot_context(context)
            await _after_ack(bot, respond, asker, show_status(bot, respond, asker, request_id))
        case StartSearch(description=typed):
            try:
                description = validate_description(typed)
            except InvalidDescriptionError as err:
                await _ack_ephemeral(ack, notices.invalid_description(err.length))
                return
            bot = bot_context(context)
            commands = bot.services.commands
            received = commands.new(
                asker, description, response_url=command.get("response_url") or None
            )
            try:
                async with asyncio.timeout(RECORD_BUDGET):
                    await commands.save(received)
            except (RedisError, OSError, TimeoutError):
                await _spool(bot, ack, received)
                return
            await ack()
            await bot.run_tracked(_start_search(bot, received.command_id))


RECORD_BUDGET = 1.5
"""Seconds Redis gets to record a command before the ack (Slack allows 3 in all)."""


async def _spool(bot: BotContext, ack: AsyncAck, received: Command) -> None:
    """Redis did not answer in time: keep the command on this host's disk, then ack.

    Never acknowledge what isn't recorded: if the disk fails too, the ack says to retry.
    """
    where = {"command_id": received.command_id, "channel_id": received.channel_id}
    try:
        await asyncio.to_thread(bot.services.spool.put, received)
    except OSError:
        log.exception("Redis and the spool both failed: /leads refused", extra=where)
        await _ack_ephemeral(ack, notices.database_down())
        return
    log.warning("Redis did not answer: /leads spooled until it does", extra=where)
    await ack()


async def _start_search(bot: BotContext, command_id: str) -> None:
    """Run the recorded command here and now; if that fails, it is handed on, not lost."""
    try:
        await bot.services.intake.run(command_id)
    except Exception:
        log.warning(
            "command failed here: queued to run again",
            exc_info=True,
            extra={"command_id": command_id},
        )
        try:
            await bot.services.enqueue_command(command_id, "retry", defer=1.0)
        except (RedisError, OSError):
            # The requeue pass finds it once its deadline passes (COMMAND_GRACE).
            log.warning("could not queue the command again", extra={"command_id": command_id})


async def _after_ack(
    bot: BotContext, respond: AsyncRespond, asker: SlackRequest, work: Coroutine[Any, Any, None]
) -> None:
    """Run the work that follows the ack: the top of this request, so failures end here.

    It is tracked so that a shutdown lets it finish rather than cut a search in half.
    """
    try:
        await bot.run_tracked(work)
    except Exception:
        log.exception(
            "/leads failed", extra={"channel_id": asker.channel_id, "user_id": asker.user_id}
        )
        try:
            await respond_ephemeral(respond, notices.unexpected_error())
        except (SlackApiError, OSError, ValueError):
            log.warning("could not tell the user about the failure", exc_info=True)
