"""Bringing a search's Slack answer up to date: :class:`SlackDeliverer`.

The job queue runs :meth:`SlackDeliverer.deliver` whenever the search changes, one run at
a time per delivery across every process (``shared.delivery.DeliveryRunner``). Each step is
recorded right after it happens, so a run that dies half-way resumes where it stopped:

1. while the search runs, the parent message shows its phase (an edit only when the phase
   shown differs from the search's);
2. once it is over, the thread replies are posted, each recorded as posted at once, so a
   resumed run starts after the last one that is up;
3. the parent becomes the summary, and the delivery is complete.

Slack's 429s are retried inside each call (slack_sdk retry handlers); anything else that
fails raises, and the job queue retries the delivery later from the recorded step. A
conversation the bot can no longer reach (removed from the channel, parent deleted) ends
the delivery with a warning instead of retrying forever.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import error_code, post_message, update_message
from bot.views.parent import ParentHeader, parent_progress, parent_summary, same_phase
from bot.views.thread import thread_replies
from shared.delivery import DeliveryProgress
from shared.state.records import Delivery, SearchRecord, SearchState

__all__ = ["UNREACHABLE", "SlackDeliverer"]

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


class SlackDeliverer:
    """Implements ``shared.delivery.Deliverer`` with the bot's Slack client."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def deliver(
        self, delivery: Delivery, search: SearchRecord, progress: DeliveryProgress
    ) -> bool:
        """Show the search's current state; True once the answer is complete."""
        where = {"request_id": search.request_id, "delivery_id": delivery.delivery_id}
        if delivery.origin.parent_ts is None:
            log.warning("delivery without a parent message: nothing to update", extra=where)
            return True
        try:
            if not search.is_terminal:
                await self._show_phase(delivery, search, progress)
                return False
            await self._finish(delivery, search, progress)
            return True
        except SlackApiError as err:
            if error_code(err) not in UNREACHABLE:
                raise
            log.warning(
                "cannot deliver to this conversation any more (%s); giving up",
                error_code(err),
                extra={**where, "channel_id": delivery.origin.channel_id},
            )
            return True

    async def _show_phase(
        self, delivery: Delivery, search: SearchRecord, progress: DeliveryProgress
    ) -> None:
        # The command handler posts the parent showing "queued" before the delivery exists.
        shown = progress.delivery.status_shown or SearchState.QUEUED.value
        if shown == search.status.value:
            return
        if same_phase(shown, search.status):  # "pending" reads as "queued": no edit needed
            await progress.status_shown(search.status.value)
            return
        origin = delivery.origin
        assert origin.parent_ts is not None
        header = ParentHeader.of(search, origin.user_id)
        await update_message(
            self.client, origin.channel_id, origin.parent_ts, parent_progress(header, search.status)
        )
        await progress.status_shown(search.status.value)

    async def _finish(
        self, delivery: Delivery, search: SearchRecord, progress: DeliveryProgress
    ) -> None:
        origin = delivery.origin
        assert origin.parent_ts is not None
        leads = await progress.results() if search.status is SearchState.COMPLETED else []
        replies = thread_replies(search, leads, origin.user_id)
        for index in range(progress.parts_posted, len(replies)):
            await post_message(
                self.client, origin.channel_id, replies[index], thread_ts=origin.parent_ts
            )
            await progress.part_posted(index + 1)
        # A search found for another request earlier and reused for this one was paid once.
        reused = search.origin != origin
        summary = parent_summary(
            ParentHeader.of(search, origin.user_id), search, leads, reused=reused
        )
        await update_message(self.client, origin.channel_id, origin.parent_ts, summary)
        await progress.status_shown(search.status.value)
