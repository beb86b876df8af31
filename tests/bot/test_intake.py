"""``/leads`` is durable from the ack: recorded first, finished by whichever process is alive.

Each test puts a command in the state a crash would leave it in — recorded but never run,
parent posted while the search waits for the budget, search started but its answer not yet
owed — and checks that the real bot (in this process, or as ``python -m bot`` processes)
finishes it exactly once: one parent message, one API search, one thread.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from bot.deliveries import SlackRequest
from bot.delivery import DeliveryOutcome
from bot.intake import MAX_RUNS, PARENT_EVENT, CommandStore, IntakeOutcome, Stage
from bot.keys import BotKeys
from bot.messages import post_message, tag
from bot.views.blocks import SlackMessage
from sandbox.embedded import RunningSandbox
from shared._awaitable import settle
from shared.settings import SANDBOX_API_KEY
from shared.state.keys import Keys
from tests.bot.support import (
    CHANNEL,
    DESCRIPTION,
    ONE_SET_OF_25,
    USER,
    BotProcess,
    BotUnderTest,
    bot_processes,
    headings,
    message_text,
    new_port,
    searches_made,
    subprocess_env,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

ASKER = SlackRequest(team_id="T0SANDBOX", channel_id=CHANNEL, user_id=USER)
OPEN = BotKeys().open_commands


def _parents(sandbox: RunningSandbox) -> list[str]:
    """The top-level messages in #leads, by ``ts``."""
    return [message.ts for message in sandbox.slack.history(CHANNEL)]


async def _stage(redis: aioredis.Redis, command_id: str) -> str | None:
    stage: str | None = await settle(redis.hget(BotKeys().command(command_id), "stage"))
    return stage


async def test_a_command_recorded_by_a_process_that_died_is_answered_by_another(
    bot: BotUnderTest, redis: aioredis.Redis, redis_url: str
) -> None:
    # As a process leaves it when it dies right after the ack: recorded, nothing else done.
    # (grace=0: due at once, as it is 10 s after its last heartbeat.)
    recorded = await CommandStore(redis, "leads", grace=0).record(
        ASKER, DESCRIPTION, response_url=None
    )
    since = 0
    parent = await bot.parent_posted(since, timeout=30)
    replies = await bot.delivered(parent.ts, since, redis_url)
    assert headings(replies) == ONE_SET_OF_25
    assert f"<@{USER}>" in message_text(parent.payload)
    assert await searches_made(bot.sandbox) == 1
    assert _parents(bot.sandbox) == [parent.ts]
    assert await _stage(redis, recorded.command_id) == Stage.CLOSED
    assert await settle(redis.zscore(OPEN, recorded.command_id)) is None


async def test_a_command_resumed_after_its_search_started_adds_no_second_search_or_answer(
    bot: BotUnderTest, redis: aioredis.Redis, redis_url: str
) -> None:
    since, parent = await bot.search(DESCRIPTION)
    await bot.delivered(parent.ts, since, redis_url)
    (command_key,) = [key async for key in redis.scan_iter(BotKeys().command("*"))]
    command_id = command_key.rsplit(":", 1)[1]
    # As a process leaves it when it dies after recording the search's ID, before closing.
    await settle(redis.hset(command_key, "stage", Stage.SUBMITTED.value))
    await redis.zadd(OPEN, {command_id: time.time() + 60})

    assert await bot.services.intake.run(command_id) is IntakeOutcome.DONE
    assert await bot.services.intake.run(command_id) is IntakeOutcome.GONE  # closed now
    replies = await bot.delivered(parent.ts, 0, redis_url)
    assert headings(replies) == ONE_SET_OF_25  # the same thread, not a second one
    request_id = str(await settle(redis.hget(command_key, "request_id")))
    assert await bot.services.deliveries.ids_of(request_id) == [f"{request_id}:1"]
    assert await searches_made(bot.sandbox) == 1
    assert _parents(bot.sandbox) == [parent.ts]


