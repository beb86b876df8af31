"""The event log: reading, waiting with deadlines, following, and the admin long-poll."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import EventLog, SlackState
from tests.sandbox.slack.support import Sandbox


async def test_wait_for_returns_a_past_event_at_once() -> None:
    log = EventLog()
    log.append("message_posted", channel="C1", ts="1.1")
    event = await log.wait_for(lambda e: e.channel == "C1", timeout=0.01)
    assert (event.seq, event.kind) == (1, "message_posted")


async def test_wait_for_wakes_on_a_new_event() -> None:
    log = EventLog()
    waiting = asyncio.create_task(log.wait_for(kind="file_shared", timeout=5))
    log.append("message_posted", channel="C1")  # not the kind awaited
    await asyncio.sleep(0)  # let the waiter see it and go back to waiting
    log.append("file_shared", channel="C1")
    event = await waiting
    assert (event.seq, event.kind) == (2, "file_shared")


async def test_wait_for_honours_since_and_its_deadline() -> None:
    log = EventLog()
    log.append("message_posted")
    with pytest.raises(TimeoutError):
        await log.wait_for(kind="message_posted", since=log.last_seq, timeout=0.05)


async def test_subscribe_follows_the_log() -> None:
    log = EventLog()
    log.append("message_posted", ts="1")
    seen: list[str | None] = []

    async def follow() -> None:
        async for event in log.subscribe():
            seen.append(event.ts)
            if len(seen) == 3:
                return

    follower = asyncio.create_task(follow())
    log.append("message_updated", ts="2")
    log.append("message_deleted", ts="3")
    await asyncio.wait_for(follower, timeout=5)
    assert seen == ["1", "2", "3"]


async def test_posting_records_events_in_order(client: AsyncWebClient, state: SlackState) -> None:
    posted = await client.chat_postMessage(channel="C0LEADS", text="queued")
    await client.chat_update(channel="C0LEADS", ts=posted["ts"], text="done")
    reply = await client.chat_postMessage(channel="C0LEADS", text="r", thread_ts=posted["ts"])
    await client.chat_postEphemeral(channel="C0LEADS", user="U0ALICE", text="psst")
    await client.chat_delete(channel="C0LEADS", ts=reply["ts"])
    kinds = [(e.seq, e.kind) for e in state.events.events_since(0)]
    assert kinds == [
        (1, "message_posted"),
        (2, "message_updated"),
        (3, "message_posted"),
        (4, "ephemeral_posted"),
        (5, "message_deleted"),
    ]
    update = state.events.events_since(1)[0]
    assert update.payload["text"] == "done"
    assert state.events.events_since(2)[0].thread_ts == posted["ts"]


async def test_admin_events_long_poll(
    sandbox: Sandbox, http: aiohttp.ClientSession, client: AsyncWebClient, state: SlackState
) -> None:
    async def poll() -> dict[str, object]:
        async with http.get(f"{sandbox.base_url}/_admin/events?since=0&wait=5") as response:
            return dict(await response.json())

    polling = asyncio.create_task(poll())
    await client.chat_postMessage(channel="C0LEADS", text="news")
    answer = await asyncio.wait_for(polling, timeout=10)
    events = answer["events"]
    assert isinstance(events, list)
    assert events[0]["kind"] == "message_posted"
    assert events[0]["payload"]["text"] == "news"

    async with http.get(f"{sandbox.base_url}/_admin/events?since=1&kind=message_posted") as r:
        assert (await r.json())["events"] == []


async def test_admin_channel_views(
    sandbox: Sandbox, http: aiohttp.ClientSession, client: AsyncWebClient
) -> None:
    parent = await client.chat_postMessage(channel="C0LEADS", text="parent")
    await client.chat_postMessage(channel="C0LEADS", text="reply", thread_ts=parent["ts"])
    await client.chat_postEphemeral(channel="C0LEADS", user="U0BOB", text="only bob")

    async with http.get(f"{sandbox.base_url}/_admin/channels/C0LEADS/messages") as r:
        listing = await r.json()
    assert [m["text"] for m in listing["messages"]] == ["parent"]
    assert [m["text"] for m in listing["messages"][0]["replies"]] == ["reply"]
    assert listing["ephemerals"][0]["user"] == "U0BOB"

    async with http.get(f"{sandbox.base_url}/_admin/channels") as r:
        channels = {c["id"]: c for c in (await r.json())["channels"]}
    assert channels["C0RANDOM"]["members"] == ["U0ALICE", "U0BOB"]

    async with http.get(f"{sandbox.base_url}/_admin/channels/C0LEADS/transcript") as r:
        transcript = await r.text()
    assert "parent" in transcript
    assert "    │ reply" in transcript
    assert "(only visible to @bob)" in transcript
