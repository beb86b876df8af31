"""Clicks on a lead card — Claim, Release, Not relevant, Undo — answered for the whole channel.

Before the click is acked (:func:`record_card_click`), the card's reference
(``<delivery_id>|<position>``) is resolved from Redis, so any replica can answer, and the
desk records the change (a claim is atomic: of two people clicking at once, one gets it and
the other is told who did) — so an acknowledged click is never lost. After the ack
(:func:`show_card_click`), the card's reply is re-rendered for everyone from the thread's
plan and the desk's state now, one re-render at a time per message, so two clicks on one
reply never undo each other.

What cannot be done is said to the person who clicked, ephemerally and in a sentence: the
search's results have expired, the card belongs to another channel or workspace than the
click came from, the lead is someone else's, or the message can no longer be edited (their
change is still saved).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.exceptions import LockError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.context import BotContext
from bot.deliveries import Delivery
from bot.delivery import UNREACHABLE
from bot.desk import REASONS, Claim, lead_key
from bot.messages import error_code, update_message
from bot.views.blocks import SlackMessage
from bot.views.cards import CLAIM, DISMISS, RELEASE, UNDO, author_name
from bot.views.notices import click_notice
from bot.views.text import mention
from bot.views.thread import ThreadPlan, lead_reply
from shared.models import Lead
from shared.state.records import SearchRecord

__all__ = [
    "Card",
    "CardClick",
    "Recorded",
    "Say",
    "load_card",
    "out_of_reach",
    "record_card_click",
    "rerender_card",
    "show_card_click",
]

log = logging.getLogger(__name__)

_RERENDER_LOCK_SECONDS = 10.0


@dataclass(frozen=True)
class CardClick:
    """One click on a card, from a ``block_actions`` payload."""

    action_id: str
    value: str
    """The clicked element's value: ``<delivery_id>|<position>[|<reason>]``."""
    user_id: str
    channel_id: str
    message_ts: str
    click_id: str = ""
    """Slack's ID for this one interaction (its ``trigger_id``): the same request sent again
    carries the same one. Empty when there is none (a click in the App Home)."""
    team_id: str = ""
    """The workspace the click came from (the payload's ``team.id``)."""

    def parse(self) -> tuple[str, int, str] | None:
        """(delivery ID, position, reason code), or None for a value we did not write."""
        parts = self.value.split("|")
        if len(parts) not in (2, 3) or not parts[1].isdigit():
            return None
        reason = parts[2] if len(parts) == 3 else ""
        return parts[0], int(parts[1]), reason if reason in REASONS else ""


@dataclass(frozen=True)
class Card:
    """One lead's card, with what it takes to render its reply again."""

    delivery: Delivery
    search: SearchRecord
    leads: list[Lead]
    plan: ThreadPlan
    position: int
    reply: int


Say = Callable[[SlackMessage], Awaitable[None]]
"""Answers only the person who clicked (ephemerally)."""


@dataclass(frozen=True)
class Recorded:
    """A click recorded on the desk: what to show for it once Slack has its ack."""

    card: Card | None
    """The clicked card; None when its data is gone, or the click was already taken."""
    notice: SlackMessage | None = None
    """What to tell the clicker, only them."""
    rerender: bool = False
    """The desk changed (or someone else's claim should show): re-render the card."""


def out_of_reach(delivery: Delivery, team_id: str, channel_id: str | None = None) -> bool:
    """Whether a click from workspace ``team_id`` (and, for a click in a message, channel
    ``channel_id``) may not change ``delivery``'s cards: it came from elsewhere.

    A value from one channel's card pasted into another's payload is refused, whatever it
    names. A delivery that does not know its workspace (``""``) is judged by its channel.
    """
    other_team = bool(delivery.team_id) and team_id != delivery.team_id
    return other_team or (channel_id is not None and channel_id != delivery.channel_id)


