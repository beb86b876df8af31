"""The watch list's buttons: Pause, Resume, Run now and Delete (ack at once, then act).

A click acts only on a watch of the channel the list was shown in, and answers the
clicker with what happened and the list as it is now.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond

from bot.context import BotContext, bot_context
from bot.listeners.commands.watches import watch_list_for
from bot.messages import respond_ephemeral
from bot.views import notices
from bot.views.watches import (
    WATCH_DELETE,
    WATCH_PAUSE,
    WATCH_RESUME,
    watch_deleted,
    watch_notice,
)
from shared.watch.store import WatchError, check_watch_id, scope_of

__all__ = ["handle_watch_action"]

log = logging.getLogger(__name__)


async def handle_watch_action(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """One click on a watch list's button."""
    await ack()
    bot = bot_context(context)
    user = body.get("user") or {}
    team_id = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
    channel_id = str((body.get("channel") or {}).get("id") or "")
    action_id, value = action.get("action_id"), action.get("value")
    if not channel_id or not isinstance(action_id, str) or not isinstance(value, str):
        log.warning("a watch action without the fields Slack always sends; ignored")
        await respond_ephemeral(respond, notices.click_notice("expired"))
        return
    try:
        await bot.run_tracked(_act(bot, respond, action_id, value, team_id, channel_id))
    except Exception:
        log.exception("%s failed", action_id, extra={"user_id": user.get("id")})
        await respond_ephemeral(respond, notices.unexpected_error())


async def _act(
    bot: BotContext,
    respond: AsyncRespond,
    action_id: str,
    value: str,
    team_id: str,
    channel_id: str,
) -> None:
    watches = bot.runtime.watches
    try:
        watch_id = check_watch_id(value)
        watch = await watches.get(watch_id)
        if watch is None or watch.scope != scope_of(team_id, channel_id):
            raise WatchError("That watch is gone (deleted, or from another channel).")
        if action_id == WATCH_DELETE:
            await watches.delete(watch_id)
            said = watch_deleted(watch)
        elif action_id == WATCH_PAUSE:
            await watches.pause(watch_id)
            said = watch_notice(f":double_vertical_bar: Paused watch `{watch_id}`.")
        elif action_id == WATCH_RESUME:
            await watches.resume(watch_id)
            said = watch_notice(f":arrow_forward: Resumed watch `{watch_id}`.")
        else:  # Run now
            if watch.paused:
                raise WatchError("That watch is paused: resume it first.")
            await watches.run_now(watch_id)
            said = watch_notice(
                f":runner: Running watch `{watch_id}` now; new people will appear in this "
                "channel (nothing is posted if nobody is new)."
            )
    except WatchError as err:
        await respond_ephemeral(respond, watch_notice(f":warning: {err.message}"))
        return
    log.info("watch %s", action_id, extra={"watch_id": watch_id, "channel_id": channel_id})
    await respond_ephemeral(respond, said)
    await respond_ephemeral(respond, await watch_list_for(bot, team_id, channel_id))