async def test_a_command_that_keeps_failing_tells_the_person_and_stops(
    bot: BotUnderTest, redis: aioredis.Redis
) -> None:
    recorded = await CommandStore(redis, "leads", grace=60).record(
        ASKER, DESCRIPTION, response_url=None
    )
    posted = await bot.services.intake.slack.chat_postMessage(channel=CHANNEL, text="Queued…")
    parent_ts = str(posted["ts"])
    key = BotKeys().command(recorded.command_id)
    # Every earlier run failed (e.g. a bug): this is the last one it gets.
    await settle(
        redis.hset(
            key, mapping={"stage": Stage.POSTED.value, "parent_ts": parent_ts, "runs": MAX_RUNS}
        )
    )

    assert await bot.services.intake.run(recorded.command_id) is IntakeOutcome.DONE
    text = message_text(bot.parent(parent_ts))
    assert "did not start" in text
    assert "Something went wrong on our side. Try again in a minute." in text
    assert await searches_made(bot.sandbox) == 0
    assert await _stage(redis, recorded.command_id) == Stage.CLOSED


async def _fill_budget(redis_url: str, at: float) -> None:
    """Fill the sandbox key's minute window (600 a minute in tests) as of ``at``."""
    budget = hashlib.sha256(SANDBOX_API_KEY.encode()).hexdigest()[:16]
    client = aioredis.Redis.from_url(redis_url)
    try:
        await client.zadd(Keys().rate_limit(budget), {f"filler-{n}": at for n in range(600)})
    finally:
        await client.aclose()


async def _empty_budget(redis_url: str) -> None:
    budget = hashlib.sha256(SANDBOX_API_KEY.encode()).hexdigest()[:16]
    client = aioredis.Redis.from_url(redis_url)
    try:
        await client.delete(Keys().rate_limit(budget))
    finally:
        await client.aclose()


@pytest.mark.slow
async def test_a_bot_killed_while_the_search_waits_for_the_budget_leaves_it_to_the_next(
    sandbox: RunningSandbox, redis_url: str, tmp_path: Path
) -> None:
    port = new_port()
    env = subprocess_env(sandbox, redis_url, port)
    first = BotProcess(env, tmp_path / "first.log")
    second = BotProcess(env, tmp_path / "second.log")
    async with httpx.AsyncClient(timeout=10) as http, bot_processes(first):
        bot = BotUnderTest(first.url, sandbox, http)
        await first.wait_healthy(http)
        client = aioredis.Redis.from_url(redis_url)
        try:
            now = float((await client.time())[0])
        finally:
            await client.aclose()
        await _fill_budget(redis_url, now - 30.0)  # full for about 30 more seconds
        since, parent = await bot.search(DESCRIPTION)
        await bot.parent_says(parent.ts, "starts by itself", since=since)
        first.kill()  # acknowledged, parent posted, waiting for the budget: then a crash
        assert await searches_made(sandbox) == 0
        await _empty_budget(redis_url)  # a new minute
        async with bot_processes(second):
            await second.wait_healthy(http)
            # The dead process's lease on the command lapses (15 s), then the next takes it.
            await bot.parent_says(parent.ts, "1 credit spent", since=since, timeout=90)
            await wait_until(
                lambda: len(bot.replies(parent.ts)) == len(ONE_SET_OF_25),
                timeout=30,
                message="the whole thread",
            )
    assert headings(bot.replies(parent.ts)) == ONE_SET_OF_25
    assert await searches_made(sandbox) == 1
    assert _parents(sandbox) == [parent.ts]
    assert "re-queueing an overdue command" in second.log()


