"""``/leads watch <hourly|daily|weekly> <description>``, ``/leads watches``, ``/leads unwatch``.

What the text alone decides (a missing schedule, a description outside 10–2000 characters,
a malformed ID) is the ack itself. Anything else is acked empty first, then done: a new
watch's card is posted in the channel (which also proves the bot may post there; if not,
the watch is deleted again and the person told how to invite it), lists and deletions are
answered to the person alone.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.command_text import WatchCommand
from bot.context import BotContext, bot_context
from bot.deliveries import SlackRequest
from bot.messages import respond_ephemeral
from bot.views import notices
from bot.views.blocks import SlackMessage
from bot.views.text import escape
from bot.views.watches import watch_deleted, watch_list, watch_notice
from bot.watching import announce_watch
from shared.errors import InvalidDescriptionError
from shared.validation import validate_description
from shared.watch.schedule import Schedule, parse_schedule
from shared.watch.store import WatchError, check_watch_id, scope_of

__all__ = ["handle_watch_command", "watch_list_for"]

log = logging.getLogger(__name__)

_USAGE = escape("/leads watch <hourly|daily|weekly> <description>")


def _usage_error(text: str) -> SlackMessage:
    return watch_notice(f":warning: {text} Try `{_USAGE}`.")


def _parse_watch(argument: str) -> tuple[Schedule, str] | SlackMessage:
    """(schedule, description) from ``watch``'s argument, or what to tell the person."""
    word, _, rest = argument.partition(" ")
    if not word:
        return _usage_error("Say how often and what to look for.")
    try:
        schedule = parse_schedule(word)
    except ValueError:
        return _usage_error("The schedule is hourly, daily or weekly.")
    try:
        return schedule, validate_description(rest)
    except InvalidDescriptionError as err:
        return notices.invalid_description(err.length)


async def handle_watch_command(
    ack: AsyncAck,
    command: WatchCommand,
    asker: SlackRequest,
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Answer one of the watch subcommands."""
    match command.subcommand:
        case "watch":
            parsed = _parse_watch(command.argument)
            if isinstance(parsed, SlackMessage):
                await ack(response_type="ephemeral", **parsed.as_args())
                return
            await ack()
            bot = bot_context(context)
            await _after_ack(bot, respond, asker, _create(bot, client, respond, asker, *parsed))
        case "unwatch":
            try:
                watch_id = check_watch_id(command.argument)
            except WatchError as err:
                await ack(response_type="ephemeral", **_usage_error(escape(err.message)).as_args())
                return
            await ack()
            bot = bot_context(context)
            await _after_ack(bot, respond, asker, _delete(bot, respond, asker, watch_id))
        case _:
            await ack()
            bot = bot_context(context)
            await _after_ack(bot, respond, asker, _list(bot, respond, asker))


async def _after_ack(
    bot: BotContext,
    respond: AsyncRespond,
    asker: SlackRequest,
    work: Coroutine[Any, Any, None],
) -> None:
    """Run the work after the ack; failures end here, told to the person."""
    try:
        await bot.run_tracked(work)
    except (RedisError, OSError):
        log.exception("/leads watch failed: Redis", extra={"channel_id": asker.channel_id})
        await respond_ephemeral(respond, notices.database_down())
    except Exception:
        log.exception("/leads watch failed", extra={"channel_id": asker.channel_id})
        await respond_ephemeral(respond, notices.unexpected_error())


async def _create(
    bot: BotContext,
    client: AsyncWebClient,
    respond: AsyncRespond,
    asker: SlackRequest,
    schedule: Schedule,
    description: str,
) -> None:
    watches = bot.runtime.watches
    try:
        watch = await watches.create(description, schedule, asker.origin)
    except WatchError as err:
        await respond_ephemeral(respond, watch_notice(f":no_entry: {escape(err.message)}"))
        return
    if await announce_watch(watches, client, watch) is not None:
        await respond_ephemeral(respond, notices.not_in_channel())


async def watch_list_for(bot: BotContext, team_id: str, channel_id: str) -> SlackMessage:
    """The channel's watches, with their credits in the last 30 days."""
    watches = bot.runtime.watches
    found = await watches.in_scope(scope_of(team_id, channel_id))
    credits = {watch.watch_id: await watches.credits(watch.watch_id) for watch in found}
    return watch_list(found, credits, cap=watches.per_channel)


async def _list(bot: BotContext, respond: AsyncRespond, asker: SlackRequest) -> None:
    await respond_ephemeral(respond, await watch_list_for(bot, asker.team_id, asker.channel_id))


async def _delete(
    bot: BotContext, respond: AsyncRespond, asker: SlackRequest, watch_id: str
) -> None:
    try:
        watch = await bot.runtime.watches.delete(
            watch_id, scope=scope_of(asker.team_id, asker.channel_id)
        )
    except WatchError as err:
        await respond_ephemeral(respond, watch_notice(f":warning: {escape(err.message)}"))
        return
    log.info("watch deleted", extra={"watch_id": watch_id, "user_id": asker.user_id})
    await respond_ephemeral(respond, watch_deleted(watch))
