"""The App Home tab, published with ``views.publish``: on ``app_home_opened``, and again after
a lead is released from it (which re-renders that lead's card in its channel too)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.context import BotContext
from bot.deliveries import SLACK
from bot.desk import lead_key
from bot.triage import Card, CardClick, load_card, rerender_card
from bot.views.blocks import SlackMessage
from bot.views.home import home_view
from bot.views.notices import click_notice
from bot.views.text import mention
from bot.views.thread import ThreadPlan

__all__ = ["HomeRelease", "publish_home", "record_home_release", "show_home_release"]

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


@dataclass(frozen=True)
class HomeRelease:
    """A release from the App Home, recorded: what to show once Slack has its ack."""

    team_id: str
    card: Card | None
    """The released card, to re-render in its channel; None when nothing was released."""
    notice: str | None
    """What could not be done, said at the top of the home."""


async def record_home_release(bot: BotContext, team_id: str, user_id: str, ref: str) -> HomeRelease:
    """Release a claim from the App Home — before the ack, so an acked click is never lost."""
    click = CardClick("home_release", ref, user_id, "", "")
    parsed = click.parse()
    card = await load_card(bot, parsed[0], parsed[1]) if parsed is not None else None
    if card is None:
        return HomeRelease(team_id, None, click_notice("expired").text)
    delivery = card.delivery
    key = lead_key(card.leads[card.position])
    holder = await bot.services.desk.release(delivery.team_id, delivery.channel_id, key, user_id)
    if holder is not None:
        notice = click_notice("release_not_yours", who=mention(holder)).text
        return HomeRelease(delivery.team_id, None, notice)
    return HomeRelease(delivery.team_id, card, None)


async def show_home_release(
    bot: BotContext, client: AsyncWebClient, user_id: str, released: HomeRelease
) -> None:
    """After the ack: the card in its channel and the home both update.

    The home has no ephemeral answers: what could not be done is said at its top.
    """
    notice = released.notice
    if released.card is not None:

        async def say(message: SlackMessage) -> None:
            nonlocal notice
            notice = message.text

        await rerender_card(bot, client, released.card, say, message_ts=None)
    await publish_home(bot, client, released.team_id, user_id, notice=notice)
