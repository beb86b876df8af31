"""The App Home tab: a signed ``app_home_opened`` event into the real app, ``views.publish``
checked by the Slack stand-in (a home surface: 100 blocks at most), and Release from it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.context import BOT
from bot.desk import Claim
from sandbox.slack import Event, sign
from tests.bot.support import (
    CHANNEL,
    DESCRIPTION,
    SIGNING_SECRET,
    USER,
    BotUnderTest,
    latest_request_id,
    message_text,
)

pytestmark = pytest.mark.integration


async def open_home(bot: BotUnderTest, user: str = USER) -> dict[str, Any]:
    """``user`` opens the bot's Home tab; the view the bot published for them."""
    state = bot.sandbox.slack
    since = state.last_seq
    payload = {
        "type": "event_callback",
        "team_id": state.team_id,
        "api_app_id": "A0LEADSAPP",
        "event": {
            "type": "app_home_opened",
            "user": user,
            "channel": "D0LEADSBOT",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        },
        "event_id": f"Ev{int(time.time() * 1000)}",
        "event_time": int(time.time()),
    }
    body = json.dumps(payload).encode()
    headers = {**sign(SIGNING_SECRET, body), "Content-Type": "application/json"}
    response = await bot.http.post(f"{bot.url}/slack/events", content=body, headers=headers)
    assert response.status_code == 200
    event = await state.wait_for(
        lambda e: e.user == user, kind="home_published", since=since, timeout=10
    )
    view: dict[str, Any] = event.payload["view"]
    return view


