"""Forged and replayed desk clicks, as one table (issue 14).

A Claim click on a delivered card, sent into the real Bolt app over HTTP. Each refused row
says what the sender sees (401) and checks that nothing reached Slack and the desk
(``leads:desk:*`` in Redis) is exactly as it was. The replay row sends one valid click's
exact bytes twice, as a captured request or a retry would: one claimer, one card update.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis

from bot.context import BOT
from sandbox.slack import sign
from shared._awaitable import settle
from tests.bot.support import SIGNING_SECRET, USER, BotUnderTest, message_text
from tests.bot.test_desk import card_text, current, delivered_thread, updates_of
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
REFUSED = {"error": "invalid request"}

Headers = Callable[[bytes], dict[str, str]]


@dataclass(frozen=True)
class Row:
    headers: Headers
    """The headers sent with the click's body."""


ROWS = {
    "unsigned": Row(lambda body: dict(FORM)),
    "signed with a wrong secret": Row(lambda body: {**FORM, **sign("not-the-secret", body)}),
    "signed 6 minutes ago": Row(
        lambda body: {**FORM, **sign(SIGNING_SECRET, body, int(time.time()) - 6 * 60)}
    ),
}


async def desk_state(redis: aioredis.Redis) -> dict[str, dict[str, str]]:
    """Every ``leads:desk:*`` hash (each lead's state, each person's claims), by key."""
    keys = sorted([key async for key in redis.scan_iter(match="leads:desk:*")])
    return {key: await settle(redis.hgetall(key)) for key in keys}


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
async def test_a_forged_or_stale_click_is_refused_and_changes_nothing(
    bot: BotUnderTest, redis_url: str, row: Row
) -> None:
    _, replies = await delivered_thread(bot, redis_url)
    redis = bot.runtime.connections.redis
    before = await desk_state(redis)
    assert before  # the delivery recorded "shared before": there is state to corrupt
    since = bot.sandbox.slack.last_seq

    body = bot.click_body(replies[0], "lead_claim", containing="|0", user=USER)
    response = await bot.http.post(
        f"{bot.url}/slack/events", content=body, headers=row.headers(body)
    )

    assert response.status_code == 401  # refused before any listener ran
    assert response.json() == REFUSED
    assert bot.sandbox.slack.events.events_since(since) == []  # no Slack call at all
    assert await desk_state(redis) == before
    assert "Claimed by" not in card_text(current(bot, replies[0]), 0)


async def test_the_same_valid_click_sent_twice_claims_once_and_updates_the_card_once(
    bot: BotUnderTest, redis_url: str
) -> None:
    _, replies = await delivered_thread(bot, redis_url)
    reply = replies[0]
    redis = bot.runtime.connections.redis
    since = bot.sandbox.slack.last_seq

    body = bot.click_body(reply, "lead_claim", containing="|0", user=USER)
    headers = {**FORM, **sign(SIGNING_SECRET, body)}
    first = await bot.http.post(f"{bot.url}/slack/events", content=body, headers=headers)
    again = await bot.http.post(f"{bot.url}/slack/events", content=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)  # Slack sees no error

    # Both have been acked; wait for all the work they started to end, then count.
    await bot.sandbox.slack.wait_for(
        lambda e: e.ts == reply.ts and "Claimed by <@U0ALICE>" in message_text(e.payload),
        kind="message_updated",
        since=since,
        timeout=10,
    )
    assert bot.app is not None
    in_flight = bot.app[BOT].in_flight
    await wait_until(lambda: not in_flight, message="the clicks' work to end")
    assert len(updates_of(bot.sandbox, reply.ts, since)) == 1
    assert bot.sandbox.slack.events.events_since(since, "response_url_posted") == []
    assert "Claimed by <@U0ALICE>" in card_text(current(bot, reply), 0)

    desk = await desk_state(redis)
    claimers = [state["claimed_by"] for state in desk.values() if "claimed_by" in state]
    assert claimers == [USER]  # one claimer
    claims = [state for key, state in desk.items() if key.startswith("leads:desk:claims:")]
    assert [len(state) for state in claims] == [1]  # one entry in Alice's App Home
