"""A watch's run in Slack: one parent message and the new people's cards in its thread.

"New" is the team desk's: not shared in this channel before and not from a muted author.
Which leads are new is fixed in the run's record before anything is posted (posting
records them as shared, after which they would no longer read as new). The parent is
posted once and recorded — marked "posting" right before, and tagged with the run's ID in
its Slack message metadata, so a run resumed after a crash mid-post finds it in the
channel's history instead of posting it again; the cards go up through the ordinary delivery
(``bot.delivery.Deliverer``), which posts each reply once and resumes where it stopped. A
run with nobody new posts nothing. Watches with no channel go to ``get_new_leads`` only.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deliveries import DeliveryStore, SlackRequest
from bot.delivery import UNREACHABLE, Deliverer, DeliveryOutcome
from bot.desk import DeskStore, lead_key
from bot.messages import (
    CANNOT_POST_HERE,
    CLOCK_MARGIN,
    error_code,
    find_tagged,
    post_message,
    tag,
)
from bot.views.watches import run_line, watch_created, watch_paused, watch_posting
from shared.errors import InvalidDescriptionError
from shared.models import Lead
from shared.service import LeadsService
from shared.state.records import Origin, SearchRecord
from shared.validation import validate_description
from shared.watch.runner import Found, SeenSetDelivery, WatchRunner
from shared.watch.schedule import parse_schedule
from shared.watch.store import Watch, WatchError, WatchStore

if TYPE_CHECKING:  # bot.jobs registers the job: imported only for its type
    from bot.jobs import BotServices

__all__ = [
    "CREATE_JOB",
    "SlackWatchDelivery",
    "WatchBusyError",
    "Watching",
    "announce_watch",
    "create_watch_for_assistant",
]

CREATE_JOB = "create_watch"
"""The job an assistant's ``create_watch`` queues for a channel (MCP queues it by name)."""

RUN_EVENT = "leads_watch_run"
"""The Slack message metadata ``event_type`` of a watch run's parent (payload: the run)."""

log = logging.getLogger(__name__)


class WatchBusyError(Exception):
    """Another process is posting this run's cards: try the run again shortly."""


class SlackWatchDelivery:
    """Delivers watch runs: to their channel, or (no channel) to ``get_new_leads``."""

    def __init__(
        self,
        watches: WatchStore,
        deliveries: DeliveryStore,
        desk: DeskStore,
        deliverer: Deliverer,
        slack: AsyncWebClient,
    ) -> None:
        self.watches = watches
        self.deliveries = deliveries
        self.desk = desk
        self.deliverer = deliverer
        self.slack = slack
        self.channel_less = SeenSetDelivery(watches)

    async def deliver(
        self, watch: Watch, run_id: str, search: SearchRecord, leads: list[Lead]
    ) -> Found:
        """Post the run's new people in the watch's channel (once, however often asked)."""
        channel_id = watch.origin.channel_id
        if not channel_id:
            return await self.channel_less.deliver(watch, run_id, search, leads)
        team_id = watch.origin.team_id or ""
        new = await self.watches.keep_new(run_id, await self._new_here(team_id, channel_id, leads))
        found = Found(new, len(leads) - len(new))
        if not new:
            return found
        try:
            delivery_id = await self._delivery(watch, run_id, search, found)
        except SlackApiError as err:
            if error_code(err) not in UNREACHABLE:
                raise
            log.warning(
                "watch cannot post in its channel (%s)",
                error_code(err),
                extra={"watch_id": watch.watch_id, "channel_id": channel_id},
            )
            return found
        if delivery_id is not None:
            outcome = await self.deliverer.run(delivery_id)
            if outcome is DeliveryOutcome.BUSY:
                raise WatchBusyError(delivery_id)
        return found

    async def _new_here(self, team_id: str, channel_id: str, leads: list[Lead]) -> list[int]:
        """Positions of the leads new to the channel: never shared there, author not muted,
        and the first of each person in this run."""
        shared = await self.desk.shared_before(team_id, channel_id, leads, parent_ts="")
        keys = [lead_key(lead) for lead in leads]
        states = await self.desk.states(team_id, channel_id, keys)
        new, taken = [], set()
        for position, (before, state, key) in enumerate(zip(shared, states, keys, strict=True)):
            if before is None and not state.muted and key not in taken:
                new.append(position)
                taken.add(key)
        return new

    async def _delivery(
        self, watch: Watch, run_id: str, search: SearchRecord, found: Found
    ) -> str | None:
        """The run's delivery: its parent posted and recorded once, then the delivery."""
        progress = await self.watches.progress(run_id)
        if progress.get("delivery_id"):
            return progress["delivery_id"]
        channel_id = watch.origin.channel_id or ""
        line = run_line(len(found.new), found.seen)
        parent_ts = progress.get("parent_ts")
        wanted = tag(RUN_EVENT, run=run_id)
        if not parent_ts and progress.get("posting"):  # a run died posting it: is it up?
            since = f"{search.created_at.timestamp() - CLOCK_MARGIN:.6f}"
            history = functools.partial(
                self.slack.conversations_history, channel=channel_id, oldest=since
            )
            parent_ts = await find_tagged(history, wanted, where={"run_id": run_id})
            if parent_ts:
                await self.watches.record(run_id, parent_ts=parent_ts)
        if not parent_ts:
            await self.watches.record(run_id, posting="1")
            parent_ts = await post_message(
                self.slack, channel_id, watch_posting(watch, line), metadata=wanted
            )
            await self.watches.record(run_id, parent_ts=parent_ts)
        # A crash after adding the delivery and before recording it: find it by its parent.
        for delivery_id in await self.deliveries.ids_of(search.request_id):
            existing = await self.deliveries.get(delivery_id)
            if existing is not None and existing.parent_ts == parent_ts:
                await self.watches.record(run_id, delivery_id=delivery_id)
                return delivery_id
        asker = SlackRequest(watch.origin.team_id or "", channel_id, watch.origin.user_id or "")
        delivery = await self.deliveries.add(
            search.request_id,
            asker=asker,
            parent_ts=parent_ts,
            reused=False,
            only=found.new,
            watch_line=f"{line} · `{watch.watch_id}`",
            once=run_id,  # a run resumed after a crash owes no second answer
        )
        if delivery is None:  # its search expired from Redis meanwhile
            return None
        await self.watches.record(run_id, delivery_id=delivery.delivery_id)
        return delivery.delivery_id

    async def tell_paused(self, watch: Watch, reason: str) -> None:
        """Tell the watch's channel that failures paused it, and why."""
        if not watch.origin.channel_id:
            await self.channel_less.tell_paused(watch, reason)
            return
        try:
            await post_message(self.slack, watch.origin.channel_id, watch_paused(watch, reason))
        except SlackApiError as err:
            log.warning(
                "could not tell the channel its watch was paused (%s)",
                error_code(err),
                extra={"watch_id": watch.watch_id},
            )


