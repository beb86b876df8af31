"""``/leads``: help, status, watches (``watches.py``), and new searches.

Slack wants an answer within 3 seconds. Everything that can be decided from the text alone
(help, a description outside 10–2000 characters) is the ack itself, so the
person sees it at once and nothing else happens; anything else is acked empty first (tens
of milliseconds) and done afterwards, with the outcome posted or sent ephemerally.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.command_text import ShowHelp, ShowStatus, StartSearch, WatchCommand, parse_command
from bot.context import BotContext, bot_context
from bot.deliveries import SlackRequest
from bot.listeners.commands.watches import handle_watch_command
from bot.lookup import show_status
from bot.messages import respond_ephemeral
from bot.searching import start_search
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
            await ack()
            bot = bot_context(context)
            await _after_ack(
                bot, respond, asker, start_search(bot, client, respond, asker, description)
            )


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
