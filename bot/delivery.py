"""Bringing one ``/leads`` answer up to date in Slack, once, across processes: :class:`Deliverer`.

The job queue runs :meth:`Deliverer.run` whenever the search changes. Only one process works
on a delivery at a time (a Redis lock with a lease), and each step is recorded right after
it happens, so a run that dies half-way resumes where it stopped:

1. while the search runs, the parent message shows its phase (an edit only when the phase
   shown differs from the search's);
2. once it is over, the thread replies are posted, each recorded as posted at once, so a
   resumed run starts after the last one that is up;
3. the parent becomes the summary, and the delivery is complete.

Before the first reply goes up, the thread's plan is fixed and kept (``ThreadPlan``): what
the team desk knew then — which leads were shared in the channel before, which authors are
muted there — and which cards go in which reply. The leads are then recorded as shared
in this thread, so the next search in the channel marks them.

While a run works, a heartbeat (``shared/state/lease.py``) renews both its lock and the delivery's
deadline, however long Slack takes (retries, 429 waits): only a run whose process died lets
them lapse, and then the requeue pass (``bot/jobs.py``) runs it again. A run that loses its
lock anyway (Redis failover, a frozen process) stops at once rather than post what the next
run will.

Slack's 429s are retried inside each call (slack_sdk retry handlers); anything else that
fails raises, and the job queue retries the delivery later from the recorded step. A
conversation the bot can no longer reach (removed from the channel, parent deleted) ends
the delivery with a warning instead of retrying forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
from enum import Enum

from redis.exceptions import LockError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deliveries import Delivery, DeliveryStore
from bot.desk import DeskStore, lead_key
from bot.messages import error_code, find_tagged, post_message, tag, update_message
from bot.views.parent import (
    DeskCounts,
    ParentHeader,
    parent_progress,
    parent_summary,
    same_phase,
)
from bot.views.thread import ThreadPlan, plan_thread, thread_replies
from shared.models import Lead
from shared.state.lease import Heartbeat
from shared.state.records import SearchRecord, SearchState
from shared.state.store import SearchStore

__all__ = ["UNREACHABLE", "Deliverer", "DeliveryOutcome"]

log = logging.getLogger(__name__)

UNREACHABLE = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "restricted_action",
        "message_not_found",
        "cant_update_message",
        "thread_not_found",
    }
)
"""Slack errors after which this answer can never be delivered: give up, don't retry."""
PART_EVENT = "leads_thread_reply"
"""The Slack message metadata ``event_type`` of a thread reply the bot posted (payload: the
delivery and the part), so a run resumed after a crash mid-post can find it."""


class DeliveryOutcome(Enum):
    """How a delivery run ended."""

    FINISHED = "finished"
    """The answer is complete."""
    UPDATED = "updated"
    """Progress shown; more to come when the search changes."""
    BUSY = "busy"
    """Another process is working on it (or this run lost its lock); try again shortly."""
    GONE = "gone"
    """Nothing to do: unknown, already finished, or its search has expired from Redis."""


