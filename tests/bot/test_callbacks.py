"""``POST /callbacks/nyne/<token>``: checked, persisted, answered fast, delivered once."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis.asyncio as aioredis

from sandbox.embedded import RunningSandbox
from shared.logs import KeyValueFormatter
from shared.polling import PollSchedule
from shared.state.store import CALLBACK_GRACE_SECONDS, token_digest
from tests.bot.support import (
    DESCRIPTION,
    FAST_POLLS,
    KEYS,
    NO_POLLS,
    ONE_SET_OF_25,
    BotUnderTest,
    api_outcome,
    bot_settings,
    callback_url,
    headings,
    latest_request_id,
    message_text,
    new_port,
    running_bot,
    settled,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


@asynccontextmanager
async def reachable_bot(
    sandbox: RunningSandbox, redis_url: str, schedule: PollSchedule = FAST_POLLS
) -> AsyncIterator[BotUnderTest]:
    """A bot the API can reach: its searches carry a callback URL to it."""
    port = new_port()
    public = f"http://127.0.0.1:{port}"
    settings = bot_settings(sandbox, redis_url, port=port, public_base_url=public)
    async with running_bot(sandbox, settings, schedule=schedule) as bot:
        yield bot


@pytest.fixture
async def callback_bot(sandbox: RunningSandbox, redis_url: str) -> AsyncIterator[BotUnderTest]:
    async with reachable_bot(sandbox, redis_url) as bot:
        yield bot


@dataclass(frozen=True)
class Started:
    """A search started from /leads on a bot the API can call back."""

    since: int
    """The stand-in's event sequence number before the command."""
    parent_ts: str
    request_id: str
    callback_url: str

    async def finished_body(self, sandbox: RunningSandbox) -> str:
        """The callback body the API sends once the search is over (waits for that)."""
        return json.dumps(await api_outcome(sandbox, self.request_id))


async def start_search(bot: BotUnderTest, redis_url: str) -> Started:
    """Run /leads and find the search's request ID and callback URL."""
    since, parent = await bot.search(DESCRIPTION)
    request_id = await latest_request_id(redis_url)
    url = await callback_url(bot.sandbox, request_id)
    assert url.startswith(f"{bot.url}/callbacks/nyne/")
    return Started(since, parent.ts, request_id, url)


async def test_forged_invalid_mismatched_and_oversized_callbacks_are_refused(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    sandbox.faults.update({"drop_callbacks": 1})
    async with reachable_bot(sandbox, redis_url, schedule=NO_POLLS) as bot:
        await _refusals(bot, redis_url)


async def _refusals(bot: BotUnderTest, redis_url: str) -> None:
    started = await start_search(bot, redis_url)
    request_id, url = started.request_id, started.callback_url
    body = json.dumps({"request_id": request_id, "status": "completed", "results": []})
    base = url.rsplit("/", 1)[0]

    forged = await bot.http.post(f"{base}/forged-token-{'x' * 40}", content=body)
    assert forged.status_code == 404
    assert forged.json() == {"ok": False, "outcome": "unknown_token"}

    for invalid in ("{not json", '{"status": 3}', "[]", ""):
        answer = await bot.http.post(url, content=invalid)
        assert answer.status_code == 400, invalid

    other = json.dumps({"request_id": "f" * 64, "status": "completed", "results": []})
    mismatched = await bot.http.post(url, content=other)
    assert mismatched.status_code == 409

    huge = json.dumps({"request_id": request_id, "status": "completed", "pad": "x" * 1_100_000})
    oversized = await bot.http.post(url, content=huge)
    assert oversized.status_code == 413

    record = await bot.runtime.service.get(request_id)
    assert record is not None
    assert not record.is_terminal  # none of the above was taken for news of the search


async def test_a_sender_without_a_valid_token_is_refused_before_its_body_is_read(
    callback_bot: BotUnderTest,
) -> None:
    # Before: the body was read first (up to the 1 MiB cap, then drained), so a stranger
    # announcing 50 MB and sending it slowly held the handler and got no answer at all.
    url = urlsplit(callback_bot.url)
    assert url.hostname is not None
    assert url.port is not None
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        writer.write(
            b"POST /callbacks/nyne/forged-token HTTP/1.1\r\n"
            b"Host: leads\r\nContent-Type: application/json\r\n"
            b"Content-Length: 50000000\r\n\r\n{"  # one byte of the 50 MB it announces
        )
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), timeout=10)
    finally:
        writer.close()
    assert status.startswith(b"HTTP/1.1 404 ")