async def record_card_click(bot: BotContext, click: CardClick) -> Recorded:
    """Apply one click to the desk — before its ack, so an acked click is never lost."""
    where = {"user_id": click.user_id, "channel_id": click.channel_id}
    if click.click_id and not await bot.services.desk.first_time(click.click_id):
        # A replay or a retry of a click already taken: acked, and nothing happens again.
        log.info("a card click already taken; ignored", extra=where)
        return Recorded(None)
    parsed = click.parse()
    card = await load_card(bot, parsed[0], parsed[1]) if parsed is not None else None
    if card is None:
        log.info("click on a card whose data is gone", extra=where)
        return Recorded(None, click_notice("expired"))
    if out_of_reach(card.delivery, click.team_id, click.channel_id):
        log.warning("click on a card of another channel or workspace; refused", extra=where)
        return Recorded(None, click_notice("no_access"))
    desk = bot.services.desk
    team, channel = card.delivery.team_id, card.delivery.channel_id
    key = lead_key(card.leads[card.position])
    notice: SlackMessage | None = None
    if click.action_id == CLAIM:
        lead = card.leads[card.position]
        claim = Claim(
            channel,
            key,
            card.delivery.delivery_id,
            card.position,
            author_name(lead),
            time.time(),
            thread=card.plan.link,  # the App Home links to it after the plan has expired
        )
        holder = await desk.claim(team, click.user_id, claim)
        if holder is not None:
            notice = click_notice("claimed_by_other", who=mention(holder))
    elif click.action_id == RELEASE:
        holder = await desk.release(team, channel, key, click.user_id)
        if holder is not None:
            return Recorded(card, click_notice("release_not_yours", who=mention(holder)))
    elif click.action_id == DISMISS:
        assert parsed is not None
        await desk.dismiss(team, channel, key, click.user_id, parsed[2])
    elif click.action_id == UNDO:
        await desk.undo_dismiss(team, channel, key)
    log.info("card %s", click.action_id.removeprefix("lead_"), extra=where)
    return Recorded(card, notice, rerender=True)


async def show_card_click(
    bot: BotContext, client: AsyncWebClient, click: CardClick, recorded: Recorded, say: Say
) -> None:
    """After the ack: tell the clicker what they need to know, re-render the card for all."""
    if recorded.notice is not None:
        await say(recorded.notice)
    if recorded.card is not None and recorded.rerender:
        await rerender_card(bot, client, recorded.card, say, message_ts=click.message_ts)


async def load_card(bot: BotContext, delivery_id: str, position: int) -> Card | None:
    """A card from its reference, or None when its data is gone."""
    delivery = await bot.services.deliveries.get(delivery_id)
    if delivery is None:
        return None
    search = await bot.runtime.store.get_search(delivery.request_id)
    leads = await bot.runtime.store.get_results(delivery.request_id)
    kept = await bot.services.deliveries.thread_plan(delivery_id)
    if search is None or not leads or kept is None or position >= len(leads):
        return None
    plan = ThreadPlan.model_validate_json(kept)
    reply = plan.reply_of(position)
    if reply is None:
        return None
    return Card(delivery, search, leads, plan, position, reply)


async def rerender_card(
    bot: BotContext, client: AsyncWebClient, card: Card, say: Say, *, message_ts: str | None
) -> None:
    """Re-render the card's reply from the desk's state now, one re-render at a time.

    ``message_ts``: the reply's, when the click came from it; else it is looked up.
    """
    if message_ts is None:
        posted = await bot.services.deliveries.replies(card.delivery.delivery_id)
        if card.reply >= len(posted):
            return  # not posted yet: the delivery will post it as the desk has it then
        message_ts = posted[card.reply]
    redis = bot.runtime.connections.redis
    keys = bot.services.deliveries.keys
    lock = redis.lock(
        keys.message_lock(card.delivery.channel_id, message_ts),
        timeout=_RERENDER_LOCK_SECONDS,
        blocking_timeout=_RERENDER_LOCK_SECONDS,
        sleep=0.01,  # clicks on one reply queue here: take turns in 10 ms, not 100
    )
    positions = card.plan.groups[card.reply]
    try:
        async with lock:
            states = await bot.services.desk.states(
                card.delivery.team_id,
                card.delivery.channel_id,
                [lead_key(card.leads[p]) for p in positions],
            )
            message = lead_reply(
                card.search,
                card.leads,
                mention(card.delivery.user_id),
                card.plan,
                card.reply,
                delivery_id=card.delivery.delivery_id,
                states=dict(zip(positions, states, strict=True)),
            )
            await update_message(client, card.delivery.channel_id, message_ts, message)
    except SlackApiError as err:
        if error_code(err) not in UNREACHABLE:
            raise
        log.warning("cannot edit the card's message (%s)", error_code(err))
        await say(click_notice("cannot_edit"))
    except LockError:
        log.warning("the card's message stayed locked; not re-rendered")
        await say(click_notice("busy"))
