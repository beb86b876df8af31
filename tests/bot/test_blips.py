"""A Redis restart of a few seconds loses nothing and tells nobody to try again.

A real redis-server with an AOF (as a managed Redis keeps its data) is stopped and started
again on the same port while the real bot works: a search already running, and a command
that arrives while Redis is away, are both answered in full, and nobody sees an error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.embedded import RunningSandbox
from tests.bot.support import (
    CHANNEL,
    DESCRIPTION,
    ONE_SET_OF_25,
    USER,
    api_outcome,
    bot_settings,
    callback_url,
    headings,
    latest_request_id,
    message_text,
    new_port,
    running_bot,
    searches_made,
)
from tests.support.servers import run_redis_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OTHER = "Heads of growth at B2B SaaS startups talking about churn"


async def test_a_redis_restart_loses_no_command_and_tells_nobody(
    slow_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    sandbox = slow_sandbox
    with run_redis_server(appendonly=True) as server:
        settings = bot_settings(sandbox, server.url, port=new_port(), leads_spool_dir=tmp_path)
        async with running_bot(sandbox, settings) as bot:
            since, running = await bot.search(DESCRIPTION)  # in flight when Redis goes
            server.stop()
            health = await bot.healthz()
            assert (health.status_code, health.json()["redis"]) == (503, "down")
            # A command while Redis is away: acknowledged (kept on disk), nobody told.
            mark = sandbox.slack.last_seq
            response = await bot.slash(OTHER)
            assert (response.status_code, response.content) == (200, b"")
            assert len(list(tmp_path.glob("*.json"))) == 1
            server.restart()

            await bot.parent_says(running.ts, "1 credit spent", since=since, timeout=60)
            spooled = await bot.parent_posted(mark, timeout=60)
            await bot.parent_says(spooled.ts, "1 credit spent", since=since, timeout=60)
            await bot.delivered(running.ts, since, server.url, timeout=60)
            assert (await bot.healthz()).json()["redis"] == "ok"
    assert headings(bot.replies(running.ts)) == ONE_SET_OF_25
    assert bot.replies(spooled.ts)  # its leads, in its own thread
    assert not list(tmp_path.glob("*.json"))
    told = [e for e in sandbox.slack.events.events_since(since) if e.kind == "ephemeral_posted"]
    assert told == []  # nobody was asked to try again
    assert await searches_made(sandbox) == 2


async def test_a_click_redis_cannot_take_is_not_acknowledged_silently(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    with run_redis_server(appendonly=True) as server:
        settings = bot_settings(sandbox, server.url, port=new_port(), leads_spool_dir=tmp_path)
        async with running_bot(sandbox, settings) as bot:
            since, parent = await bot.search(DESCRIPTION)
            replies = await bot.delivered(parent.ts, since, server.url)
            server.stop()
            mark = sandbox.slack.last_seq
            response = await bot.click(replies[0], "lead_claim", containing="|0", user=USER)
            assert response.status_code == 200
            told = await sandbox.slack.wait_for(
                lambda e: e.user == USER, kind="response_url_posted", since=mark, timeout=30
            )
            assert "your click was not saved. Try again in a minute." in message_text(told.payload)
            unchanged = sandbox.slack.message(CHANNEL, replies[0].ts)
            assert unchanged is not None
            shown = message_text({"text": unchanged.text, "blocks": unchanged.blocks})
            assert "Claimed by" not in shown
            # Back: the same click works.
            server.restart()
            mark = sandbox.slack.last_seq
            await bot.click(replies[0], "lead_claim", containing="|0", user=USER)
            await sandbox.slack.wait_for(
                lambda e: (
                    e.ts == replies[0].ts and "Claimed by <@U0ALICE>" in message_text(e.payload)
                ),
                kind="message_updated",
                since=mark,
                timeout=30,
            )


async def test_a_callback_during_the_outage_is_answered_503_so_the_api_sends_it_again(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    port = new_port()
    with run_redis_server(appendonly=True) as server:
        settings = bot_settings(
            sandbox,
            server.url,
            port=port,
            leads_spool_dir=tmp_path,
            public_base_url=f"http://127.0.0.1:{port}",
        )
        async with running_bot(sandbox, settings) as bot:
            since, parent = await bot.search(DESCRIPTION)
            request_id = await latest_request_id(server.url)
            path = (await callback_url(sandbox, request_id)).split("/callbacks/", 1)[1]
            body = json.dumps(await api_outcome(sandbox, request_id))
            server.stop()
            during = await bot.http.post(f"{bot.url}/callbacks/{path}", content=body)
            # Not recorded, and said so: the API retries a non-2xx answer.
            assert (during.status_code, during.json()) == (
                503,
                {"ok": False, "outcome": "unavailable"},
            )
            server.restart()
            after = await bot.http.post(f"{bot.url}/callbacks/{path}", content=body)
            assert after.status_code == 200
            assert after.json()["outcome"] in {"accepted", "duplicate"}
            replies = await bot.delivered(parent.ts, since, server.url)
    assert headings(replies) == ONE_SET_OF_25
