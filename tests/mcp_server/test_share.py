"""share_to_slack through the official MCP client, with the real Slack bot on the same Redis
taking the share and posting into the Slack stand-in: parent, thread and cards, once."""

from __future__ import annotations

import csv
import io
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot.share import IN_DOUBT, share_to_slack
from bot.share import SHARE_JOB as BOT_SHARE_JOB
from mcp_server.models import ShareOutcome
from mcp_server.share import INTERRUPTED, SHARE_JOB
from sandbox.embedded import RunningSandbox
from sandbox.slack import DEFAULT_TOKEN
from sandbox.slack.events import Event
from tests.bot.support import (
    CHANNEL,
    USER,
    bot_settings,
    message_text,
    new_port,
    running_bot,
)
from tests.mcp_server.conftest import ClientFactory
from tests.mcp_server.support import DESCRIPTION, error_of, outcome_of, text_of

pytestmark = pytest.mark.integration

TOKEN = {"slack_bot_token": SecretStr(DEFAULT_TOKEN)}


def share_of(result: Any) -> ShareOutcome:
    assert not result.is_error, text_of(result)
    return ShareOutcome.model_validate(result.structured_content)


def parents_since(sandbox: RunningSandbox, since: int) -> list[Event]:
    """Top-level messages posted in #leads since ``since``."""
    return [
        e
        for e in sandbox.slack.events.events_since(since, "message_posted")
        if e.thread_ts is None and e.channel == CHANNEL
    ]


class Died(Exception):
    """The process running the job died here (arq runs the job again)."""


def test_the_tool_and_the_bot_name_the_same_job() -> None:
    assert SHARE_JOB == BOT_SHARE_JOB
    assert INTERRUPTED == IN_DOUBT


async def test_shared_leads_are_posted_once_as_a_thread_of_cards(
    connect: ClientFactory, sandbox: RunningSandbox, redis_url: str
) -> None:
    settings = bot_settings(sandbox, redis_url, port=new_port())
    async with running_bot(sandbox, settings) as bot, connect(**TOKEN) as client:
        found = outcome_of(
            await client.call_tool("search_leads", {"description": DESCRIPTION, "wait_seconds": 30})
        )
        assert found.status == "completed"
        since = sandbox.slack.last_seq
        arguments = {
            "request_id": found.request_id,
            "channel": "#leads",
            "lead_positions": [5, 2, 3],
        }
        share = share_of(await client.call_tool("share_to_slack", arguments))
        assert share.shared
        assert share.channel_id == CHANNEL
        assert share.leads == 3
        assert share.message_ts is not None
        assert share.permalink
        assert share.permalink in share.next_action

        replies = await bot.delivered(share.message_ts, since, redis_url, needle="no new credit")
        parent = message_text(bot.parent(share.message_ts))
        assert "shared from an AI assistant" in parent
        thread = "\n".join(message_text(reply) for reply in replies)
        assert "3 leads shared from an AI assistant" in thread
        assert thread.count("lead_claim") == 0  # cards carry actions, not their IDs as text
        cards = [b for reply in replies for b in reply.blocks or [] if b.get("accessory")]
        assert len([b for b in cards if b["accessory"]["action_id"] == "lead_claim"]) == 3
        # The summary counts the 3 shared, not the search's 25.
        assert "*3 leads* chosen from the 25 found" in parent
        assert "3 new · 0 shared before" in parent
        assert "25 leads" not in parent

        # Export CSV: the file holds the 3 leads shared in this thread, and nothing else.
        since_export = sandbox.slack.last_seq
        await bot.click(bot.parent(share.message_ts), "thread_export", user=USER)
        shared = await sandbox.slack.wait_for(kind="file_shared", since=since_export, timeout=10)
        assert shared.thread_ts == share.message_ts
        data = sandbox.slack.files[shared.payload["file"]["id"]].content or b""
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        leads = await bot.runtime.store.get_results(found.request_id)
        assert leads is not None
        assert [row["position"] for row in rows] == ["2", "3", "5"]
        assert [row["post_url"] for row in rows] == [leads[i].post_url for i in (1, 2, 4)]
        assert {row["in_thread"] for row in rows} == {"yes"}
        told = await sandbox.slack.wait_for(
            lambda e: e.thread_ts == share.message_ts and "exported" in message_text(e.payload),
            kind="message_posted",
            since=since_export,
            timeout=10,
        )
        assert "exported this thread's 3 leads" in message_text(told.payload)

        # Asked again (an assistant retrying): the same post, nothing posted twice.
        again = share_of(await client.call_tool("share_to_slack", arguments))
        assert again.already_shared
        assert again.message_ts == share.message_ts
        parents = [
            e
            for e in sandbox.slack.events.events_since(since, "message_posted")
            if e.thread_ts is None and e.channel == CHANNEL
        ]
        assert len(parents) == 1


