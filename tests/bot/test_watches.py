"""Watches in Slack, end to end: signed slash commands and clicks into the real Bolt app,
a real redis-server, the sandbox API, and the Slack stand-in validating every payload."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bot.desk import DeskStore, lead_key
from bot.views.watches import WATCH_DELETE, WATCH_PAUSE, WATCH_RUN_NOW
from sandbox.embedded import RunningSandbox
from sandbox.slack import Event, Message
from shared.state.records import Origin
from tests.bot.support import (
    CHANNEL,
    DESCRIPTION,
    USER,
    BotUnderTest,
    assert_within_limits,
    bot_settings,
    message_text,
    new_port,
    running_bot,
    searches_made,
    settled,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
async def tight_bot(sandbox: RunningSandbox, redis_url: str) -> AsyncIterator[BotUnderTest]:
    """A bot whose key sustains one hourly watch (20 requests an hour, half for watches)."""
    settings = bot_settings(sandbox, redis_url, port=new_port(), leads_rate_limit_per_hour=20)
    async with running_bot(sandbox, settings) as running:
        yield running


def as_message(event: Event) -> Message:
    """An ephemeral answer as a message one can click in."""
    payload = event.payload
    return Message(
        channel=CHANNEL,
        ts=str(payload.get("ts") or "1.000001"),
        user="B0LEADS",
        text=str(payload.get("text") or ""),
        blocks=payload.get("blocks"),
    )


async def create_watch(bot: BotUnderTest, text: str) -> tuple[str, Event]:
    """``/leads watch …``: the watch's ID and its card, posted in the channel."""
    since = bot.sandbox.slack.last_seq
    response = await bot.slash(text)
    assert response.status_code == 200
    card = await bot.sandbox.slack.wait_for(
        lambda e: e.channel == CHANNEL and e.thread_ts is None,
        kind="message_posted",
        since=since,
    )
    found = re.search(r"ID `(w[0-9a-f]{8})`", message_text(card.payload))
    assert found, message_text(card.payload)
    return found.group(1), card


async def watch_list(bot: BotUnderTest) -> Message:
    """``/leads watches``, as the ephemeral list the person sees."""
    since = bot.sandbox.slack.last_seq
    await bot.slash("watches")
    return as_message(await bot.ephemeral(since))


async def click_in_list(
    bot: BotUnderTest, listed: Message, action_id: str, watch_id: str
) -> tuple[str, Message]:
    """Click a watch list's button: what the clicker is told, then the list as it is now.

    Both answers are awaited, so a later ``watch_list`` cannot mistake this click's refreshed
    list, late on a busy machine, for its own.
    """
    since = bot.sandbox.slack.last_seq
    response = await bot.click(listed, action_id, containing=watch_id)
    assert response.status_code == 200
    said = await bot.ephemeral(since)
    refreshed = await bot.ephemeral(said.seq)
    return message_text(said.payload), as_message(refreshed)


async def test_a_watch_card_says_its_id_schedule_next_run_and_cost(bot: BotUnderTest) -> None:
    watch_id, card = await create_watch(bot, f"watch daily {DESCRIPTION}")
    text = message_text(card.payload)
    assert f"Watching *{DESCRIPTION}* daily for this channel." in text
    assert "next run <!date^" in text
    assert "each run costs at most 10 API requests and 1 credit" in text
    assert f"/leads unwatch {watch_id}" in text
    assert_within_limits(card.payload.get("blocks"))
    listed = await watch_list(bot)
    assert watch_id in message_text({"text": listed.text, "blocks": listed.blocks})
    assert "not run yet" in message_text({"blocks": listed.blocks})
    assert await searches_made(bot.sandbox) == 0  # creating runs nothing


