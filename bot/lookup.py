"""``/leads status <request ID>``: look a search up and tell the person who asked."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncRespond

from bot.context import BotContext
from bot.deliveries import SlackRequest
from bot.messages import respond_ephemeral
from bot.views import status
from bot.views.blocks import SlackMessage
from shared.errors import APIError, InvalidRequestIdError, LookupLimitError, NotFoundError
from shared.state.records import SearchState

__all__ = ["show_status"]

log = logging.getLogger(__name__)


async def show_status(
    bot: BotContext, respond: AsyncRespond, asker: SlackRequest, request_id: str
) -> None:
    """Answer ephemerally with the search's state (asking the API only if Redis lacks it)."""
    await respond_ephemeral(respond, await _status_of(bot, asker, request_id))


async def _status_of(bot: BotContext, asker: SlackRequest, request_id: str) -> SlackMessage:
    service = bot.runtime.service
    try:
        # Each person has their own allowance of lookups that must ask the API.
        caller = f"slack:{asker.team_id}:{asker.user_id}"
        record = await service.lookup(request_id, asker.origin, caller=caller)
        leads = (
            await service.results(record.request_id)
            if record.status is SearchState.COMPLETED
            else []
        )
    except InvalidRequestIdError:
        return status.status_invalid_id()
    except NotFoundError:
        return status.status_unknown()
    except LookupLimitError as err:
        return status.status_too_many_lookups(err.retry_after)
    except (APIError, RedisError, OSError) as err:
        log.warning(
            "status lookup failed: %s", type(err).__name__, extra={"user_id": asker.user_id}
        )
        return status.status_unavailable()
    return status.status_message(record, leads)