async def test_a_channel_without_the_bot_says_to_invite_it(
    connect: ClientFactory, sandbox: RunningSandbox, redis_url: str
) -> None:
    settings = bot_settings(sandbox, redis_url, port=new_port())
    async with running_bot(sandbox, settings), connect(**TOKEN) as client:
        found = outcome_of(
            await client.call_tool("search_leads", {"description": DESCRIPTION, "wait_seconds": 30})
        )
        error = error_of(
            await client.call_tool(
                "share_to_slack", {"request_id": found.request_id, "channel": "#random"}
            )
        )
        assert "/invite @Leads" in error
        assert "#random" in error


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"channel": "not a channel!"}, "is not a Slack channel"),
        ({"channel": "#leads", "lead_positions": [26]}, "between 1 and 25"),
        ({"channel": "#leads", "lead_positions": [0]}, "greater than or equal to 1"),
    ],
)
async def test_bad_arguments_are_refused_with_what_to_fix(
    connect: ClientFactory, arguments: dict[str, Any], says: str
) -> None:
    async with connect(**TOKEN) as client:
        found = outcome_of(
            await client.call_tool("search_leads", {"description": DESCRIPTION, "wait_seconds": 30})
        )
        result = await client.call_tool(
            "share_to_slack", {"request_id": found.request_id, **arguments}
        )
        assert says in error_of(result)


async def test_without_the_bot_token_the_tool_says_how_to_enable_it(
    connect: ClientFactory,
) -> None:
    async with connect() as client:
        result = await client.call_tool(
            "share_to_slack", {"request_id": "a" * 64, "channel": "#leads"}
        )
        error = error_of(result)
        assert "SLACK_BOT_TOKEN" in error
        assert "env" in error


async def test_a_share_job_that_died_right_after_posting_resumes_under_the_same_parent(
    connect: ClientFactory,
    sandbox: RunningSandbox,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = bot_settings(sandbox, redis_url, port=new_port())
    async with running_bot(sandbox, settings) as bot, connect(**TOKEN) as client:
        found = outcome_of(
            await client.call_tool("search_leads", {"description": DESCRIPTION, "wait_seconds": 30})
        )
        ctx: dict[str, Any] = {"services": bot.services}
        deliveries = bot.services.deliveries
        add = deliveries.add

        async def dies(*args: Any, **kwargs: Any) -> None:
            monkeypatch.setattr(deliveries, "add", add)  # the next run's process is whole
            raise Died

        monkeypatch.setattr(deliveries, "add", dies)
        since = sandbox.slack.last_seq
        with pytest.raises(Died):
            await share_to_slack(ctx, found.request_id, "#leads", [0, 1, 2], "Claude")
        (posted,) = parents_since(sandbox, since)  # the parent went up before the process died
        assert posted.ts is not None

        # arq runs the job again: it finishes the share under that parent, posting none.
        again = await share_to_slack(ctx, found.request_id, "#leads", [0, 1, 2], "Claude")
        assert again["ok"]
        assert again["message_ts"] == posted.ts
        assert not again["again"]
        replies = await bot.delivered(posted.ts, since, redis_url, needle="no new credit")
        thread = "\n".join(message_text(reply) for reply in replies)
        assert "3 leads shared from an AI assistant" in thread
        assert "*3 leads* chosen from the 25 found" in message_text(bot.parent(posted.ts))
        assert [e.ts for e in parents_since(sandbox, since)] == [posted.ts]


async def test_a_share_whose_post_answer_was_lost_is_not_posted_twice(
    connect: ClientFactory,
    sandbox: RunningSandbox,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = bot_settings(sandbox, redis_url, port=new_port())
    async with running_bot(sandbox, settings) as bot, connect(**TOKEN) as client:
        found = outcome_of(
            await client.call_tool("search_leads", {"description": DESCRIPTION, "wait_seconds": 30})
        )
        ctx: dict[str, Any] = {"services": bot.services}
        slack = bot.services.deliverer.slack
        post = slack.chat_postMessage

        async def posts_then_loses_the_answer(**kwargs: Any) -> None:
            monkeypatch.setattr(slack, "chat_postMessage", post)
            await post(**kwargs)  # Slack posted it...
            raise aiohttp.ServerDisconnectedError()  # ...and its answer never came back

        monkeypatch.setattr(slack, "chat_postMessage", posts_then_loses_the_answer)
        since = sandbox.slack.last_seq
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await share_to_slack(ctx, found.request_id, "#leads", [0, 1, 2], "Claude")
        assert len(parents_since(sandbox, since)) == 1

        # Run again, the job cannot know whether the post is up: it posts nothing...
        again = await share_to_slack(ctx, found.request_id, "#leads", [0, 1, 2], "Claude")
        assert again == {"ok": False, "error": IN_DOUBT}
        # ...and the assistant asking again is told to look in the channel first.
        arguments = {
            "request_id": found.request_id,
            "channel": "#leads",
            "lead_positions": [1, 2, 3],
        }
        error = error_of(await client.call_tool("share_to_slack", arguments))
        assert "it may already be in #leads" in error
        assert "call share_to_slack again in 10 minutes" in error
        assert len(parents_since(sandbox, since)) == 1
