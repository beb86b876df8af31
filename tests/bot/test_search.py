"""A search from ``/leads`` to the last thread reply, over real HTTP, real Redis, the sandbox.

Every message the bot posts or edits is checked as Slack would check it, and for anything
that could ping someone or forge a link.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from sandbox.api.clock import ManualClock
from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from sandbox.slack import Event
from tests.bot.support import (
    DESCRIPTION,
    NO_POLLS,
    NO_RESULTS,
    SHARED_SET_OF_25,
    BotUnderTest,
    assert_within_limits,
    bot_settings,
    callback_url,
    control_sequences,
    credits_used,
    headings,
    latest_request_id,
    message_text,
    new_port,
    one_result_description,
    running_bot,
    searches_made,
    settled,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def bot_events(bot: BotUnderTest, since: int) -> list[Event]:
    return [
        e
        for e in bot.sandbox.slack.events.events_since(since)
        if e.kind in ("message_posted", "message_updated") and e.user == "U0LEADSBOT"
    ]


def assert_all_sendable_and_inert(bot: BotUnderTest, since: int) -> None:
    """Every bot message since ``since`` is within limits; its only live sequences are ours."""
    events = bot_events(bot, since)
    assert events
    for event in events:
        assert_within_limits(event.payload.get("blocks"))
        for sequence in control_sequences(message_text(event.payload)):
            target = sequence.split("|")[0]
            assert target == "@U0ALICE" or target.startswith(("!date^", "https://")), sequence
            assert not any(c in target for c in " <>"), sequence


def assert_no_slack_errors(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        text = record.getMessage() + str(record.exc_info or "")
        assert "invalid_blocks" not in text
        assert "msg_blocks_too_long" not in text
        assert record.levelname != "ERROR", text


@pytest.mark.parametrize("results", [25, 1])
async def test_a_search_ends_with_a_summary_and_its_leads_in_the_thread(
    bot: BotUnderTest, redis_url: str, caplog: pytest.LogCaptureFixture, results: int
) -> None:
    description = DESCRIPTION if results == 25 else one_result_description()
    since, parent = await bot.search(description)
    assert "<@U0ALICE>" in message_text(parent.payload)
    summary = await bot.parent_says(parent.ts, "1 credit spent", since=since)
    await wait_until(lambda: settled(redis_url), message="the delivery to settle")

    text = message_text(summary.payload)
    lead_word = "lead" if results == 1 else "leads"
    assert f"*{results} {lead_word}*" in text
    assert " on LinkedIn" in text or " on Twitter" in text
    assert "took " in text
    assert await credits_used(bot.sandbox) == 1

    replies = bot.replies(parent.ts)
    cards = sum(message_text(r).count("likes ·") + message_text(r).count("like ·") for r in replies)
    assert cards == results
    assert len(replies) == (2 if results == 25 else 1)  # 16 short-enough cards per message
    assert "<@U0ALICE>" in replies[0].text
    request_id = await latest_request_id(redis_url)
    assert request_id in text
    assert_all_sendable_and_inert(bot, since)
    assert_no_slack_errors(caplog)


async def test_an_identical_search_is_reused_and_answered_in_its_own_thread(
    bot: BotUnderTest, redis_url: str
) -> None:
    since, first = await bot.search(DESCRIPTION)
    await bot.delivered(first.ts, since, redis_url)
    since, second = await bot.search(DESCRIPTION.lower(), user="U0BOB")
    replies = await bot.delivered(second.ts, since, redis_url, needle="no new credit")
    assert headings(replies) == SHARED_SET_OF_25
    assert "0 new · 25 shared before" in message_text(bot.parent(second.ts))
    assert "<@U0BOB>" in replies[0].text
    assert await credits_used(bot.sandbox) == 1
    assert await searches_made(bot.sandbox) == 1


async def test_without_api_credentials_an_embedded_sandbox_answers_and_it_says_so(
    sandbox: RunningSandbox, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = bot_settings(
        sandbox,
        redis_url,
        port=new_port(),
        nyne_api_key=None,
        nyne_api_secret=None,
        leads_sandbox_speed=200,
    )
    assert settings.uses_sandbox
    async with running_bot(sandbox, settings) as bot:
        assert (await bot.healthz()).json()["sandbox"] is True
        since, parent = await bot.search(DESCRIPTION)
        replies = await bot.delivered(parent.ts, since, redis_url)
        summary = message_text(bot.parent(parent.ts))
    assert "Sandbox: synthetic data" in summary
    assert "Sandbox data: synthetic people" in message_text(replies[0])
    assert await searches_made(sandbox) == 0  # the test's sandbox only served Slack
    assert any("the local sandbox" in r.getMessage() for r in caplog.records)


async def test_with_only_slack_settings_the_bot_is_a_complete_deployment(
    sandbox: RunningSandbox,
) -> None:
    """No API key, no Redis: an embedded sandbox and an in-process store, one process."""
    settings = bot_settings(
        sandbox,
        None,
        port=new_port(),
        nyne_api_key=None,
        nyne_api_secret=None,
        leads_sandbox_speed=200,
    )
    async with running_bot(sandbox, settings) as bot:
        assert (await bot.healthz()).json()["redis"] == "ok"
        since, parent = await bot.search(DESCRIPTION)
        await bot.parent_says(parent.ts, "1 credit spent", since=since, timeout=20)
        await wait_until(lambda: len(bot.replies(parent.ts)) == 2, message="the thread")


async def test_no_leads_says_so_and_that_no_credit_was_spent(
    bot: BotUnderTest, redis_url: str
) -> None:
    since, parent = await bot.search(NO_RESULTS)
    summary = await bot.parent_says(parent.ts, "No leads found", since=since)
    assert "no credit was spent" in message_text(summary.payload)
    await wait_until(lambda: settled(redis_url), message="the delivery to settle")
    (reply,) = bot.replies(parent.ts)
    assert "No leads found" in reply.text
    assert "no credit was spent" in reply.text
    assert await credits_used(bot.sandbox) == 0
    assert_all_sendable_and_inert(bot, since)


async def test_a_failed_search_explains_why_in_the_thread(
    bot: BotUnderTest, redis_url: str
) -> None:
    bot.sandbox.faults.update({"fail_searches": 1})
    since, parent = await bot.search(DESCRIPTION)
    await bot.parent_says(parent.ts, "The search failed", since=since)
    await wait_until(lambda: settled(redis_url), message="the delivery to settle")
    (reply,) = bot.replies(parent.ts)
    shown = message_text(reply)
    assert "The search failed" in shown
    assert "*Reason:*" in shown
    assert "no credit was spent" in shown
    assert await credits_used(bot.sandbox) == 0
    assert_all_sendable_and_inert(bot, since)


async def test_the_parent_shows_each_phase_as_it_changes(redis_url: str) -> None:
    """The API's clock is moved phase by phase, and each phase waits until the parent shows
    it: on a real clock, one stall of the machine longer than a phase less a sweep tick
    would skip one."""
    clock = ManualClock(start=datetime.now(UTC))
    # The API's minute never passes on this clock, while the sweep polls every real second.
    config = SandboxConfig(
        speed=1, phase_seconds=(10.0,) * 5, rate_limit_per_minute=0, rate_limit_per_hour=0
    )
    async with start_sandbox(config, clock=clock) as sandbox:
        settings = bot_settings(sandbox, redis_url, port=new_port())
        async with running_bot(sandbox, settings) as bot:
            since, parent = await bot.search(DESCRIPTION)

            async def submitted() -> bool:
                return await searches_made(sandbox) == 1

            await wait_until(submitted, message="the search to reach the API")
            clock.advance(20)  # queued, pending, then analyzing from 20 s
            for needle in ("Analyzing", "Searching across", "Collecting", "1 credit spent"):
                await bot.parent_says(parent.ts, needle, since=since)
                clock.advance(10)
            shown = [
                message_text(e.payload)
                for e in bot_events(bot, since)
                if e.ts == parent.ts and e.kind == "message_updated"
            ]
    steps = [
        next(i for i, text in enumerate(shown) if needle in text)
        for needle in ("Analyzing", "Searching across", "Collecting", "leads*")
    ]
    assert steps == sorted(steps)


async def test_untrusted_text_renders_literally_and_pings_nobody(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    """A post, a name, a headline, a URL and the description full of control sequences."""
    evil = "<!channel> <!here> <@U123> <#C123> <!subteam^S1> <https://x.example|y> & < >"
    port = new_port()
    settings = bot_settings(
        sandbox, redis_url, port=port, public_base_url=f"http://127.0.0.1:{port}"
    )
    # Only our forged-content callback finishes this search: no poll comes for a minute.
    sandbox.faults.update({"drop_callbacks": 1})
    async with running_bot(sandbox, settings, schedule=NO_POLLS) as bot:
        since, parent = await bot.search(f"{evil} @channel CTOs at fintechs", should_escape=True)
        request_id = await latest_request_id(redis_url)
        url = await callback_url(sandbox, request_id)
        lead = {
            "platform": evil,
            "post_url": f"https://x.example/p?a=1&b=|{evil}",
            "post_content": evil * 3,
            "post_date": "2026-01-14T15:30:00Z",
            "author": {
                "name": evil,
                "username": evil,
                "profile_url": f"https://x.example/in/{evil}",
                "headline": evil,
            },
            "engagement": {"likes": 1, "comments": 2, "shares": 3},
        }
        body = {
            "request_id": request_id,
            "status": "completed",
            "completed": True,
            "results_count": 2,
            "results": [lead, {**lead, "post_url": "javascript:alert(1)"}],
        }
        answer = await bot.http.post(url, content=json.dumps(body))
        assert answer.status_code == 200
        await bot.parent_says(parent.ts, "*2 leads*", since=since)
        await wait_until(lambda: settled(redis_url), message="the delivery to settle")

        everything = "\n".join(message_text(e.payload) for e in bot_events(bot, since))
        assert "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;#C123&gt;" in everything
        assert "&lt;!subteam^S1&gt; &lt;https://x.example|y&gt; &amp; &lt; &gt;" in everything
        assert "@channel CTOs at fintechs" in everything  # typed @channel: Slack sent <!channel>
        assert_all_sendable_and_inert(bot, since)
        replies = bot.replies(parent.ts)
        assert "javascript" not in "".join(control_sequences(message_text(replies[0])))
