"""Starting a search from ``/leads <description>``, after Slack has had its ack.

The order matters: check the database (nothing is posted if it is down), post the visible
parent message (if the bot cannot post here, the person is told how to invite it and the
API is never called), submit, then record the delivery — where the parent is — and queue
its first run; from then on the core's change events keep it up to date. If the submission
fails, the parent says why and who can fix it; if a shutdown cuts it short (the rate
limiter can hold it for up to 90 s, shutdown waits 10), the parent says the search did not
start, rather than keep promising it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.context import BotContext
from bot.deliveries import SlackRequest
from bot.messages import (
    CANNOT_POST_HERE,
    error_code,
    post_message,
    respond_ephemeral,
    update_message,
)
from bot.views import notices
from bot.views.parent import ParentHeader, parent_not_started, parent_progress, parent_waiting
from shared.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    RateLimitError,
)
from shared.state.records import SearchState

__all__ = ["start_search"]

log = logging.getLogger(__name__)

# Waits shorter than this pass without a word on the parent message.
_MENTION_WAIT_AFTER = 1.0
# How long a shutdown lets us tell the person their search did not start (less than
# bot.context.CANCEL_GRACE).
_INTERRUPTED_NOTICE_SECONDS = 3.0


async def start_search(
    bot: BotContext,
    client: AsyncWebClient,
    respond: AsyncRespond,
    asker: SlackRequest,
    description: str,
) -> None:
    """Post the parent message and submit the search (``description`` is valid, decoded)."""
    where = {"channel_id": asker.channel_id, "user_id": asker.user_id}
    if not await bot.runtime.connections.ping():
        log.error("Redis is unreachable: /leads refused", extra=where)
        await respond_ephemeral(respond, notices.database_down())
        return
    header = ParentHeader(asker.user_id, description, sandbox=bot.runtime.endpoint.sandbox)
    try:
        parent_ts = await post_message(
            client, asker.channel_id, parent_progress(header, SearchState.QUEUED)
        )
    except SlackApiError as err:
        if error_code(err) not in CANNOT_POST_HERE:
            raise
        log.info("cannot post here (%s): told the user", error_code(err), extra=where)
        await respond_ephemeral(respond, notices.not_in_channel())
        return
    try:
        reason = await _submit(bot, client, asker, parent_ts, header, description)
    except asyncio.CancelledError:
        # The shutdown stopped waiting for us (bot.context.BotContext.drain), most likely
        # in the rate limiter: no delivery was recorded, so nothing would ever answer this
        # parent. Say so, then stop. (Were it cut short after recording one, that delivery
        # would still replace this message with the results.)
        log.warning("search not started: Leads stopped while submitting it", extra=where)
        await _say_interrupted(client, asker.channel_id, parent_ts, header)
        raise
    if reason is not None:
        await update_message(
            client, asker.channel_id, parent_ts, parent_not_started(header, reason)
        )


async def _say_interrupted(
    client: AsyncWebClient, channel_id: str, parent_ts: str, header: ParentHeader
) -> None:
    """Best effort, briefly: the parent says the search did not start and to run it again."""
    message = parent_not_started(header, notices.interrupted_by_restart())
    try:
        async with asyncio.timeout(_INTERRUPTED_NOTICE_SECONDS):
            await update_message(client, channel_id, parent_ts, message)
    except Exception:  # shutting down: whatever failed, the shutdown goes on
        log.warning(
            "could not tell the user the search did not start",
            exc_info=True,
            extra={"channel_id": channel_id},
        )


async def _submit(
    bot: BotContext,
    client: AsyncWebClient,
    asker: SlackRequest,
    parent_ts: str,
    header: ParentHeader,
    description: str,
) -> str | None:
    """Submit; None when the search is on its way, else why it did not start (mrkdwn)."""
    channel_id = asker.channel_id
    where = {"channel_id": channel_id, "user_id": asker.user_id}
    told_waiting = False

    async def on_wait(seconds: float) -> None:
        # The shared budget makes us wait for a slot: say when the search will run.
        nonlocal told_waiting
        if told_waiting or seconds < _MENTION_WAIT_AFTER:
            return
        told_waiting = True
        starts_at = datetime.now(UTC) + timedelta(seconds=seconds)
        try:
            await update_message(client, channel_id, parent_ts, parent_waiting(header, starts_at))
        except SlackApiError as err:
            log.warning("could not show the rate-limit wait (%s)", error_code(err), extra=where)

    try:
        result = await bot.runtime.service.submit(description, asker.origin, on_wait=on_wait)
        delivery = await bot.services.deliveries.add(
            result.search.request_id, asker=asker, parent_ts=parent_ts, reused=result.reused
        )
        if delivery is not None:  # None: the search expired from Redis in between
            await bot.services.enqueue(delivery.delivery_id, "new")
    except RateLimitError as err:
        retry_after = float(err.retry_after or 60)
        log.warning("rate limited: search not started (retry in %.0f s)", retry_after, extra=where)
        retry_at = datetime.now(UTC) + timedelta(seconds=retry_after)
        return notices.budget_exhausted(retry_at, retry_after)
    except AuthenticationError:
        log.error(
            "the Person Leads API refused our credentials: check NYNE_API_KEY and NYNE_API_SECRET",
            extra=where,
        )
        return notices.credentials_refused()
    except BadRequestError as err:
        log.warning("the API refused the search (%s)", err.code, extra=where)
        return notices.api_refused(err.code)
    except InternalServerError:
        # Not retried: a POST answered 500 may have created the search (and a retry a second,
        # billed one). The person decides whether to run it again.
        log.warning("search not started: the API answered 500", extra=where)
        return notices.api_failed()
    except APIError as err:
        log.warning("search not started: %s", type(err).__name__, extra=where)
        return notices.api_unavailable()
    except (RedisError, OSError):
        log.exception("search not started: Redis failed", extra=where)
        return notices.database_down_reason()
    except Exception:
        log.exception("search not started: unexpected error", extra=where)
        return notices.unexpected_reason()
    log.info(
        "search started from Slack",
        extra={**where, "request_id": result.search.request_id, "reused": result.reused},
    )
    return None
