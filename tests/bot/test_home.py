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


async def click_in_home(bot: BotUnderTest, view: dict[str, Any], value: str) -> None:
    """Release clicked in the Home tab, as Slack sends it: a view container, no channel."""
    state = bot.sandbox.slack
    (element,) = [
        block["accessory"]
        for block in view["blocks"]
        if (block.get("accessory") or {}).get("value") == value
    ]
    payload = {
        "type": "block_actions",
        "user": {"id": USER, "username": "alice", "team_id": state.team_id},
        "api_app_id": "A0LEADSAPP",
        "container": {"type": "view", "view_id": view.get("id", "V1")},
        "trigger_id": "1.2.abc",
        "team": {"id": state.team_id, "domain": "leads-sandbox"},
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
