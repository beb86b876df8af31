"""Hostile or broken callbacks, one row each: the answer, and that nothing was taken as news."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import redis.asyncio as aioredis

from sandbox.embedded import RunningSandbox
from tests.bot.support import (
    DESCRIPTION,
    KEYS,
    NO_POLLS,
    BotUnderTest,
    api_outcome,
    bot_settings,
    callback_url,
    new_port,
    one_result_description,
    running_bot,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

TEN_MB = 10 * 1024 * 1024


@dataclass(frozen=True)
class Search:
    """A search started from /leads on a bot the API can call back (but never does)."""

    since: int
    parent_ts: str
    request_id: str
    url: str


@dataclass(frozen=True)
class Answer:
    status: int
    outcome: str | None


@pytest.fixture
async def bot(sandbox: RunningSandbox, redis_url: str) -> AsyncIterator[BotUnderTest]:
    """A bot the API could call back; the API drops its callbacks and nobody polls, so the
    only news of a search is what a row sends."""
    sandbox.faults.update({"drop_callbacks": 1})
    port = new_port()
    settings = bot_settings(
        sandbox, redis_url, port=port, public_base_url=f"http://127.0.0.1:{port}"
    )
    async with running_bot(sandbox, settings, schedule=NO_POLLS) as running:
        yield running


async def start(
    bot: BotUnderTest, redis_url: str, description: str = DESCRIPTION, *, after: str = ""
) -> Search:
    """Run /leads; ``after``: the search before it, so its own is the one found."""
    since, parent = await bot.search(description)
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:

        async def newest() -> str | None:
            ids = await client.zrevrange(KEYS.recent, 0, 0)
            return str(ids[0]) if ids and ids[0] != after else None

        request_id = await wait_until(newest, message="the search recorded in Redis")
    finally:
        await client.aclose()
    assert request_id is not None
    return Search(since, parent.ts, request_id, await callback_url(bot.sandbox, request_id))


async def post(bot: BotUnderTest, url: str, body: str | bytes) -> Answer:
    answer = await bot.http.post(url, content=body)
    return Answer(answer.status_code, answer.json().get("outcome"))


def completed(request_id: str) -> str:
    return json.dumps({"request_id": request_id, "status": "completed", "results": []})


# -- the rows ---------------------------------------------------------------------------------


async def invalid_json(bot: BotUnderTest, redis_url: str, search: Search) -> Answer:
    return await post(bot, search.url, '{"request_id": "' + search.request_id + '", ')


async def wrong_types(bot: BotUnderTest, redis_url: str, search: Search) -> Answer:
    body = {"request_id": search.request_id, "status": 3, "results": "all of them"}
    return await post(bot, search.url, json.dumps(body))


async def missing_fields(bot: BotUnderTest, redis_url: str, search: Search) -> Answer:
    return await post(bot, search.url, json.dumps({"request_id": search.request_id}))


async def ten_mb_chunked(bot: BotUnderTest, redis_url: str, search: Search) -> Answer:
    """10 MB sent chunked (no Content-Length): answered before it is all read.

    The sender stops after 2 MiB (over the 1 MiB cap) until it has its answer, so a bot
    that read the whole body first would never answer in time; then it sends the rest,
    which the server drops without resetting the connection.
    """
    target = urlsplit(search.url)
    assert target.hostname is not None
    assert target.port is not None
    reader, writer = await asyncio.open_connection(target.hostname, target.port)
    chunk = b"x" * (64 * 1024)
    try:
        writer.write(
            f"POST {target.path} HTTP/1.1\r\nHost: leads\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        sent = 0
        while sent < 2 * 1024 * 1024:
            writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
            await writer.drain()
            sent += len(chunk)
        status_line = await asyncio.wait_for(reader.readline(), timeout=10)
        while sent < TEN_MB:
            writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
            await writer.drain()
            sent += len(chunk)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
    finally:
        writer.close()
    return Answer(int(status_line.split()[1]), None)


async def unknown_token(bot: BotUnderTest, redis_url: str, search: Search) -> Answer:
    forged = search.url.rsplit("/", 1)[0] + "/" + "x" * 43
    return await post(bot, forged, completed(search.request_id))


async def another_searchs_request_id(bot: BotUnderTest, redis_url: str, search: Search) -> Answer:
    other = await start(bot, redis_url, one_result_description(), after=search.request_id)
    # This search's valid token, with the other (real) search's finished body.
    body = json.dumps(await api_outcome(bot.sandbox, other.request_id))
    before = await bot.runtime.service.get(other.request_id)
    assert before is not None
    answer = await post(bot, search.url, body)
    # The other search is intact: the same search, in the same state or finished on its own
    # (its own callback or the sweep may land meanwhile), never in a state it never had.
    after = await bot.runtime.service.get(other.request_id)
    assert after is not None
    assert after.request_id == before.request_id
    assert after == before or after.is_terminal
    return answer


async def replay_after_delivery(bot: BotUnderTest, redis_url: str, search: Search) -> Answer:
    body = json.dumps(await api_outcome(bot.sandbox, search.request_id))
    first = await post(bot, search.url, body)
    assert first == Answer(200, "accepted")
    replies = await bot.delivered(search.parent_ts, search.since, redis_url)
    assert replies
    after_delivery = bot.sandbox.slack.last_seq
    replay = await post(bot, search.url, body)
    # Let anything the replay might have queued run, then check nothing was posted.
    await bot.delivered(search.parent_ts, search.since, redis_url)
    assert bot.replies(search.parent_ts) == replies
    posted = [
        e
        for e in bot.sandbox.slack.events.events_since(after_delivery)
        if e.kind == "message_posted"
    ]
    assert posted == []
    return replay


Row = Callable[[BotUnderTest, str, Search], Awaitable[Answer]]

ROWS: list[tuple[Row, Answer, bool]] = [
    # (what is sent, the answer, whether the search may be finished afterwards)
    (invalid_json, Answer(400, "invalid_body"), False),
    (wrong_types, Answer(400, "invalid_body"), False),
    (missing_fields, Answer(400, "invalid_body"), False),
    (ten_mb_chunked, Answer(413, None), False),
    (unknown_token, Answer(404, "unknown_token"), False),
    (another_searchs_request_id, Answer(409, "mismatched_request"), False),
    (replay_after_delivery, Answer(200, "duplicate"), True),
]


@pytest.mark.parametrize(("row", "expected", "finishes"), ROWS, ids=[r[0].__name__ for r in ROWS])
async def test_hostile_callbacks(
    bot: BotUnderTest, redis_url: str, row: Row, expected: Answer, finishes: bool
) -> None:
    search = await start(bot, redis_url)
    assert await row(bot, redis_url, search) == expected
    record = await bot.runtime.service.get(search.request_id)
    assert record is not None
    assert record.is_terminal is finishes  # a refused callback is never taken as news