async def test_run_now_posts_only_new_people_then_nothing_when_nobody_is_new(
    bot: BotUnderTest, redis: aioredis.Redis, redis_url: str
) -> None:
    # What this channel already knows: five people shared in an earlier thread, and one
    # author marked not relevant (muted) without ever being shared.
    runtime = bot.runtime
    earlier = await runtime.service.submit(DESCRIPTION, Origin(front="test"))
    await runtime.service.wait(earlier.search.request_id, timeout=15)
    leads = await runtime.service.results(earlier.search.request_id)
    assert len(leads) > 6
    team = bot.sandbox.slack.team_id
    desk = DeskStore(redis, "leads", retention=3600)
    await desk.record_shared(team, CHANNEL, leads[:5], "1700000000.000100", None)
    await desk.dismiss(team, CHANNEL, lead_key(leads[5]), USER, "competitor")
    known = {lead.author.profile_url for lead in leads[:6]}

    watch_id, _ = await create_watch(bot, f"watch weekly {DESCRIPTION}")
    since = bot.sandbox.slack.last_seq
    listed = await watch_list(bot)
    said, _ = await click_in_list(bot, listed, WATCH_RUN_NOW, watch_id)
    assert f"Running watch `{watch_id}` now" in said
    parent = await bot.parent_posted(since, timeout=20)
    new = len(leads) - 6
    await bot.delivered(parent.ts, since, redis_url, needle=f"{new} new people · 6 seen before")
    shown = message_text(bot.parent(parent.ts))
    assert f"Watch *{DESCRIPTION}*: {new} new people · 6 seen before" in shown
    cards = "\n".join(message_text(reply) for reply in bot.replies(parent.ts))
    for lead in leads[6:]:
        assert (lead.author.profile_url or "") in cards
    for url in known:
        assert (url or "") not in cards
    # Run again: everyone is shared now, so nothing is posted — but the run is recorded.
    top_level = len(bot.sandbox.slack.history(CHANNEL))
    listed = await watch_list(bot)
    await click_in_list(bot, listed, WATCH_RUN_NOW, watch_id)

    async def recorded_nothing_new() -> bool:
        watch = await runtime.watches.get(watch_id)
        return watch is not None and watch.last is not None and watch.last.status == "nothing_new"

    await wait_until(recorded_nothing_new, timeout=20, message="the second run to finish")
    await wait_until(lambda: settled(redis_url), message="deliveries to settle")
    assert len(bot.sandbox.slack.history(CHANNEL)) == top_level
    listed = await watch_list(bot)
    text = message_text({"blocks": listed.blocks})
    assert f"nobody new ({len(leads)} seen before), nothing posted" in text
    assert "Credits in the last 30 days: 2" in text


async def test_pause_and_delete_from_the_list_and_unwatch(bot: BotUnderTest) -> None:
    first, _ = await create_watch(bot, f"watch daily {DESCRIPTION}")
    second, _ = await create_watch(bot, f"watch hourly {DESCRIPTION}")
    listed = await watch_list(bot)
    said, listed = await click_in_list(bot, listed, WATCH_PAUSE, first)
    assert f"Paused watch `{first}`" in said
    paused = await bot.runtime.watches.get(first)
    assert paused is not None
    assert paused.paused
    assert "Resume" in str(listed.blocks)
    assert "Resume" in str((await watch_list(bot)).blocks)
    said, listed = await click_in_list(bot, listed, WATCH_DELETE, first)
    assert f"Deleted watch `{first}`" in said
    assert first not in str(listed.blocks)
    assert second in str(listed.blocks)
    since = bot.sandbox.slack.last_seq
    await bot.slash(f"unwatch {second.upper()}")
    told = await bot.ephemeral(since)
    assert f"Deleted watch `{second}`" in message_text(told.payload)
    since = bot.sandbox.slack.last_seq
    await bot.slash(f"unwatch {second}")
    told = await bot.ephemeral(since)
    assert f"No watch {second} here." in message_text(told.payload)
    assert "No watches in this channel yet" in message_text(
        {"blocks": (await watch_list(bot)).blocks}
    )


async def test_a_watch_past_the_budget_is_refused_with_the_numbers(
    tight_bot: BotUnderTest,
) -> None:
    await create_watch(tight_bot, f"watch hourly {DESCRIPTION}")
    since = tight_bot.sandbox.slack.last_seq
    await tight_bot.slash(f"watch daily {DESCRIPTION}")
    said = await tight_bot.ephemeral(since)
    assert (
        "Not enough API budget for a daily watch: this key sustains about 1 hourly runs; "
        "the channel's watches already use 1 (all watches on this key: 1)."
    ) in message_text(said.payload)
    team = tight_bot.sandbox.slack.team_id
    assert len(await tight_bot.runtime.watches.in_scope(f"{team}:{CHANNEL}")) == 1


async def test_three_failed_runs_pause_the_watch_and_tell_the_channel(bot: BotUnderTest) -> None:
    watch_id, _ = await create_watch(bot, f"watch hourly {DESCRIPTION}")
    bot.sandbox.faults.update({"fail_searches": 3})
    watches = bot.runtime.watches
    for failures in (1, 2, 3):
        since = bot.sandbox.slack.last_seq
        await watches.run_now(watch_id)

        async def failed(count: int = failures) -> bool:
            watch = await watches.get(watch_id)
            return watch is not None and (watch.failures == count or watch.paused)

        await wait_until(failed, timeout=20, message=f"failed run {failures}")
    told = await bot.sandbox.slack.wait_for(
        lambda e: e.channel == CHANNEL and "is paused" in message_text(e.payload),
        kind="message_posted",
        since=since,
        timeout=20,
    )
    assert "3 runs in a row failed; the last: its search failed" in message_text(told.payload)
    listed = message_text({"blocks": (await watch_list(bot)).blocks})
    assert "paused — 3 runs in a row failed" in listed
    assert "Resume" in listed
