"""Clicks on the bot's messages (``block_actions``).

A click that changes the team desk is recorded before its ack (an acknowledged click is
never lost; if Redis can't take it in time, the clicker is told to try again); the card is
re-rendered after. Export answers after its ack.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.context import BotContext, bot_context
from bot.export import export_thread
from bot.home import record_home_release, show_home_release
from bot.messages import respond_ephemeral
from bot.triage import CardClick, Say, record_card_click, show_card_click
from bot.views import notices
from bot.views.blocks import SlackMessage

__all__ = ["handle_card_action", "handle_export_action", "handle_home_release"]

log = logging.getLogger(__name__)


def _click(body: dict[str, Any], action: dict[str, Any]) -> CardClick | None:
    """The click, or None when the payload lacks what a card's click always has."""
    selected = action.get("selected_option")
    value = selected.get("value") if isinstance(selected, dict) else action.get("value")
    user = body.get("user") or {}
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    fields = (
        action.get("action_id"),
        value,
        user.get("id"),
        channel.get("id"),
        container.get("message_ts"),
    )
    if not all(isinstance(field, str) and field for field in fields):
        return None
    action_id, value, user_id, channel_id, message_ts = (str(field) for field in fields)
    trigger = body.get("trigger_id")
    click_id = trigger if isinstance(trigger, str) else ""
    return CardClick(
        action_id,
        value,
        user_id,
        channel_id,
        message_ts,
        click_id=click_id,
        team_id=_team_id(body),
    )


def _team_id(body: dict[str, Any]) -> str:
    """The workspace a click came from (checked against the card's); "" when not said."""
    team, user = body.get("team"), body.get("user")
    for found in (
        team.get("id") if isinstance(team, dict) else None,
        user.get("team_id") if isinstance(user, dict) else None,
    ):
        if isinstance(found, str) and found:
            return found
    return ""


def _say(respond: AsyncRespond) -> Say:
    """Answers only the person who clicked, through the click's ``response_url``."""

    async def say(message: SlackMessage) -> None:
        await respond_ephemeral(respond, message)

    return say


async def _unreadable(say: Say) -> None:
    """A payload without what a click always has: ignored, and the clicker told."""
    log.warning("an action without the fields Slack always sends; ignored")
    await say(notices.click_notice("expired"))


Work = Callable[[BotContext, AsyncWebClient, CardClick, Say], Coroutine[Any, Any, None]]
Listener = Callable[..., Awaitable[None]]


def _listener(work: Work, doc: str) -> Listener:
    """A Bolt listener that acks, then does ``work`` for the click; any failure ends there,
    told to the clicker. (Bolt passes arguments by name: the signature is the contract.)"""

    async def listener(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        bot = bot_context(context)
        say = _say(respond)
        click = _click(body, action)
        if click is None:
            await _unreadable(say)
            return
        await _after_ack(bot, click, say, work(bot, client, click, say))

    listener.__doc__ = doc
    return listener


RECORD_BUDGET = 2.0
"""Seconds Redis gets to record a click before its ack (Slack allows 3 in all)."""


async def handle_card_action(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Claim, Release, Not relevant or Undo on one card: recorded on the desk, then acked."""
    bot = bot_context(context)
    say = _say(respond)
    click = _click(body, action)
    if click is None:
        await ack()
        await _unreadable(say)
        return
    try:
        async with asyncio.timeout(RECORD_BUDGET):
            recorded = await record_card_click(bot, click)
    except (RedisError, OSError, TimeoutError):
        # Never acknowledge silently what isn't recorded: the clicker is told to retry.
        await ack()
        log.exception("Redis could not take a click", extra={"user_id": click.user_id})
        await say(notices.click_not_saved())
        return
    await ack()
    await _after_ack(bot, click, say, show_card_click(bot, client, click, recorded, say))


async def _after_ack(
    bot: BotContext, click: CardClick, say: Say, work: Coroutine[Any, Any, None]
) -> None:
    """Run a click's work after its ack; any failure ends here, told to the clicker."""
    try:
        await bot.run_tracked(work)
    except Exception:
        log.exception("%s failed", click.action_id, extra={"user_id": click.user_id})
        try:
            await say(notices.unexpected_error())
        except (SlackApiError, OSError, ValueError):
            log.warning("could not tell the user about the failure", exc_info=True)


handle_export_action = _listener(export_thread, "Export CSV under a search's summary.")


async def handle_home_release(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Release in the App Home (a view: no channel, no response_url — the home says it).

    Recorded before the ack; if Redis can't take it in time, the click is not acked, and
    Slack shows the person that it failed.
    """
    bot = bot_context(context)
    user_id = str((body.get("user") or {}).get("id") or "")
    team_id = _team_id(body)
    value = action.get("value")
    if not user_id or not isinstance(value, str):
        await ack()
        log.warning("a home action without the fields Slack always sends; ignored")
        return
    try:
        async with asyncio.timeout(RECORD_BUDGET):
            released = await record_home_release(bot, team_id, user_id, value)
    except (RedisError, OSError, TimeoutError):
        log.exception("Redis could not take a release from the home", extra={"user_id": user_id})
        return
    await ack()
    try:
        await bot.run_tracked(show_home_release(bot, client, user_id, released))
    except Exception:
        log.exception("home release failed", extra={"user_id": user_id})
