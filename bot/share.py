"""Sharing a search from an AI assistant into a channel: the ``share_to_slack`` job.

The MCP server's ``share_to_slack`` tool queues this job on the core's job queue by name
(the fronts never import each other); a bot worker runs it. It posts the same parent,
thread and cards as ``/leads``, saying the search was shared from an assistant, and hands
the thread to a delivery like any other, so it is posted exactly once. Sharing the same
leads into the same channel again within a day answers with the first post, and posts
nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.deliveries import SlackRequest
from bot.messages import CANNOT_POST_HERE, error_code
from bot.views.parent import ParentHeader, parent_progress
from shared.state.records import SearchState

if TYPE_CHECKING:  # bot.jobs registers this job: imported only for its type
    from bot.jobs import BotServices

__all__ = ["SHARE_JOB", "share_to_slack"]

log = logging.getLogger(__name__)

SHARE_JOB = "share_to_slack"
"""The job's name on the queue: the MCP server queues it by this name."""
_SHARE_TTL = 24 * 3600


async def share_to_slack(
    ctx: dict[str, Any],
    request_id: str,
    channel: str,
    positions: list[int] | None,
    assistant: str | None,
) -> dict[str, Any]:
    """arq job: post the search ``request_id`` (or its leads at ``positions``) in ``channel``
    (an ID or ``#name``). Returns ``{"ok": True, "channel_id", "message_ts", "permalink",
    "again"}`` or ``{"ok": False, "error": <Slack's error code or ours>}``."""
    services: BotServices = ctx["services"]
    searches = services.deliverer.searches
    slack = services.deliverer.slack
    chosen = sorted(set(positions)) if positions else None
    fingerprint = hashlib.sha256(
        json.dumps([request_id, channel.lower(), chosen]).encode()
    ).hexdigest()[:32]
    key = services.deliveries.keys.share(fingerprint)
    earlier = await services.deliveries.redis.get(key)
    if earlier:
        return {**json.loads(earlier), "again": True}
    search = await searches.get_search(request_id)
    if search is None:
        return {"ok": False, "error": "unknown_search"}
    where = {"request_id": request_id}
    header = ParentHeader(
        "", search.description, request_id, search.sandbox, shared_by=assistant or ""
    )
    try:
        team = await slack.auth_test()
        answer = await slack.chat_postMessage(
            channel=channel,
            parse="none",
            unfurl_links=False,
            unfurl_media=False,
            **parent_progress(header, SearchState.QUEUED).as_args(),
        )
    except SlackApiError as err:
        code = error_code(err)
        if code not in CANNOT_POST_HERE:
            raise
        log.info("cannot share into that channel (%s)", code, extra=where)
        return {"ok": False, "error": code}
    channel_id, parent_ts = str(answer["channel"]), str(answer["ts"])
    asker = SlackRequest(team_id=str(team.get("team_id") or ""), channel_id=channel_id, user_id="")
    delivery = await services.deliveries.add(
        request_id,
        asker=asker,
        parent_ts=parent_ts,
        reused=True,
        shared_by=assistant or "",
        only=chosen,
    )
    if delivery is None:
        return {"ok": False, "error": "unknown_search"}
    await services.enqueue(delivery.delivery_id, "new")
    permalink = None
    try:
        permalink = (await slack.chat_getPermalink(channel=channel_id, message_ts=parent_ts)).get(
            "permalink"
        )
    except SlackApiError as err:
        log.warning("no permalink for the shared post (%s)", error_code(err), extra=where)
    outcome = {
        "ok": True,
        "channel_id": channel_id,
        "message_ts": parent_ts,
        "permalink": permalink,
    }
    await services.deliveries.redis.set(key, json.dumps(outcome), ex=_SHARE_TTL)
    log.info("search shared from an assistant", extra={**where, "channel_id": channel_id})
    return {**outcome, "again": False}