@dataclass
class Watching:
    """What the bot's watch jobs use: the watches, their runner, and their delivery."""

    store: WatchStore
    runner: WatchRunner
    delivery: SlackWatchDelivery

    @classmethod
    def build(
        cls,
        watches: WatchStore,
        service: LeadsService,
        deliverer: Deliverer,
        slack: AsyncWebClient,
    ) -> Watching:
        """Watch runs on ``service``, delivered to Slack through ``deliverer``."""
        delivery = SlackWatchDelivery(
            watches, deliverer.deliveries, deliverer.desk, deliverer, slack
        )
        return cls(watches, WatchRunner(watches, service), delivery)


async def announce_watch(watches: WatchStore, slack: AsyncWebClient, watch: Watch) -> str | None:
    """Post a new watch's card in its channel: None, or Slack's reason it cannot post there
    (the watch is deleted again then: it could never deliver)."""
    try:
        await post_message(
            slack, watch.origin.channel_id or "", watch_created(watch, watches.budget)
        )
    except SlackApiError as err:
        if error_code(err) not in CANNOT_POST_HERE:
            raise
        await watches.delete(watch.watch_id)
        return error_code(err)
    log.info(
        "watch created",
        extra={"watch_id": watch.watch_id, "channel_id": watch.origin.channel_id},
    )
    return None


async def create_watch_for_assistant(
    ctx: dict[str, Any], description: str, schedule: str, channel: str, assistant: str
) -> dict[str, Any]:
    """arq job: an assistant's watch for ``channel`` (an ID). Answers ``{"ok": True,
    "watch_id"}`` or ``{"ok": False, "error", "message"?}`` for the MCP tool to relay."""
    services: BotServices = ctx["services"]
    watches, slack = services.watching.store, services.deliverer.slack
    team = await slack.auth_test()
    origin = Origin(
        front="mcp",
        team_id=str(team.get("team_id") or ""),
        channel_id=channel,
        client=assistant[:100],
    )
    try:
        watch = await watches.create(
            validate_description(description), parse_schedule(schedule), origin
        )
    except (WatchError, InvalidDescriptionError, ValueError) as err:
        return {"ok": False, "error": "refused", "message": str(err)}
    refused = await announce_watch(watches, slack, watch)
    if refused is not None:
        return {"ok": False, "error": refused}
    return {"ok": True, "watch_id": watch.watch_id}