async def test_duplicate_callbacks_and_a_racing_sweep_deliver_once(
    callback_bot: BotUnderTest, redis_url: str
) -> None:
    bot = callback_bot
    # The API itself sends its callback twice; we send five more at once; the sweep polls too.
    bot.sandbox.faults.update({"duplicate_callbacks": 1})
    started = await start_search(bot, redis_url)
    body = await started.finished_body(bot.sandbox)
    url = started.callback_url
    answers = await asyncio.gather(*(bot.http.post(url, content=body) for _ in range(5)))
    assert [a.status_code for a in answers] == [200] * 5
    assert {a.json()["outcome"] for a in answers} <= {"accepted", "duplicate"}

    replies = await bot.delivered(started.parent_ts, started.since, redis_url)
    assert headings(replies) == ONE_SET_OF_25

    def api_attempts() -> list[Any]:
        log = bot.sandbox.callbacks(started.request_id) or {}
        attempts = log.get("attempts")
        if not isinstance(attempts, list) or not any(a["duplicate"] for a in attempts):
            return []
        return attempts

    attempts = await wait_until(api_attempts, message="the API's own duplicate callback")
    # Both the callback and its duplicate were answered 200. The API gives up on an answer
    # after 30 s / 200 = 0.15 s and tries again: a busy machine can be slower than that.
    answered = [attempt["status"] for attempt in attempts if attempt["status"] is not None]
    assert answered == [200, 200], attempts
    assert all(a["error"].startswith("timeout") for a in attempts if a["status"] is None)
    await wait_until(lambda: settled(redis_url), message="the duplicate to settle")
    assert headings(bot.replies(started.parent_ts)) == ONE_SET_OF_25


