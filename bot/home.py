"""The App Home tab, published with ``views.publish``: on ``app_home_opened``, and again after
a lead is released from it (which re-renders that lead's card in its channel too)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.context import BotContext
from bot.deliveries import SLACK
from bot.desk import lead_key
from bot.triage import Card, CardClick, load_card, out_of_reach, rerender_card
from bot.views.blocks import SlackMessage
from bot.views.home import HOME_RELEASE, home_view
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
    # Claims keep their thread's link; older ones (kept without it) read the thread's plan,
    # while it lasts.
    unlinked = list(dict.fromkeys(c.delivery_id for c in claims if c.thread is None))
    plans = dict(zip(unlinked, await bot.services.deliveries.thread_plans(unlinked), strict=True))
    threads = [claim.thread or _plan_link(plans.get(claim.delivery_id)) for claim in claims]
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


def _plan_link(plan: str | None) -> str | None:
    """The thread's permalink from its kept plan (JSON), if any."""
    return ThreadPlan.model_validate_json(plan).link if plan else None


@dataclass(frozen=True)
class HomeRelease:
    """A release from the App Home, recorded: what to show once Slack has its ack."""

    team_id: str
    card: Card | None
    """The released card, to re-render in its channel; None when nothing was released."""
    notice: str | None
    """What to say at the top of the home: what could not be done, or not all of it."""


async def record_home_release(bot: BotContext, team_id: str, user_id: str, ref: str) -> HomeRelease:
    """Release a claim from the App Home — before the ack, so an acked click is never lost.

    The claim itself says which channel and lead it is, so it can be released for as long
    as it is kept (``LEADS_DESK_RETENTION_DAYS``), even once its search's results, and so
    its card's data, have expired (after a week); the card is re-rendered while they last.
    """
    desk = bot.services.desk
    claim = await desk.listed_claim(team_id, user_id, ref)
    parsed = CardClick(HOME_RELEASE, ref, user_id, "", "", team_id=team_id).parse()
    card = await load_card(bot, parsed[0], parsed[1]) if parsed is not None else None
    if claim is None:
        # Not listed for this person (released elsewhere, or never theirs): the card says.
        if card is None:
            return HomeRelease(team_id, None, click_notice("expired").text)
        if out_of_reach(card.delivery, team_id):
            log.warning("a home release of another workspace's card; refused")
            return HomeRelease(team_id, None, click_notice("no_access").text)
        delivery = card.delivery
        where = (delivery.team_id, delivery.channel_id, lead_key(card.leads[card.position]))
    else:
        where = (team_id, claim.channel_id, claim.lead_key)
        if card is not None and (
            out_of_reach(card.delivery, team_id, claim.channel_id)
            or lead_key(card.leads[card.position]) != claim.lead_key
        ):
            card = None  # not the claimed lead's card: release the claim, leave that card be
    holder = await desk.release(*where, user_id)
    if holder is not None:
        notice = click_notice("release_not_yours", who=mention(holder)).text
        return HomeRelease(team_id, None, notice)
    if card is None:
        return HomeRelease(team_id, None, click_notice("released_card_gone").text)
    return HomeRelease(team_id, card, None)


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
