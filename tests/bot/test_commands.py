"""``/leads`` over real HTTP: signatures, help, bad input, status, channels the bot is not in."""

from __future__ import annotations

import secrets
import time

import pytest

from sandbox.api.clock import ManualClock
from sandbox.embedded import SandboxConfig, start_sandbox
from sandbox.slack import validate_blocks
from tests.bot.support import (
    BOB,
    DESCRIPTION,
    SIGNING_SECRET,
    BotUnderTest,
    api_requests,
    bot_settings,
    latest_request_id,
    message_text,
    new_port,
    running_bot,
    searches_made,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("secret", "age"),
    [
        ("not-the-signing-secret", 0),  # forged
        (SIGNING_SECRET, 400),  # stale: more than 5 minutes old
        (SIGNING_SECRET, -400),  # from the future
    ],
)
async def test_unsigned_forged_or_stale_requests_are_refused(
    bot: BotUnderTest, secret: str, age: int
) -> None:
    response = await bot.slash(DESCRIPTION, secret=secret, timestamp=int(time.time()) - age)
    assert response.status_code == 401
    assert await searches_made(bot.sandbox) == 0


async def test_missing_or_malformed_signature_headers_are_refused(bot: BotUnderTest) -> None:
    body = b"command=%2Fleads&text=hello+there+friends"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    no_headers = await bot.http.post(f"{bot.url}/slack/events", content=body, headers=form)
    assert no_headers.status_code == 401
    bad_stamp = await bot.http.post(
        f"{bot.url}/slack/events",
        content=body,
        headers={**form, "X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
    )
    assert bad_stamp.status_code == 401


async def test_the_ack_does_not_wait_for_the_search(bot: BotUnderTest) -> None:
    """The ack comes back while the API is still taking the search, even when the API takes
    Slack's whole 3 s to answer; the search then carries on. (How fast the ack is, under
    load, is measured by ``make bench``: bench/bench_slack_bot.py.)"""
    await bot.slash("help")  # the first request pays for Bolt's one auth.test
    bot.sandbox.faults.update({"latency_ms": 3000})
    since = bot.sandbox.slack.last_seq
    response = await bot.slash(DESCRIPTION)
    assert response.status_code == 200
    assert await searches_made(bot.sandbox) == 0  # the submission is still on its way
    bot.sandbox.faults.update({"latency_ms": 0})
    await bot.parent_posted(since)

    async def submitted() -> bool:
        return await searches_made(bot.sandbox) == 1

    await wait_until(submitted, message="the search to reach the API")


async def test_help(bot: BotUnderTest) -> None:
    for text in ("help", ""):
        response = await bot.slash(text)
        assert response.status_code == 200
        body = response.json()
        assert body["response_type"] == "ephemeral"
        assert validate_blocks(body["blocks"]) == []
        shown = message_text(body)
        assert "/leads &lt;description&gt;" in shown
        assert "10–2,000 characters" in shown
        assert "status" in shown
        # Every button the bot shows is named: the cards', the summary's, the watch list's.
        for button in ("Claim", "Release", "Not relevant", "Undo", "Export CSV", "Home"):
            assert button in shown
        assert "(Pause/Resume, Run now, Delete)" in shown


@pytest.mark.parametrize(
    ("typed", "problem"),
    [("too short", "too short (9 characters)"), ("x" * 2001, "too long (2,001 characters)")],
)
async def test_a_bad_description_gets_the_limits_and_costs_nothing(
    bot: BotUnderTest, typed: str, problem: str
) -> None:
    since = bot.sandbox.slack.last_seq
    response = await bot.slash(typed)
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert problem in body["text"]
    assert "10–2,000 characters" in body["text"]
    assert validate_blocks(body["blocks"]) == []
    assert await searches_made(bot.sandbox) == 0
    assert bot.sandbox.slack.events.events_since(since) == []  # nothing posted anywhere


async def test_entities_count_as_one_character_each(bot: BotUnderTest) -> None:
    # "A&B <x> y" is 9 characters as typed, though Slack sends it as 21.
    response = await bot.slash("A&B <x> y")
    assert "too short (9 characters)" in response.json()["text"]


@pytest.mark.parametrize(
    ("text", "told"),
    [
        ("watch", "Say how often and what to look for."),
        ("watch daily CTOs", "too short (4 characters)"),
        ("unwatch w-1", "'w-1' is not a watch ID (they look like w1a2b3c4d)."),
        ("unwatch", "is not a watch ID"),
    ],
)
async def test_malformed_watch_commands_are_answered_at_once_and_never_searched(
    bot: BotUnderTest, text: str, told: str
) -> None:
    response = await bot.slash(text)
    assert told in response.json()["text"]
    assert await searches_made(bot.sandbox) == 0


async def test_a_description_containing_payload_is_still_a_command(bot: BotUnderTest) -> None:
    # Bolt would read any form body containing "payload" as an interactivity payload.
    _, parent = await bot.search("security engineers discussing payload encryption")
    assert "payload encryption" in message_text(parent.payload)


async def test_not_in_the_channel_tells_how_to_invite_and_calls_no_api(
    bot: BotUnderTest,
) -> None:
    since = bot.sandbox.slack.last_seq
    response = await bot.slash(DESCRIPTION, channel="C0RANDOM")
    assert response.status_code == 200
    event = await bot.ephemeral(since)
    assert event.channel == "C0RANDOM"
    assert event.user == "U0ALICE"
    assert event.payload["source"] == "response_url"
    assert "/invite @Leads" in message_text(event.payload)
    assert validate_blocks(event.payload["blocks"]) == []
    assert await searches_made(bot.sandbox) == 0
    assert not [
        e for e in bot.sandbox.slack.events.events_since(since) if e.kind == "message_posted"
    ]


async def test_status_of_a_known_search(bot: BotUnderTest, redis_url: str) -> None:
    since, parent = await bot.search(DESCRIPTION)
    await bot.parent_says(parent.ts, "leads*", since=since)
    request_id = await latest_request_id(redis_url)
    since = bot.sandbox.slack.last_seq
    await bot.slash(f"status {request_id}")
    event = await bot.ephemeral(since)
    shown = message_text(event.payload)
    assert request_id in shown
    assert "completed" in shown
    assert "25 leads" in shown
    assert "<@U0ALICE> in <#C0LEADS>" in shown
    assert validate_blocks(event.payload["blocks"]) == []


async def test_status_of_random_ids_is_limited_per_person(redis_url: str) -> None:
    # On an API clock that stands still, its rate-limit window counts every request made
    # (at speed 200 a real one lasts 0.3 s: a busy machine let requests leave it mid-test).
    async with (
        start_sandbox(SandboxConfig(speed=200), clock=ManualClock()) as sandbox,
        running_bot(sandbox, bot_settings(sandbox, redis_url, port=new_port())) as bot,
    ):
        # Before: every fresh random ID someone typed spent a request of the shared API budget.
        for _ in range(10):
            since = bot.sandbox.slack.last_seq
            await bot.slash(f"status {secrets.token_hex(32)}")
            answer = await bot.ephemeral(since)
            assert "No search has that request ID" in message_text(answer.payload)
        before = await api_requests(bot.sandbox)
        since = bot.sandbox.slack.last_seq
        await bot.slash(f"status {secrets.token_hex(32)}")
        refused = message_text((await bot.ephemeral(since)).payload)
        assert "Too many lookups of unknown searches; try again in" in refused
        assert await api_requests(bot.sandbox) == before  # the API was not asked
        since = bot.sandbox.slack.last_seq
        await bot.slash(f"status {secrets.token_hex(32)}", user=BOB)  # someone else still may
        assert "No search has that request ID" in message_text((await bot.ephemeral(since)).payload)
        assert await api_requests(bot.sandbox) == before + 1


async def test_status_of_an_unknown_or_malformed_id(bot: BotUnderTest) -> None:
    since = bot.sandbox.slack.last_seq
    await bot.slash("status " + "f" * 64)
    unknown = await bot.ephemeral(since)
    assert "No search has that request ID" in message_text(unknown.payload)
    since = bot.sandbox.slack.last_seq
    await bot.slash("status not/an-id")
    malformed = await bot.ephemeral(since)
    assert "doesn't look like a request ID" in message_text(malformed.payload)