async def test_the_callback_answers_before_slack_and_delivers_in_the_background(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    """The callback's answer does not wait for Slack: it comes back while Slack still holds
    the thread replies off (a 429 asking for 3 s), and they follow in the background. (How
    fast the answer is, under load, is measured by ``make bench``: bench/bench_slack_bot.py.)"""
    sandbox.faults.update({"drop_callbacks": 1})
    # No polls: only this callback can finish the search, so nothing is posted before it.
    async with reachable_bot(sandbox, redis_url, schedule=NO_POLLS) as bot:
        started = await start_search(bot, redis_url)
        body = await started.finished_body(bot.sandbox)
        bot.sandbox.slack.faults.rate_limit("chat.postMessage", count=1, retry_after=3)
        answer = await bot.http.post(started.callback_url, content=body)
        assert answer.status_code == 200
        assert answer.json()["outcome"] == "accepted"
        assert bot.replies(started.parent_ts) == []  # Slack has not taken a reply yet
        assert not await settled(redis_url)
        replies = await bot.delivered(started.parent_ts, started.since, redis_url)
        assert headings(replies) == ONE_SET_OF_25


async def test_without_the_callback_the_sweep_delivers_the_same_way(
    callback_bot: BotUnderTest, redis_url: str
) -> None:
    bot = callback_bot
    bot.sandbox.faults.update({"drop_callbacks": 1})  # the callback never comes
    started = await start_search(bot, redis_url)
    replies = await bot.delivered(started.parent_ts, started.since, redis_url)
    assert headings(replies) == ONE_SET_OF_25
    record = await bot.runtime.service.get(started.request_id)
    assert record is not None
    assert record.has_callback
    assert record.polls >= 1


async def test_a_finished_searchs_token_takes_late_retries_then_dies(
    callback_bot: BotUnderTest, redis_url: str
) -> None:
    # Before: the token stayed valid for a week after its search was done.
    bot = callback_bot
    bot.sandbox.faults.update({"drop_callbacks": 1})
    started = await start_search(bot, redis_url)
    body = await started.finished_body(bot.sandbox)
    token = started.callback_url.rsplit("/", 1)[1]
    key = KEYS.token(token_digest(token))

    first = await bot.http.post(started.callback_url, content=body)
    assert first.json() == {"ok": True, "outcome": "accepted"}
    # The API retrying right after (it missed our answer): still a 2xx, so it stops.
    retry = await bot.http.post(started.callback_url, content=body)
    assert retry.status_code == 200
    assert retry.json() == {"ok": True, "outcome": "duplicate"}

    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        assert 0 < await client.ttl(key) <= CALLBACK_GRACE_SECONDS <= 400
        await bot.delivered(started.parent_ts, started.since, redis_url)
        await client.delete(key)  # stands in for the grace running out
    finally:
        await client.aclose()
    late = await bot.http.post(started.callback_url, content=body)
    assert late.status_code == 404
    assert late.json() == {"ok": False, "outcome": "unknown_token"}


def tiny_leads(count: int) -> list[dict[str, Any]]:
    """Leads as small as the API may send them: a URL, a word and a name."""
    return [
        {
            "platform": "linkedin",
            "post_url": f"https://www.linkedin.com/feed/update/urn:li:activity:{n}",
            "post_content": "hi",
            "author": {"name": f"Person {n}", "username": f"person{n}"},
        }
        for n in range(count)
    ]


async def test_a_callback_with_150_leads_posts_the_first_100_and_says_so(
    callback_bot: BotUnderTest, redis_url: str
) -> None:
    # Before: every lead was posted; 1,000 tiny ones became 63 thread messages.
    bot = callback_bot
    bot.sandbox.faults.update({"drop_callbacks": 1})
    started = await start_search(bot, redis_url)
    body = json.loads(await started.finished_body(bot.sandbox))
    body.update(results=tiny_leads(150), results_count=150)
    answer = await bot.http.post(started.callback_url, content=json.dumps(body))
    assert answer.status_code == 200

    replies = await bot.delivered(started.parent_ts, started.since, redis_url)
    spans = headings(replies)
    assert spans
    assert all(span.endswith(" of 100") for span in spans)  # the thread holds 100 cards
    assert spans[-1].endswith("–100 of 100")
    parent = message_text(bot.parent(started.parent_ts))
    assert "150 leads found* — the first 100 are in the thread (50 left out)" in parent
    record = await bot.runtime.service.get(started.request_id)
    assert record is not None
    assert record.results_count == 150  # as the API said


async def test_a_forged_path_with_control_characters_logs_one_escaped_line(
    callback_bot: BotUnderTest,
) -> None:
    # Before: the URL-decoded path reached the key=value log raw, so a stranger could
    # overwrite a log line (CR) or send escape sequences to whoever reads the log (ESC).
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        answer = await callback_bot.http.post(
            f"{callback_bot.url}/callbacks/nyne/%0dFAKE%09x%1b[31m", content="{}"
        )
    finally:
        root.removeHandler(handler)
    assert answer.status_code == 404  # the sender learns only that the token is unknown
    logged = [line for line in lines.getvalue().splitlines() if "unknown token" in line]
    assert len(logged) == 1
    (line,) = logged
    assert 'path="/callbacks/nyne/\\rFAKE\\tx\\x1b[31m"' in line
    captured = lines.getvalue()
    assert all(line.startswith("ts=") for line in captured.splitlines())  # no forged line
    assert not [c for c in "\r\t\x1b" if c in captured]
