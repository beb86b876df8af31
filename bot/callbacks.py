"""``POST /callbacks/nyne/<token>``: the Person Leads API telling us a search is done.

The API retries a callback (up to 5 times) until it gets a 2xx, may send it again after a
2xx, and it may race the sweep's poll or land on another replica: the shared service makes
all of that complete the search exactly once. Here the request is only checked and
persisted — the Slack delivery runs in the background — so the answer is quick:

====================================  ======
unknown token                         404 (before the body is read)
body over 1 MiB                       413
body not a valid callback             400
``request_id`` not the token's        409
the search is recorded (or already)   200
Redis away or slow (2.5 s), or a bug  503 (the API retries later)
====================================  ======

The token is checked first, so a sender without one costs a Redis lookup, not a body read
(aiohttp discards what it sent without buffering it). No answer carries a traceback or
says more than the outcome.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from redis.exceptions import RedisError

from bot._bodies import BodyTooLarge, read_at_most
from bot.context import BOT
from shared.service import CallbackOutcome

__all__ = ["MAX_CALLBACK_BYTES", "handle_nyne_callback"]

log = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 1024 * 1024
"""Largest callback body accepted (25 leads with long posts are ~100 KB)."""

REDIS_BUDGET = 2.5
"""Seconds each Redis step of a callback may take before it is answered 503.

Other work rides out a Redis blip for ~30 s; a callback should not: the API waits 30 s for
an answer (the sandbox less, at speed) and then retries on its own schedule, so a quick 503
costs nothing, while an answer after the sender gave up is lost on a closed connection."""

_STATUS = {
    CallbackOutcome.ACCEPTED: 200,
    CallbackOutcome.DUPLICATE: 200,
    CallbackOutcome.INVALID_BODY: 400,
    CallbackOutcome.UNKNOWN_TOKEN: 404,
    CallbackOutcome.MISMATCHED_REQUEST: 409,
}


def _answer(status: int, outcome: str) -> web.Response:
    return web.json_response({"ok": 200 <= status < 300, "outcome": outcome}, status=status)


_PATH_LOGGED_MAX = 200


def _unknown_token(request: web.Request) -> web.Response:
    # The path says what was tried (a stale deployment's URL, a probe). It is the sender's
    # text, URL-decoded: the log formatter escapes its controls; here it is only clipped.
    log.warning(
        "callback with an unknown token refused",
        extra={"path": request.path[:_PATH_LOGGED_MAX]},
    )
    return _answer(404, "unknown_token")


def _unavailable(err: Exception) -> web.Response:
    """503 for a failure of ours, logged with its traceback; the API retries later."""
    if isinstance(err, TimeoutError):  # a Redis blip: expected, and the API retries
        log.warning("callback not recorded: Redis too slow (the API will retry)")
        return _answer(503, "unavailable")
    why = "Redis failed" if isinstance(err, RedisError | OSError) else "unexpected error"
    log.error("callback not recorded: %s (the API will retry)", why, exc_info=err)
    return _answer(503, "unavailable")


async def handle_nyne_callback(request: web.Request) -> web.Response:
    """Check and persist one callback; see the module doc for the answers."""
    runtime = request.app[BOT].runtime
    token = request.match_info["token"]
    try:
        # The token first: only a sender that holds one gets its body read.
        async with asyncio.timeout(REDIS_BUDGET):
            request_id = await runtime.service.resolve_callback_token(token)
    except Exception as err:  # the request's boundary: any failure is a 503, logged
        return _unavailable(err)
    if request_id is None:
        return _unknown_token(request)
    try:
        body = await read_at_most(request, MAX_CALLBACK_BYTES)
    except BodyTooLarge:
        log.warning("callback body over %d bytes refused", MAX_CALLBACK_BYTES)
        return _answer(413, "too_large")
    try:
        async with asyncio.timeout(REDIS_BUDGET):
            outcome = await runtime.service.accept_callback(request_id, body)
    except Exception as err:  # the request's boundary: any failure is a 503, logged
        return _unavailable(err)
    if outcome is CallbackOutcome.UNKNOWN_TOKEN:  # its search expired from Redis meanwhile
        return _unknown_token(request)
    return _answer(_STATUS[outcome], outcome.name.lower())