class Deliverer:
    """Runs deliveries with the bot's Slack client, one run at a time per delivery."""

    def __init__(
        self,
        deliveries: DeliveryStore,
        searches: SearchStore,
        desk: DeskStore,
        slack: AsyncWebClient,
    ) -> None:
        self.deliveries = deliveries
        self.searches = searches
        self.desk = desk
        self.slack = slack
        self._workspace: str | None = None

    async def run(self, delivery_id: str) -> DeliveryOutcome:
        """Bring the delivery up to date; see :class:`DeliveryOutcome`."""
        lock = self.deliveries.lock(delivery_id)
        if not await lock.acquire():
            return DeliveryOutcome.BUSY
        try:
            delivery = await self.deliveries.get(delivery_id)
            if delivery is None or delivery.done:
                await self.deliveries.drop(delivery_id)
                return DeliveryOutcome.GONE
            search = await self.searches.get_search(delivery.request_id)
            if search is None:
                await self.deliveries.finish(delivery_id)
                return DeliveryOutcome.GONE
            work = asyncio.create_task(self._catch_up(delivery, search))
            heartbeat = Heartbeat(
                lock,
                self.deliveries.lease,
                lambda: self.deliveries.keep_open(delivery_id),
                work,
                {"delivery_id": delivery_id},
            )
            async with heartbeat:
                try:
                    finished = await work
                except asyncio.CancelledError:
                    if not heartbeat.lost:
                        raise
                    return DeliveryOutcome.BUSY
            if finished:
                await self.deliveries.finish(delivery_id)
                log.info(
                    "search delivered",
                    extra={"request_id": search.request_id, "delivery_id": delivery_id},
                )
                return DeliveryOutcome.FINISHED
            return DeliveryOutcome.UPDATED
        finally:
            with contextlib.suppress(LockError):  # lost: another run may hold it now
                await lock.release()

    async def _catch_up(self, delivery: Delivery, search: SearchRecord) -> bool:
        """:meth:`bring_up_to_date`, again while the search moved on meanwhile.

        A phase edit can take a second or more (Slack's 429s); the search may finish while it
        runs. Its completion's own job would find this run holding the lock and back off, so
        the run that holds the lock carries on to the newest state instead.
        """
        while True:
            finished = await self.bring_up_to_date(delivery, search)
            if finished:
                return True
            latest = await self.searches.get_search(search.request_id)
            fresh = await self.deliveries.get(delivery.delivery_id)
            if latest is None or fresh is None or latest.status is search.status:
                return False
            delivery, search = fresh, latest

    async def bring_up_to_date(self, delivery: Delivery, search: SearchRecord) -> bool:
        """Show the search's current state in Slack; True once the answer is complete."""
        where = {"request_id": search.request_id, "delivery_id": delivery.delivery_id}
        try:
            if not search.is_terminal:
                await self._show_phase(delivery, search)
                return False
            await self._finish(delivery, search)
            return True
        except SlackApiError as err:
            if error_code(err) not in UNREACHABLE:
                raise
            log.warning(
                "cannot deliver to this conversation any more (%s); giving up",
                error_code(err),
                extra={**where, "channel_id": delivery.channel_id},
            )
            return True

    async def _show_phase(self, delivery: Delivery, search: SearchRecord) -> None:
        # The command handler posts the parent showing "queued" before the delivery exists.
        shown = delivery.status_shown or SearchState.QUEUED.value
        if shown == search.status.value:
            return
        if not same_phase(shown, search.status):  # "pending" reads as "queued": no edit
            header = ParentHeader.of(search, delivery.user_id, shared_by=delivery.shared_by)
            await update_message(
                self.slack,
                delivery.channel_id,
                delivery.parent_ts,
                parent_progress(header, search.status),
            )
        await self.deliveries.record(delivery.delivery_id, status_shown=search.status.value)

    async def _finish(self, delivery: Delivery, search: SearchRecord) -> None:
        leads: list[Lead] = []
        if search.status is SearchState.COMPLETED:
            leads = await self.searches.get_results(search.request_id) or []
        plan, counts = None, None
        if leads:
            plan = await self._thread_plan(delivery, leads)
            counts = DeskCounts(
                new=plan.shown - len(plan.shared),
                shared_before=len(plan.shared),
                muted_hidden=plan.muted_authors,
            )
        shown = [position for group in plan.groups for position in group] if plan else []
        states = await self.desk.states(
            delivery.team_id, delivery.channel_id, [lead_key(leads[i]) for i in shown]
        )
        replies = thread_replies(
            search,
            leads,
            delivery.user_id,
            plan=plan,
            delivery_id=delivery.delivery_id,
            states=dict(zip(shown, states, strict=True)),
        )
        first = delivery.parts_posted
        if delivery.sending == first:  # a run died posting it: is it up?
            first = await self._find_sent(delivery, first)
        for index in range(first, len(replies)):
            await self.deliveries.sending_reply(delivery.delivery_id, index)
            ts = await post_message(
                self.slack,
                delivery.channel_id,
                replies[index],
                thread_ts=delivery.parent_ts,
                metadata=tag(PART_EVENT, delivery=delivery.delivery_id, part=index),
            )
            await self.deliveries.reply_posted(delivery.delivery_id, index, ts)
        header = ParentHeader.of(search, delivery.user_id, shared_by=delivery.shared_by)
        if delivery.watch_line is not None:
            header = dataclasses.replace(header, watch_line=delivery.watch_line)
            counts = None  # the watch's line already says what is new and what was seen
        # An assistant may have shared a few of the leads: the summary is of those alone.
        chosen = delivery.chosen(len(leads))
        summary = parent_summary(
            header,
            search,
            [leads[position] for position in chosen],
            reused=delivery.reused,
            desk=counts,
            export=delivery.delivery_id if plan is not None else None,
            chosen_from=None if delivery.only is None else len(leads),
        )
        await update_message(self.slack, delivery.channel_id, delivery.parent_ts, summary)
        await self.deliveries.record(delivery.delivery_id, status_shown=search.status.value)

    async def _thread_plan(self, delivery: Delivery, leads: list[Lead]) -> ThreadPlan:
        """The thread's plan: made and kept on the first run, reused by every later one."""
        kept = await self.deliveries.thread_plan(delivery.delivery_id)
        if kept is not None:
            return ThreadPlan.model_validate_json(kept)
        team, channel = delivery.team_id, delivery.channel_id
        shared = await self.desk.shared_before(team, channel, leads, delivery.parent_ts)
        states = await self.desk.states(team, channel, [lead_key(lead) for lead in leads])
        plan = plan_thread(
            leads,
            ref_prefix=delivery.delivery_id,
            shared=shared,
            muted=[state.muted for state in states],
            only=None if delivery.only is None else set(delivery.only),
        )
        plan.link = await self._permalink(delivery)
        plan = ThreadPlan.model_validate_json(
            await self.deliveries.keep_thread_plan(delivery.delivery_id, plan.model_dump_json())
        )
        shown = [leads[position] for group in plan.groups for position in group]
        await self.desk.record_shared(team, channel, shown, delivery.parent_ts, plan.link)
        return plan

    async def _find_sent(self, delivery: Delivery, index: int) -> int:
        """The first thread reply still to post, when a run died between sending reply
        ``index`` and recording it: ``index + 1`` if Slack has it (found by the metadata
        every reply carries, and recorded now), else ``index``.

        Slack has no idempotency key for a post, so this reads the thread
        (``conversations.replies``). If it cannot (the scope is missing, the call fails),
        the reply is posted again: a duplicate is better than a thread with a gap.
        """
        thread = functools.partial(
            self.slack.conversations_replies, channel=delivery.channel_id, ts=delivery.parent_ts
        )
        wanted = tag(PART_EVENT, delivery=delivery.delivery_id, part=index)
        ts = await find_tagged(thread, wanted, where={"delivery_id": delivery.delivery_id})
        if ts is None:
            return index
        await self.deliveries.reply_posted(delivery.delivery_id, index, ts)
        return index + 1

    async def _permalink(self, delivery: Delivery) -> str | None:
        """A link to the parent message, for "shared before" marks in later threads.

        Made in Slack's own shape for a channel message — the workspace's URL (asked of
        ``auth.test`` once per process: one token is one workspace), then
        ``archives/<channel>/p<ts without its dot>`` — rather than asked of
        ``chat.getPermalink`` for every answer: that was one more Slack call, and when rate
        limited a second or more, between a finished search and its thread. Asked of
        ``chat.getPermalink`` only when the workspace's URL is not known.
        """
        workspace = await self._workspace_url()
        if workspace is not None:
            return (
                f"{workspace}archives/{delivery.channel_id}/p{delivery.parent_ts.replace('.', '')}"
            )
        try:
            answer = await self.slack.chat_getPermalink(
                channel=delivery.channel_id, message_ts=delivery.parent_ts
            )
        except SlackApiError as err:  # best effort: the marks then have no link
            log.warning("no permalink for the parent (%s)", error_code(err))
            return None
        permalink = answer.get("permalink")
        return permalink if isinstance(permalink, str) else None

    async def _workspace_url(self) -> str | None:
        """``https://<workspace>.slack.com/`` as ``auth.test`` said it: asked until Slack
        answers, then kept ("" kept when the answer had none)."""
        if self._workspace is None:
            try:
                url = (await self.slack.auth_test()).get("url")
            except SlackApiError as err:
                log.warning("auth.test failed (%s): permalinks asked one by one", error_code(err))
                return None
            if isinstance(url, str) and url.startswith("https://"):
                self._workspace = url if url.endswith("/") else f"{url}/"
            else:
                self._workspace = ""
        return self._workspace or None