async def test_a_run_that_died_after_submitting_is_resumed_as_its_own_search(
    bot: BotUnderTest, redis: aioredis.Redis, redis_url: str
) -> None:
    # As a process leaves it when it dies between the API's answer to the POST and recording
    # the search's ID on the command: the search exists (and is in the reuse index).
    recorded = await CommandStore(redis, "leads", grace=60).record(
        ASKER, DESCRIPTION, response_url=None
    )
    posted = await bot.services.intake.slack.chat_postMessage(channel=CHANNEL, text="Queued…")
    parent_ts = str(posted["ts"])
    await settle(
        redis.hset(
            BotKeys().command(recorded.command_id),
            mapping={"stage": Stage.POSTED.value, "parent_ts": parent_ts},
        )
    )
    origin = ASKER.origin.model_copy(update={"ref": recorded.command_id})
    await bot.runtime.service.submit(DESCRIPTION, origin, claimant=recorded.command_id)

    assert await bot.services.intake.run(recorded.command_id) is IntakeOutcome.DONE
    replies = await bot.delivered(parent_ts, 0, redis_url)
    assert headings(replies) == ONE_SET_OF_25
    summary = message_text(bot.parent(parent_ts))
    assert "1 credit spent" in summary  # its own search, not "reused"
    assert await searches_made(bot.sandbox) == 1


async def test_a_refused_search_is_never_submitted_again_when_telling_so_fails(
    bot: BotUnderTest, redis: aioredis.Redis
) -> None:
    # The API creates the search, then answers 500; and Slack fails the parent's edit that
    # would say so. The command runs again: it must say it again, not POST again (the
    # chaos run counted an extra API search here).
    bot.sandbox.faults.update({"fail_after_create": 1})
    bot.sandbox.slack.faults.fail("chat.update", "internal_error", count=1)
    since, parent = await bot.search(DESCRIPTION)
    failed = await bot.parent_says(parent.ts, "did not start", since=since, timeout=30)
    assert "Run `/leads` again" in message_text(failed.payload)
    await wait_until(
        lambda: _no_open_command(redis), timeout=30, message="the command to be closed"
    )
    assert await searches_made(bot.sandbox) == 1  # the one the 500 came after
    assert _parents(bot.sandbox) == [parent.ts]


async def _no_open_command(redis: aioredis.Redis) -> bool:
    return not await settle(redis.zcard(OPEN))


async def test_a_rate_limited_parent_post_does_not_hold_up_the_search(
    bot: BotUnderTest, redis_url: str
) -> None:
    # Slack answers the parent's post with a 429 asking for 8 s. The search, which takes
    # longest, goes to the API meanwhile; the parent follows and the answer is whole.
    bot.sandbox.slack.faults.rate_limit("chat.postMessage", count=1, retry_after=8)
    since = bot.sandbox.slack.last_seq
    response = await bot.slash(DESCRIPTION)
    assert response.status_code == 200
    await wait_until(
        lambda: _searched(bot.sandbox), timeout=7, message="the search to reach the API"
    )
    # No parent can be up yet: Slack's 429 holds it for 8 s after the post was tried.
    assert _parents(bot.sandbox) == []
    parent = await bot.parent_posted(since, timeout=30)
    replies = await bot.delivered(parent.ts, since, redis_url)
    assert headings(replies) == ONE_SET_OF_25
    assert await searches_made(bot.sandbox) == 1
    assert _parents(bot.sandbox) == [parent.ts]


async def test_a_channel_the_bot_cannot_post_in_after_a_slow_answer_says_the_search_started(
    bot: BotUnderTest,
) -> None:
    # Slack holds the post 2 s (429), then says the bot is not in the channel: the search
    # had been submitted by then, and the person is told so (running it again reuses it).
    bot.sandbox.slack.faults.rate_limit("chat.postMessage", count=1, retry_after=2)
    since = bot.sandbox.slack.last_seq
    response = await bot.slash(DESCRIPTION, channel="C0RANDOM")
    assert response.status_code == 200
    event = await bot.ephemeral(since, timeout=15)
    told = message_text(event.payload)
    assert "/invite @Leads" in told
    assert "Your search had started before Slack told me" in told
    assert "no credit was spent" not in told
    assert await searches_made(bot.sandbox) == 1
    posted = bot.sandbox.slack.events.events_since(since)
    assert not [e for e in posted if e.kind == "message_posted"]


