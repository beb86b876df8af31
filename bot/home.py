"""The App Home tab, published with ``views.publish``: on ``app_home_opened``, and again after
a lead is released from it (which re-renders that lead's card in its channel too)."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.context import BotContext
from bot.deliveries import SLACK
from bot.desk import lead_key
from bot.triage import CardClick, load_card, rerender_card
from bot.views.blocks import SlackMessage
from bot.views.home import home_view
from bot.views.notices import click_notice
from bot.views.text import mention
from bot.views.thread import ThreadPlan

__all__ = ["publish_home", "release_from_home"]

log = logging.getLogger(__name__)

_RECENT_SCANNED = 200


async def publish_home(
    bot: BotContext,
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    *,
    notice: str | None = None,
) -> None:
    """Build and publish ``user_id``'s App Home from Redis (``notice`` on top, if any)."""
    claims = await bot.services.desk.claims_of(team_id, user_id)
    plans = await bot.services.deliveries.thread_plans([c.delivery_id for c in claims])
    threads = [ThreadPlan.model_validate_json(p).link if p else None for p in plans]
    recent = await bot.runtime.store.recent(_RECENT_SCANNED)
    mine = [
        search
        for search in recent
        if search.origin.front == SLACK
        and search.origin.user_id == user_id
        and search.origin.team_id in (team_id, None)
    ]
    channels = list(
        dict.fromkeys(
            [s.origin.channel_id for s in mine if s.origin.channel_id]
            + [claim.channel_id for claim in claims]
        )
    )
    view = home_view(list(zip(claims, threads, strict=True)), mine, channels, notice=notice)
    await client.views_publish(user_id=user_id, view=view)
    log.info("app home published", extra={"user_id": user_id, "claims": len(claims)})


async def release_from_home(
    bot: BotContext, client: AsyncWebClient, team_id: str, user_id: str, ref: str
) -> None:
    """Release a claim from the App Home: the card in its channel and the home both update.

    The home has no ephemeral answers: what could not be done is said at its top.
    """
    click = CardClick("home_release", ref, user_id, "", "")
    parsed = click.parse()
    card = await load_card(bot, parsed[0], parsed[1]) if parsed is not None else None
    notice: str | None = None
    if card is None:
        notice = click_notice("expired").text
    else:
        delivery = card.delivery
        key = lead_key(card.leads[card.position])
        holder = await bot.services.desk.release(
            delivery.team_id, delivery.channel_id, key, user_id
        )
        if holder is not None:
            notice = click_notice("release_not_yours", who=mention(holder)).text
        else:

            async def say(message: SlackMessage) -> None:
                nonlocal notice
                notice = message.text

            await rerender_card(bot, client, card, say, message_ts=None)
        team_id = delivery.team_id
    await publish_home(bot, client, team_id, user_id, notice=notice)
