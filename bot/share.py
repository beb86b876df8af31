"""Sharing a search from an AI assistant into a channel: the ``share_to_slack`` job.

The MCP server's ``share_to_slack`` tool queues this job on the core's job queue by name
(the fronts never import each other); a bot worker runs it. It posts the same parent,
thread and cards as ``/leads``, saying the search was shared from an assistant, and hands
the thread to a delivery like any other, so it is posted exactly once. Sharing the same
leads into the same channel again within a day answers with the first post, and posts
nothing twice.

The share key (``leads:share:<fingerprint>``) records each step right after it happens, so a
run that dies half-way (arq runs the job again) never posts a second parent:

1. **posting** — set only if the key is absent (``SET NX``) before the parent is posted: one
   run posts, and a run that finds it set does not post again;
2. **posted** — the parent's channel and ``ts``, right after posting: a resumed run hangs its
   delivery on that parent (once per share however often it runs) instead of posting;
3. the outcome (the parent's link), once its delivery is queued: what asking again answers.

A run that dies between Slack's answer to the post and recording its ``ts`` (a few
milliseconds; or the answer lost on the way) leaves **posting**: whether the parent is up
is unknown, so the next run posts nothing and says so. The mark lapses when the job's
answer does, and then sharing again posts again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis
from slack_sdk.errors import SlackApiError

from bot.deliveries import SlackRequest
from bot.messages import CANNOT_POST_HERE, error_code
from bot.views.parent import ParentHeader, parent_progress
from shared.state.records import SearchState

if TYPE_CHECKING:  # bot.jobs registers this job: imported only for its type
    from bot.jobs import BotServices

__all__ = ["IN_DOUBT", "SHARE_JOB", "SHARE_RESULT_SECONDS", "share_to_slack"]

log = logging.getLogger(__name__)

SHARE_JOB = "share_to_slack"
"""The job's name on the queue: the MCP server queues it by this name."""
SHARE_RESULT_SECONDS = 600
"""How long arq keeps the job's answer: asking again within it gets that answer as is."""
_SHARE_TTL = 24 * 3600
_POSTING_TTL = SHARE_RESULT_SECONDS
"""An interrupted post's mark lapses with the job's answer: only then does sharing again
post again (earlier, the same job ID gets the interrupted run's answer anyway)."""
_POSTING = "posting"
_POSTED = "posted"
IN_DOUBT = "share_interrupted"
"""The error when an earlier run stopped while posting: the post may be up, or not (the MCP
server's ``INTERRUPTED``: a test keeps them equal)."""


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
    redis = services.deliveries.redis
    chosen = sorted(set(positions)) if positions else None
    fingerprint = hashlib.sha256(
        json.dumps([request_id, channel.lower(), chosen]).encode()
    ).hexdigest()[:32]
    key = services.deliveries.keys.share(fingerprint)
    where = {"request_id": request_id}
    recorded = await _recorded(redis, key)
    if recorded.get("ok"):
        return {**recorded, "again": True}
    search = await searches.get_search(request_id)
    if search is None:
        return {"ok": False, "error": "unknown_search"}
    if not recorded:
        team = await slack.auth_test()
        if await redis.set(key, json.dumps({"stage": _POSTING}), nx=True, ex=_POSTING_TTL):
            header = ParentHeader(
                "", search.description, request_id, search.sandbox, shared_by=assistant or ""
            )
            try:
                answer = await slack.chat_postMessage(
                    channel=channel,
                    parse="none",
                    unfurl_links=False,
                    unfurl_media=False,
                    **parent_progress(header, SearchState.QUEUED).as_args(),
                )
            except SlackApiError as err:  # Slack answered: nothing was posted
                await redis.delete(key)
                code = error_code(err)
                if code not in CANNOT_POST_HERE:
                    raise
                log.info("cannot share into that channel (%s)", code, extra=where)
                return {"ok": False, "error": code}
            recorded = {
                "stage": _POSTED,
                "team_id": str(team.get("team_id") or ""),
                "channel_id": str(answer["channel"]),
                "message_ts": str(answer["ts"]),
            }
            await redis.set(key, json.dumps(recorded), ex=_SHARE_TTL)
        else:  # another run began meanwhile: go by what it recorded
            recorded = await _recorded(redis, key)
            if recorded.get("ok"):
                return {**recorded, "again": True}
    if recorded.get("stage") != _POSTED:
        log.warning("an earlier run stopped while posting this share", extra=where)
        return {"ok": False, "error": IN_DOUBT}
    channel_id, parent_ts = recorded["channel_id"], recorded["message_ts"]
    asker = SlackRequest(team_id=recorded["team_id"], channel_id=channel_id, user_id="")
    delivery = await services.deliveries.add(
        request_id,
        asker=asker,
        parent_ts=parent_ts,
        reused=True,
        shared_by=assistant or "",
        only=chosen,
        once=f"share-{fingerprint}",  # a resumed run hangs no second delivery on the parent
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
    await redis.set(key, json.dumps(outcome), ex=_SHARE_TTL)
    log.info("search shared from an assistant", extra={**where, "channel_id": channel_id})
    return {**outcome, "again": False}


async def _recorded(redis: Redis, key: str) -> dict[str, Any]:
    """What the share key holds: the outcome, a step (``stage``), or {} when nothing."""
    kept = await redis.get(key)
    if not kept:
        return {}
    found = json.loads(kept)
    return found if isinstance(found, dict) else {}
