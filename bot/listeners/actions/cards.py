"""Clicks on the bot's messages (``block_actions``): ack at once, then the desk answers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.context import BotContext, bot_context
from bot.export import export_thread
from bot.home import release_from_home
from bot.messages import respond_ephemeral
from bot.triage import CardClick, Say, handle_card_click
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
    return CardClick(action_id, value, user_id, channel_id, message_ts)


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

        async def say(message: SlackMessage) -> None:
            await respond_ephemeral(respond, message)

        click = _click(body, action)
        if click is None:
            log.warning("an action without the fields Slack always sends; ignored")
            await say(notices.click_notice("expired"))
            return
        try:
            await bot.run_tracked(work(bot, client, click, say))
        except Exception:
            log.exception("%s failed", click.action_id, extra={"user_id": click.user_id})
            try:
                await say(notices.unexpected_error())
            except (SlackApiError, OSError, ValueError):
                log.warning("could not tell the user about the failure", exc_info=True)

    listener.__doc__ = doc
    return listener


handle_card_action = _listener(
    handle_card_click, "Claim, Release, Not relevant or Undo on one card."
)
handle_export_action = _listener(export_thread, "Export CSV under a search's summary.")


async def handle_home_release(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Release in the App Home (a view: no channel, no response_url — the home says it)."""
    await ack()
    bot = bot_context(context)
    user_id = str((body.get("user") or {}).get("id") or "")
    team_id = str(
        (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    )
    value = action.get("value")
    if not user_id or not isinstance(value, str):
        log.warning("a home action without the fields Slack always sends; ignored")
        return
    try:
        await bot.run_tracked(release_from_home(bot, client, team_id, user_id, value))
    except Exception:
        log.exception("home release failed", extra={"user_id": user_id})