async def _searched(sandbox: RunningSandbox) -> bool:
    return await searches_made(sandbox) == 1


@pytest.mark.parametrize("up", [True, False], ids=["reply up", "reply not up"])
async def test_a_delivery_that_died_sending_a_reply_posts_it_once(
    bot: BotUnderTest, redis: aioredis.Redis, redis_url: str, up: bool
) -> None:
    # As a process leaves a delivery when it dies between Slack taking a thread reply and
    # recording it: the reply is marked as being sent, not as posted. The next run reads
    # the thread (each reply carries its delivery and part in its metadata) and posts it
    # only if it is not up.
    since, parent = await bot.search(DESCRIPTION)
    replies = await bot.delivered(parent.ts, since, redis_url)
    assert len(replies) == 2
    (delivery_id,) = await bot.services.deliveries.ids_of(await _request_of(redis))
    key = BotKeys().delivery(delivery_id)
    if not up:
        bot.sandbox.slack.delete_message(replies[1])
    await settle(redis.hset(key, mapping={"parts_posted": "1", "sending": "1", "done": "0"}))

    assert await bot.services.deliverer.run(delivery_id) is DeliveryOutcome.FINISHED
    thread = bot.replies(parent.ts)
    assert headings(thread) == ONE_SET_OF_25  # every lead once: no second copy of part 2
    assert len(thread) == 2
    assert (replies[1].ts in {m.ts for m in thread}) is up
    assert await settle(redis.hget(key, "sending")) is None


@pytest.mark.parametrize(
    ("up", "history"),
    [(True, "readable"), (False, "readable"), (True, "unreadable")],
    ids=["parent up", "parent not up", "history unreadable"],
)
async def test_a_command_that_died_posting_its_parent_posts_it_once(
    bot: BotUnderTest, redis: aioredis.Redis, redis_url: str, up: bool, history: str
) -> None:
    # As a process leaves a command when it dies between Slack taking the parent and
    # recording its ts: marked "posting", no ts. The next run looks for the parent in the
    # channel's history (it carries the command's ID in its metadata) and posts it only if
    # it is not there — or if the history cannot be read: two parents beat none.
    recorded = await CommandStore(redis, "leads", grace=60).record(
        ASKER, DESCRIPTION, response_url=None
    )
    key = BotKeys().command(recorded.command_id)
    slack = bot.services.intake.slack
    earlier = None
    if up:
        queued = SlackMessage(text="Queued…")
        earlier = await post_message(
            slack, CHANNEL, queued, metadata=tag(PARENT_EVENT, command=recorded.command_id)
        )
    # Someone else's message after it, tagged like a parent of another command.
    await post_message(
        slack, CHANNEL, SlackMessage(text="Queued…"), metadata=tag(PARENT_EVENT, command="other")
    )
    await settle(redis.hset(key, "posting", "1"))
    if history == "unreadable":
        bot.sandbox.slack.faults.fail("conversations.history", "internal_error")
    since = bot.sandbox.slack.last_seq

    assert await bot.services.intake.run(recorded.command_id) is IntakeOutcome.DONE
    parent_ts = str(await settle(redis.hget(key, "parent_ts")))
    assert (parent_ts == earlier) is (up and history == "readable")
    replies = await bot.delivered(parent_ts, since, redis_url)
    assert headings(replies) == ONE_SET_OF_25
    assert await searches_made(bot.sandbox) == 1
    posted = [e for e in bot.sandbox.slack.events.events_since(since) if e.kind == "message_posted"]
    new_parents = [e for e in posted if e.thread_ts is None]
    assert len(new_parents) == (0 if up and history == "readable" else 1)


async def _request_of(redis: aioredis.Redis) -> str:
    (command_key,) = [key async for key in redis.scan_iter(BotKeys().command("*"))]
    return str(await settle(redis.hget(command_key, "request_id")))