async def click_in_home(
    bot: BotUnderTest, view: dict[str, Any], value: str, *, team: str | None = None
) -> None:
    """Release clicked in the Home tab, as Slack sends it: a view container, no channel.

    ``team``: the workspace the click comes from (the stand-in's by default).
    """
    state = bot.sandbox.slack
    team_id = team or state.team_id
    (element,) = [
        block["accessory"]
        for block in view["blocks"]
        if (block.get("accessory") or {}).get("value") == value
    ]
    payload = {
        "type": "block_actions",
        "user": {"id": USER, "username": "alice", "team_id": team_id},
        "api_app_id": "A0LEADSAPP",
        "container": {"type": "view", "view_id": view.get("id", "V1")},
        "trigger_id": "1.2.abc",
        "team": {"id": team_id, "domain": "leads-sandbox"},
        "view": view,
        "actions": [
            {
                "type": "button",
                "block_id": "b1",
                "action_id": element["action_id"],
                "value": value,
                "text": element["text"],
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    body = urlencode([("payload", json.dumps(payload))]).encode()
    headers = {**sign(SIGNING_SECRET, body), "Content-Type": "application/x-www-form-urlencoded"}
    response = await bot.http.post(f"{bot.url}/slack/events", content=body, headers=headers)
    assert response.status_code == 200


async def test_the_home_lists_my_claims_searches_and_channels_and_releases_from_there(
    bot: BotUnderTest, redis_url: str
) -> None:
    since, parent = await bot.search(DESCRIPTION)
    replies = await bot.delivered(parent.ts, since, redis_url)
    reply_ts = replies[0].ts

    def shows_claims(count: int) -> Callable[[Event], bool]:
        return lambda e: e.ts == reply_ts and message_text(e.payload).count("Claimed by") == count

    for claimed in (1, 2):
        since = bot.sandbox.slack.last_seq
        reply = bot.sandbox.slack.message(CHANNEL, reply_ts)
        assert reply is not None
        await bot.click(reply, "lead_claim", containing=f"|{claimed - 1}")
        await bot.sandbox.slack.wait_for(
            shows_claims(claimed), kind="message_updated", since=since, timeout=10
        )

    view = await open_home(bot)
    text = message_text(view)
    assert "*Leads you claimed* (2)" in text
    releases = [b["accessory"]["value"] for b in view["blocks"] if "accessory" in b]
    assert len(releases) == 2
    assert "CTOs at fintech companies discussing cloud migration" in text  # my search
    assert f"<#{CHANNEL}>" in text  # where I use Leads
    permalink = bot.sandbox.slack.permalink(CHANNEL, bot.parent(parent.ts))
    assert permalink in text  # each claim links to its thread

    # Release the first from the Home tab: the card in the channel and the home both update.
    since = bot.sandbox.slack.last_seq
    first = next(v for v in releases if v.endswith("|0"))
    await click_in_home(bot, view, first)
    await bot.sandbox.slack.wait_for(
        shows_claims(1), kind="message_updated", since=since, timeout=10
    )
    republished = await bot.sandbox.slack.wait_for(
        lambda e: e.user == USER, kind="home_published", since=since, timeout=10
    )
    assert "*Leads you claimed* (1)" in message_text(republished.payload["view"])


async def test_the_home_stays_within_100_blocks_with_many_claims(
    bot: BotUnderTest, redis_url: str
) -> None:
    since, parent = await bot.search(DESCRIPTION)
    await bot.delivered(parent.ts, since, redis_url)
    assert bot.app is not None
    desk = bot.app[BOT].services.desk
    deliveries = bot.app[BOT].services.deliveries
    (delivery_id,) = await deliveries.ids_of((await bot.runtime.store.recent(1))[0].request_id)
    team = bot.sandbox.slack.team_id
    for n in range(120):  # more claims than a home view has blocks
        claim = Claim(CHANNEL, f"key{n}", delivery_id, n % 25, f"Person {n}", time.time() + n)
        assert await desk.claim(team, USER, claim) is None

    view = await open_home(bot)  # the stand-in refuses a home view over 100 blocks
    assert len(view["blocks"]) <= 100
    text = message_text(view)
    assert "*Leads you claimed* (120)" in text
    assert "…and 80 more" in text
    assert "Person 119" in text  # newest first


async def claim_first_card(bot: BotUnderTest, redis_url: str) -> tuple[str, str]:
    """Alice claims the first lead of a delivered search: (its parent's ts, its reply's ts)."""
    since, parent = await bot.search(DESCRIPTION)
    replies = await bot.delivered(parent.ts, since, redis_url)
    since = bot.sandbox.slack.last_seq
    await bot.click(replies[0], "lead_claim", containing="|0")
    await bot.sandbox.slack.wait_for(
        lambda e: e.ts == replies[0].ts and "Claimed by" in message_text(e.payload),
        kind="message_updated",
        since=since,
        timeout=10,
    )
    return parent.ts, replies[0].ts


async def test_a_claim_outlives_its_search_and_is_released_from_the_home(
    bot: BotUnderTest, redis_url: str
) -> None:
    parent_ts, reply_ts = await claim_first_card(bot, redis_url)
    request_id = await latest_request_id(redis_url)
    # A week later the search has expired, with everything kept for its thread (results,
    # delivery, thread plan, replies); the claim is kept for 90 days.
    redis = bot.runtime.connections.redis
    gone = [key async for key in redis.scan_iter(match=f"*{request_id}*")]
    assert gone
    await redis.delete(*gone)

    view = await open_home(bot)
    text = message_text(view)
    assert "*Leads you claimed* (1)" in text
    permalink = bot.sandbox.slack.permalink(CHANNEL, bot.parent(parent_ts))
    assert f"<{permalink}|thread>" in text  # the link is still there: the claim kept it
    (ref,) = [b["accessory"]["value"] for b in view["blocks"] if "accessory" in b]
    desk = bot.app[BOT].services.desk if bot.app is not None else None
    assert desk is not None
    team = bot.sandbox.slack.team_id
    (claim,) = await desk.claims_of(team, USER)

    since = bot.sandbox.slack.last_seq
    await click_in_home(bot, view, ref)
    republished = await bot.sandbox.slack.wait_for(
        lambda e: e.user == USER, kind="home_published", since=since, timeout=10
    )
    home = message_text(republished.payload["view"])
    assert "*Leads you claimed* (0)" in home  # released, not "results are no longer kept"
    assert "Released. Its search's results have expired" in home
    assert "no longer kept" not in home
    assert await desk.claims_of(team, USER) == []
    (state,) = await desk.states(team, CHANNEL, [claim.lead_key])
    assert state.claimed_by is None
    # The card's message can't be re-rendered without its data: it was left alone.
    assert [e for e in bot.sandbox.slack.events.events_since(since, "message_updated")] == []
    assert bot.sandbox.slack.message(CHANNEL, reply_ts) is not None


async def test_a_home_release_from_another_workspace_is_refused(
    bot: BotUnderTest, redis_url: str
) -> None:
    await claim_first_card(bot, redis_url)
    view = await open_home(bot)
    (ref,) = [b["accessory"]["value"] for b in view["blocks"] if "accessory" in b]

    since = bot.sandbox.slack.last_seq
    await click_in_home(bot, view, ref, team="T0ELSEWHERE")
    republished = await bot.sandbox.slack.wait_for(
        lambda e: e.user == USER, kind="home_published", since=since, timeout=10
    )
    home = message_text(republished.payload["view"])
    assert "You can't change this lead from here" in home
    assert "no longer kept" not in home
    desk = bot.app[BOT].services.desk if bot.app is not None else None
    assert desk is not None
    (claim,) = await desk.claims_of(bot.sandbox.slack.team_id, USER)  # still Alice's
    assert claim.position == 0
