"""Real ``python -m bot`` processes: crashes, restarts, replicas, the separate worker.

The sandbox and Redis are shared by every process, as in a deployment; the sandbox runs in
this test process, so its Slack stand-in is the one witness of what people saw.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from sandbox.embedded import RunningSandbox
from tests.bot.support import (
    BOT_KEYS,
    DESCRIPTION,
    KEYS,
    ONE_SET_OF_25,
    BotProcess,
    BotUnderTest,
    api_outcome,
    bot_processes,
    bot_settings,
    callback_url,
    clean_env,
    headings,
    latest_request_id,
    message_text,
    new_port,
    running_bot,
    stored_search,
    subprocess_env,
)
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_a_search_pending_when_the_bot_dies_is_delivered_after_restart(
    slow_sandbox: RunningSandbox, redis_url: str, tmp_path: Path
) -> None:
    port = new_port()
    env = subprocess_env(slow_sandbox, redis_url, port)
    first = BotProcess(env, tmp_path / "first.log")
    second = BotProcess(env, tmp_path / "second.log")
    async with httpx.AsyncClient(timeout=10) as http, bot_processes(first):
        bot = BotUnderTest(first.url, slow_sandbox, http)
        await first.wait_healthy(http)
        since, parent = await bot.search(DESCRIPTION)
        request_id = await latest_request_id(redis_url)
        await _wait_idle(redis_url)
        first.kill()  # mid-search: no clean-up, like a crash

        record = await stored_search(redis_url, request_id)
        assert record is not None
        assert not record.is_terminal
        async with bot_processes(second):
            await second.wait_healthy(http)
            # If the first died mid-poll, its claim on the poll holds for the 30 s lease; if
            # mid-delivery, its lock holds for the 30 s lease.
            await bot.parent_says(parent.ts, "1 credit spent", since=since, timeout=90)
            # Not `bot.delivered`: a delivery job the kill cut short leaves arq's in-progress
            # key behind for the job timeout (5 min), and that job then re-runs as a no-op.
            # What matters is that the delivery is done and the thread is whole.
            await wait_until(
                lambda: _deliveries_done(redis_url), timeout=90, message="delivery done"
            )
            replies = bot.replies(parent.ts)
    assert headings(replies) == ONE_SET_OF_25
    assert "search delivered" in second.log()


async def test_a_shutdown_lets_an_acknowledged_search_start_and_a_new_bot_deliver_it(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    settings = bot_settings(sandbox, redis_url, port=new_port())
    async with running_bot(sandbox, settings) as first:
        response = await first.slash(DESCRIPTION)
        assert response.status_code == 200
        # Shut down right after the ack: the search is still being posted and submitted.
    request_id = await latest_request_id(redis_url)
    recorded = await stored_search(redis_url, request_id)
    assert recorded is not None
    assert recorded.description == DESCRIPTION
    (parent,) = sandbox.slack.history("C0LEADS")
    async with running_bot(sandbox, settings) as second:
        replies = await second.delivered(parent.ts, 0, redis_url)
    assert headings(replies) == ONE_SET_OF_25


async def test_two_replicas_duplicate_callbacks_and_the_sweep_answer_once(
    sandbox: RunningSandbox, redis_url: str, tmp_path: Path
) -> None:
    ports = [new_port(), new_port()]
    replicas = [
        BotProcess(
            subprocess_env(sandbox, redis_url, port, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}"),
            tmp_path / f"replica{n}.log",
        )
        for n, port in enumerate(ports)
    ]
    sandbox.faults.update({"duplicate_callbacks": 1})
    async with httpx.AsyncClient(timeout=10) as http, bot_processes(*replicas):
        for replica in replicas:
            await replica.wait_healthy(http)
        bot = BotUnderTest(replicas[0].url, sandbox, http)
        since, parent = await bot.search(DESCRIPTION)
        request_id = await latest_request_id(redis_url)
        token_path = (await callback_url(sandbox, request_id)).split("/callbacks/", 1)[1]
        body = json.dumps(await api_outcome(sandbox, request_id))
        # Five retries of the same callback, landing on either replica at once.
        answers = await asyncio.gather(
            *(
                http.post(f"{replicas[n % 2].url}/callbacks/{token_path}", content=body)
                for n in range(5)
            )
        )
        assert [a.status_code for a in answers] == [200] * 5
        replies = await bot.delivered(parent.ts, since, redis_url)
    assert headings(replies) == ONE_SET_OF_25
    updates = [
        e
        for e in sandbox.slack.events.events_since(since)
        if e.ts == parent.ts and "1 credit spent" in message_text(e.payload)
    ]
    assert len(updates) == 1  # the summary was written once
    for replica in replicas:
        assert "Traceback" not in replica.log()


async def test_a_separate_worker_delivers_for_a_web_process_without_one(
    sandbox: RunningSandbox, redis_url: str, tmp_path: Path
) -> None:
    port = new_port()
    web = BotProcess(
        subprocess_env(sandbox, redis_url, port, LEADS_RUN_SWEEP="false"), tmp_path / "web.log"
    )
    worker = BotProcess(
        subprocess_env(sandbox, redis_url, new_port()), tmp_path / "worker.log", module="bot.worker"
    )
    async with httpx.AsyncClient(timeout=10) as http, bot_processes(web):
        await web.wait_healthy(http)
        assert (await http.get(f"{web.url}/healthz")).json()["worker"] == "off"
        bot = BotUnderTest(web.url, sandbox, http)
        since, parent = await bot.search(DESCRIPTION)
        async with bot_processes(worker):
            await worker.wait_log("Leads worker running")
            replies = await bot.delivered(parent.ts, since, redis_url)
    assert headings(replies) == ONE_SET_OF_25
    assert "Leads worker stopped" in worker.log()


def test_missing_slack_settings_fail_fast_naming_them(tmp_path: Path) -> None:
    env = clean_env()
    result = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, timeout=60
    )
    assert result.returncode == 2
    assert b"SLACK_BOT_TOKEN" in result.stderr
    assert b"SLACK_SIGNING_SECRET" in result.stderr
    worker = subprocess.run(
        [sys.executable, "-m", "bot.worker"],
        env={**env, "SLACK_BOT_TOKEN": "xoxb-1"},
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    assert worker.returncode == 2
    assert b"REDIS_URL" in worker.stderr


@pytest.mark.parametrize(
    "shared_state",
    [
        {},  # in-process store and embedded sandbox
        {"REDIS_URL": "redis://127.0.0.1:1/0"},  # Redis, but the embedded sandbox
        {"NYNE_API_KEY": "k-123456", "NYNE_API_SECRET": "s-123456"},  # the API, no Redis
    ],
)
def test_leaving_the_sweep_to_workers_that_could_never_run_fails_fast(
    tmp_path: Path, shared_state: dict[str, str]
) -> None:
    # Before: the bot started, took every /leads and /healthz said ok, but no worker can
    # run without Redis and the API, so no search was ever delivered.
    env = clean_env() | shared_state
    env |= {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "signing-secret",
        "LEADS_RUN_SWEEP": "false",
        "PORT": str(new_port()),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    for name in (b"LEADS_RUN_SWEEP", b"REDIS_URL", b"NYNE_API_KEY"):
        assert name in result.stderr


async def _deliveries_done(redis_url: str) -> bool:
    """No delivery is open: each one has posted everything it had to."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return not await client.zcard(BOT_KEYS.open_deliveries)
    finally:
        await client.aclose()


async def _wait_idle(redis_url: str) -> None:
    """No process is in the middle of a delivery (a crash would hold its lock for 30 s)."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:

        async def idle() -> bool:
            locks = [k async for k in client.scan_iter(f"{KEYS.prefix}:lock:delivery:*")]
            running = [k async for k in client.scan_iter("arq:in-progress:deliver:*")]
            return not locks and not running

        await wait_until(idle, message="no delivery in flight")
    finally:
        await client.aclose()
