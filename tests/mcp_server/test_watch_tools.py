"""The watch tools through the official MCP client: create, list, delete, and
get_new_leads cursors over runs driven against the sandbox and a real Redis."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import CallToolResult
from pydantic import SecretStr

from bot.watching import CREATE_JOB as BOT_CREATE_JOB
from mcp_server.models import NewLeads, WatchList, WatchOutcome
from mcp_server.watches import CREATE_JOB
from sandbox.embedded import RunningSandbox
from sandbox.slack import DEFAULT_TOKEN
from shared.runtime import Runtime
from shared.watch.runner import RunOutcome, SeenSetDelivery, WatchRunner
from tests.bot.support import CHANNEL, bot_settings, message_text, new_port, running_bot
from tests.mcp_server.support import DESCRIPTION, error_of, text_of

pytestmark = pytest.mark.integration


def structured(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    content: dict[str, Any] | None = result.structured_content
    assert content is not None
    return content


async def run_once(runtime: Runtime, watch_id: str) -> None:
    """What a bot worker does when the watch falls due: one run, to its end."""
    await runtime.watches.run_now(watch_id)
    [run_id] = await runtime.watches.claim_due(limit=10, recheck=30)
    runner, delivery = (
        WatchRunner(runtime.watches, runtime.service),
        SeenSetDelivery(runtime.watches),
    )
    while await runner.run(run_id, delivery) is RunOutcome.WAITING:
        request_id = (await runtime.watches.progress(run_id))["request_id"]
        await runtime.service.wait(request_id, timeout=15)


def test_the_job_names_agree() -> None:
    assert CREATE_JOB == BOT_CREATE_JOB


async def test_get_new_leads_pages_with_cursors_across_runs(connect: Any, runtime: Runtime) -> None:
    async with connect() as client:
        created = WatchOutcome.model_validate(
            structured(
                await client.call_tool(
                    "create_watch", {"description": DESCRIPTION, "schedule": "daily"}
                )
            )
        )
        watch_id = created.watch.watch_id
        assert created.watch.channel_id is None
        assert created.max_requests_per_run == 10
        assert f'get_new_leads(watch_id="{watch_id}")' in created.next_action
        empty = NewLeads.model_validate(
            structured(await client.call_tool("get_new_leads", {"watch_id": watch_id}))
        )
        assert (empty.returned, empty.next_cursor, empty.truncated) == (0, None, False)

        await run_once(runtime, watch_id)
        names: list[str | None] = []
        cursor: str | None = None
        while True:
            args: dict[str, Any] = {"watch_id": watch_id, "max_results": 10}
            if cursor:
                args["cursor"] = cursor
            page = NewLeads.model_validate(
                structured(await client.call_tool("get_new_leads", args))
            )
            names += [lead.author.name for lead in page.leads]
            cursor = page.next_cursor
            if not page.truncated:
                break
            assert page.returned == 10
            assert cursor is not None
            assert f'cursor="{cursor}"' in page.next_action
        assert len(names) == 25  # the first run reports everyone, once
        assert len(set(names)) == len(names)

        # A second run finds the same people: nothing new since the cursor.
        await run_once(runtime, watch_id)
        again = NewLeads.model_validate(
            structured(
                await client.call_tool("get_new_leads", {"watch_id": watch_id, "cursor": cursor})
            )
        )
        assert (again.returned, again.next_cursor) == (0, cursor)

        listed = WatchList.model_validate(structured(await client.call_tool("list_watches", {})))
        [summary] = listed.watches
        assert (summary.last_run, summary.last_new, summary.last_seen) == ("nothing_new", 0, 25)
        assert summary.credits_30_days == 2

        deleted = await client.call_tool("delete_watch", {"watch_id": watch_id})
        assert f"Watch {watch_id} is deleted." in text_of(deleted)
        gone = await client.call_tool("get_new_leads", {"watch_id": watch_id})
        assert f"No watch {watch_id}. Call list_watches" in error_of(gone)


async def test_bad_watch_input_gets_actionable_errors(connect: Any) -> None:
    async with connect() as client:
        bad_id = await client.call_tool("get_new_leads", {"watch_id": "nope"})
        assert "'nope' is not a watch ID (they look like w1a2b3c4d)." in error_of(bad_id)
        created = structured(
            await client.call_tool(
                "create_watch", {"description": DESCRIPTION, "schedule": "weekly"}
            )
        )
        watch_id = created["watch"]["watch_id"]
        bad_cursor = await client.call_tool(
            "get_new_leads", {"watch_id": watch_id, "cursor": "yesterday"}
        )
        assert "That cursor is not one get_new_leads gave" in error_of(bad_cursor)
        short = await client.call_tool("create_watch", {"description": "CTOs", "schedule": "daily"})
        assert "The description must be 10–2000 characters; got 4." in error_of(short)
        slack = await client.call_tool(
            "create_watch", {"description": DESCRIPTION, "schedule": "daily", "channel": "C0X"}
        )
        assert "SLACK_BOT_TOKEN" in error_of(slack)
        missing = await client.call_tool("delete_watch", {"watch_id": "w00000000"})
        assert "No watch w00000000 here." in error_of(missing)


async def test_list_watches_shows_a_typed_description_under_the_text_policy(
    connect: Any,
) -> None:
    # Before: a description typed with a bidi override, a zero-width space, a TAG character
    # (U+E0041, invisible instructions) and U+2060 came back to the model unchanged.
    typed = "CTOs\u202e at\u200b fintech\U000e0041 firms\u2060 moving to the cloud"
    async with connect() as client:
        created = structured(
            await client.call_tool("create_watch", {"description": typed, "schedule": "weekly"})
        )
        listed = await client.call_tool("list_watches", {})
    shown = "CTOs at fintech firms moving to the cloud"
    assert created["watch"]["description"] == shown
    [summary] = structured(listed)["watches"]
    assert summary["description"] == shown
    assert text_of(listed) == f"{summary['watch_id']} · weekly · active · {shown}"


async def test_a_watch_past_the_budget_is_refused_with_the_numbers(connect: Any) -> None:
    # 20 requests an hour, half for watches, 10 a run: one hourly watch.
    async with connect(leads_rate_limit_per_hour=20) as client:
        first = await client.call_tool(
            "create_watch", {"description": DESCRIPTION, "schedule": "hourly"}
        )
        assert not first.is_error, text_of(first)
        refused = await client.call_tool(
            "create_watch", {"description": DESCRIPTION, "schedule": "daily"}
        )
        assert (
            "Not enough API budget for a daily watch: this key sustains about 1 hourly runs; "
            "watches without a channel already use 1 (all watches on this key: 1)."
        ) in error_of(refused)


async def test_a_watch_for_a_channel_is_made_by_the_bot_and_announced_there(
    connect: Any, sandbox: RunningSandbox, redis_url: str
) -> None:
    settings = bot_settings(sandbox, redis_url, port=new_port())
    token = {"slack_bot_token": SecretStr(DEFAULT_TOKEN)}
    async with running_bot(sandbox, settings) as bot, connect(**token) as client:
        since = sandbox.slack.last_seq
        created = WatchOutcome.model_validate(
            structured(
                await client.call_tool(
                    "create_watch",
                    {"description": DESCRIPTION, "schedule": "weekly", "channel": CHANNEL},
                )
            )
        )
        assert created.watch.channel_id == CHANNEL
        card = await sandbox.slack.wait_for(
            lambda e: e.channel == CHANNEL and e.thread_ts is None,
            kind="message_posted",
            since=since,
        )
        assert f"ID `{created.watch.watch_id}`" in message_text(card.payload)
        # It is the channel's watch: /leads watches there lists it.
        scope = f"{sandbox.slack.team_id}:{CHANNEL}"
        listed = await bot.runtime.watches.in_scope(scope)
        assert [w.watch_id for w in listed] == [created.watch.watch_id]

        outside = await client.call_tool(
            "create_watch",
            {"description": DESCRIPTION, "schedule": "weekly", "channel": "C0RANDOM"},
        )
        assert "The Leads bot is not in C0RANDOM" in error_of(outside)
        assert "/invite @Leads" in error_of(outside)
        assert len(await bot.runtime.watches.in_scope(f"{sandbox.slack.team_id}:C0RANDOM")) == 0
