"""**Export CSV** under a search's summary: the thread's leads, as a file in the thread.

The thread's leads are those posted to it: every lead of the search, or only the ones an
assistant chose to share (``Delivery.only``), muted authors' among them marked as such.

The click is acked at once; the file is then built from what Redis holds (the results, the
thread's plan, the desk's state now) and uploaded into the thread with Slack's v2 upload
(``files.getUploadURLExternal`` + ``files.completeUploadExternal``, through slack_sdk's
``files_upload_v2``). One export per thread at a time: a second click waits for the first
and then gives the file again, as it is then.
"""

from __future__ import annotations

import logging

from redis.exceptions import LockError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.context import BotContext
from bot.delivery import UNREACHABLE
from bot.desk import lead_key
from bot.messages import error_code
from bot.triage import CardClick, Say, out_of_reach
from bot.views.export import thread_csv
from bot.views.formatting import plural
from bot.views.notices import click_notice
from bot.views.text import mention
from bot.views.thread import ThreadPlan

__all__ = ["export_thread"]

log = logging.getLogger(__name__)

_EXPORT_LOCK_SECONDS = 60.0


async def export_thread(
    bot: BotContext, client: AsyncWebClient, click: CardClick, say: Say
) -> None:
    """Upload the thread of the delivery ``click.value`` as a CSV file into that thread."""
    deliveries = bot.services.deliveries
    delivery = await deliveries.get(click.value)
    if delivery is None:
        await say(click_notice("expired"))
        return
    if out_of_reach(delivery, click.team_id, click.channel_id):
        await say(click_notice("no_access"))
        return
    leads = await bot.runtime.store.get_results(delivery.request_id)
    kept = await deliveries.thread_plan(delivery.delivery_id)
    if not leads or kept is None:
        await say(click_notice("expired"))
        return
    plan = ThreadPlan.model_validate_json(kept)
    lock = bot.runtime.connections.redis.lock(
        deliveries.keys.export_lock(delivery.delivery_id),
        timeout=_EXPORT_LOCK_SECONDS,
        blocking_timeout=_EXPORT_LOCK_SECONDS,
    )
    where = {"request_id": delivery.request_id, "user_id": click.user_id}
    try:
        async with lock:
            # The thread's leads: the few an assistant chose, or all (muted ones included).
            chosen = delivery.chosen(len(leads))
            states = await bot.services.desk.states(
                delivery.team_id, delivery.channel_id, [lead_key(leads[i]) for i in chosen]
            )
            shown = {position for group in plan.groups for position in group}
            data = thread_csv(
                leads, dict(zip(chosen, states, strict=True)), plan.shared, shown, chosen
            )
            await client.files_upload_v2(
                channel=delivery.channel_id,
                thread_ts=delivery.parent_ts,
                content=data,
                filename=f"leads-{delivery.request_id[:12]}.csv",
                title="Leads (CSV)",
                initial_comment=f"{mention(click.user_id)} exported this thread's "
                f"{plural(len(chosen), 'lead')}.",
            )
    except SlackApiError as err:
        if error_code(err) not in UNREACHABLE | {"not_in_channel"}:
            raise
        log.warning("cannot upload the export here (%s)", error_code(err), extra=where)
        await say(click_notice("cannot_upload"))
        return
    except LockError:
        log.warning("an export of this thread is still running", extra=where)
        await say(click_notice("busy"))
        return
    log.info("thread exported as CSV", extra=where)
