"""Each failure gets a clear message to the person who can act on it, and nothing is lost."""

from __future__ import annotations

import time
import uuid

import pytest
import redis.asyncio as aioredis

from bot import app as bot_app
from sandbox.embedded import RunningSandbox
from tests.bot.support import (
    CHANNEL,
    DESCRIPTION,
    KEYS,
    ONE_SET_OF_25,
    USER,
    BotUnderTest,
    bot_settings,
    headings,
    message_text,
    new_port,
    running_bot,
    searches_made,
)
from tests.support.servers import run_redis_server

pytestmark = pytest.mark.integration


async def test_wrong_api_credentials_are_an_admin_message_naming_the_settings(
    sandbox: RunningSandbox, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = bot_settings(
        sandbox, redis_url, port=new_port(), nyne_api_key="wrong-key", nyne_api_secret="nope"
    )
    async with running_bot(sandbox, settings) as bot:
        since, parent = await bot.search(DESCRIPTION)
        refused = await bot.parent_says(parent.ts, "refused this app's credentials", since=since)
    text = message_text(refused.payload)
    assert "An admin needs to check the `NYNE_API_KEY` and `NYNE_API_SECRET`" in text
    assert "did not start" in text
    assert await searches_made(sandbox) == 0
    assert any(r.levelname == "ERROR" and "NYNE_API_KEY" in r.getMessage() for r in caplog.records)
    assert "wrong-key" not in caplog.text


@pytest.mark.parametrize(
    "faults",
    [
        # Short Retry-Afters: slack_sdk's retry handler waits and retries inside the call.
        [("chat.postMessage", 2, 1), ("chat.update", 1, 1)],
        # "Come back in 10 minutes": the call fails at once and the job queue retries the
        # delivery from the last reply posted, instead of a job sleeping for 10 minutes.
        [("chat.postMessage", 1, 600)],
    ],
    ids=["retried-in-call", "retried-by-the-queue"],
)
async def test_slack_429s_lose_nothing_and_the_thread_is_posted_once(
    bot: BotUnderTest, redis_url: str, faults: list[tuple[str, int, int]]
) -> None:
    state = bot.sandbox.slack
    since, parent = await bot.search(DESCRIPTION)
    # Armed once the parent is up, so they hit the thread replies and the edits.
    for method, count, retry_after in faults:
        state.faults.rate_limit(method, count=count, retry_after=retry_after)
    replies = await bot.delivered(parent.ts, since, redis_url)
    assert headings(replies) == ONE_SET_OF_25
    assert state.faults.to_list() == []  # every armed 429 was met


async def test_redis_down_tells_the_user_and_healthz_says_so(sandbox: RunningSandbox) -> None:
    with run_redis_server() as stopped:
        stopped.stop()  # the URL now points at nothing
        settings = bot_settings(sandbox, stopped.url, port=new_port())
        async with running_bot(sandbox, settings) as bot:
            health = await bot.healthz()
            assert health.status_code == 503
            body = health.json()
            assert body["ok"] is False
            assert body["redis"] == "down"
            assert body["api"] == "ok"
            assert body["slack"] == "ok"

            since = bot.sandbox.slack.last_seq
            started = time.perf_counter()
            response = await bot.slash(DESCRIPTION)
            assert response.status_code == 200
            assert time.perf_counter() - started < 3.0  # Slack's deadline for the ack
            told = await bot.ephemeral(since)
            assert "can't reach its database" in message_text(told.payload)
            # Nothing half-done: no parent message, no search.
            posted = [
                e for e in sandbox.slack.events.events_since(since) if e.kind == "message_posted"
            ]
            assert posted == []
            assert await searches_made(sandbox) == 0


async def test_healthz_is_ok_with_redis_and_costs_no_api_request(bot: BotUnderTest) -> None:
    for _ in range(5):
        health = await bot.healthz()
        assert health.status_code == 200
    body = health.json()
    assert body == {
        "ok": True,
        "redis": "ok",
        "api": "ok",
        "slack": "ok",
        "worker": "running",
        "sandbox": False,
        "mode": "http",
    }
    usage = await bot.sandbox.usage()
    assert usage["rate_limit"]["minute"]["used"] == 0


async def test_healthz_stays_ok_when_only_the_api_is_unreachable(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    with run_redis_server() as nothing_here:  # a port with nobody listening once stopped
        nothing_here.stop()
        dead_api = f"http://127.0.0.1:{nothing_here.port}"
    settings = bot_settings(sandbox, redis_url, port=new_port(), nyne_base_url=dead_api)
    async with running_bot(sandbox, settings) as bot:
        health = await bot.healthz()
    assert health.status_code == 200
    assert health.json()["api"] == "unreachable"
    assert health.json()["redis"] == "ok"


async def _fill_budget(redis_url: str, key: str, count: int, at: float) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        await client.zadd(key, {uuid.uuid4().hex: at for _ in range(count)})
    finally:
        await client.aclose()


async def test_a_search_waiting_for_the_rate_limit_says_when_it_will_run(
    bot: BotUnderTest, redis_url: str
) -> None:
    runtime = bot.runtime
    now = float((await runtime.connections.redis.time())[0])
    # The minute window (600 requests in 60 s + 1 s margin) is full for about 3 more seconds.
    await _fill_budget(redis_url, runtime.limiter.key, 600, now - 58.0)
    since, parent = await bot.search(DESCRIPTION)
    waiting = await bot.parent_says(parent.ts, "Rate limited", since=since)
    assert "will run at about <!date^" in message_text(waiting.payload)
    await bot.parent_says(parent.ts, "1 credit spent", since=since, timeout=20)


async def test_a_search_over_the_rate_limit_says_when_to_retry(
    bot: BotUnderTest, redis_url: str
) -> None:
    runtime = bot.runtime
    now = float((await runtime.connections.redis.time())[0])
    # The hour's budget is used up: far longer than a person should wait.
    await _fill_budget(redis_url, runtime.limiter.key, 10_000, now)
    since, parent = await bot.search(DESCRIPTION)
    told = await bot.parent_says(parent.ts, "request budget is used up", since=since)
    text = message_text(told.payload)
    assert "Try again at about <!date^" in text
    assert "did not start" in text
    assert await searches_made(bot.sandbox) == 0
    client = aioredis.Redis.from_url(redis_url)
    try:
        assert await client.zcard(KEYS.recent) == 0  # nothing recorded either
    finally:
        await client.aclose()


async def test_a_search_waiting_for_the_rate_limit_at_shutdown_says_it_did_not_start(
    sandbox: RunningSandbox,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Before: the shutdown cancelled the waiting submission and the parent kept saying
    # "your search will run at about 12:01. Nothing to do — it starts by itself" forever.
    monkeypatch.setattr(bot_app, "DRAIN_TIMEOUT", 0.2)  # a deploy's 10 s, shortened
    settings = bot_settings(sandbox, redis_url, port=new_port())
    async with running_bot(sandbox, settings) as bot:
        runtime = bot.runtime
        now = float((await runtime.connections.redis.time())[0])
        # The minute window is full for about 30 more seconds: the submission waits.
        await _fill_budget(redis_url, runtime.limiter.key, 600, now - 30.0)
        since, parent = await bot.search(DESCRIPTION)
        await bot.parent_says(parent.ts, "starts by itself", since=since)
    text = message_text(bot.parent(parent.ts))  # what the channel shows after the restart
    assert "This search did not start." in text
    assert "Leads restarted" in text
    assert "Run your `/leads` command again." in text
    assert "starts by itself" not in text
    assert await searches_made(sandbox) == 0
    (logged,) = [r for r in caplog.records if "Leads stopped while submitting" in r.message]
    assert logged.levelname == "WARNING"
    assert (getattr(logged, "channel_id", None), getattr(logged, "user_id", None)) == (
        CHANNEL,
        USER,
    )


async def test_a_500_after_the_api_created_the_search_makes_one_search_and_says_so(
    bot: BotUnderTest, redis_url: str
) -> None:
    # The spec does not promise that a 500 created nothing: this sandbox fault creates the
    # search, then answers 500. A retried POST would create (and bill) a second one.
    bot.sandbox.faults.update({"fail_after_create": 1})
    since, parent = await bot.search(DESCRIPTION)
    failed = await bot.parent_says(parent.ts, "failed while taking this search", since=since)
    text = message_text(failed.payload)
    assert "Run `/leads` again" in text  # what the person can do
    assert "did not start" in text
    assert await searches_made(bot.sandbox) == 1  # exactly one API search for one command
