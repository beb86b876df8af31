"""``app_home_opened``: someone opened the bot's Home tab; publish their lead desk."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.context import bot_context
from bot.home import publish_home

__all__ = ["handle_app_home_opened"]

log = logging.getLogger(__name__)


async def handle_app_home_opened(
    ack: AsyncAck,
    body: dict[str, Any],
    event: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Publish the Home tab (the Messages tab opening is ignored)."""
    await ack()
    user_id, team_id = event.get("user"), body.get("team_id")
    if event.get("tab", "home") != "home" or not isinstance(user_id, str):
        return
    bot = bot_context(context)
    try:
        await bot.run_tracked(publish_home(bot, client, str(team_id or ""), user_id))
    except (SlackApiError, OSError):
        log.exception("could not publish the App Home", extra={"user_id": user_id})
