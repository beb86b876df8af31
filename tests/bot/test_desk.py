"""The team desk end to end: signed ``block_actions`` clicks into the real Bolt app, the Slack
stand-in validating every ``chat.update``, the state in a real Redis.

What each person sees is asserted from Slack's side: the card as the channel sees it after
a click, or the ephemeral answer only the clicker gets.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.context import BOT
from bot.desk import lead_key
from bot.views.export import CSV_COLUMNS
from sandbox.embedded import RunningSandbox
from sandbox.slack import Message
from shared._awaitable import settle
from shared.untrusted import csv_cell
from tests.bot.support import (
    BOB,
    CHANNEL,
    DESCRIPTION,
    USER,
    BotUnderTest,
    assert_within_limits,
    bot_settings,
    latest_request_id,
    message_text,
    new_port,
    one_result_description,
    running_bot,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


async def delivered_thread(bot: BotUnderTest, redis_url: str) -> tuple[str, list[Message]]:
    since, parent = await bot.search(DESCRIPTION)
    replies = await bot.delivered(parent.ts, since, redis_url)
    return parent.ts, replies


def card_text(message: Message, position: int) -> str:
    """The text of the card for lead ``position`` in a reply, as the channel sees it."""
    blocks = message.blocks or []
    for index, block in enumerate(blocks):
        accessory = block.get("accessory") or {}
        if str(accessory.get("value", "")).endswith(f"|{position}"):
            size = 1 if accessory.get("action_id") == "lead_undo" else 3  # collapsed, or whole
            return message_text({"blocks": blocks[index : index + size]})
    raise AssertionError(f"no card for lead {position}")


def current(bot: BotUnderTest, reply: Message) -> Message:
    found = bot.sandbox.slack.message(CHANNEL, reply.ts)
    assert found is not None
    return found


async def updated(bot: BotUnderTest, ts: str, needle: str, since: int) -> Message:
    await bot.sandbox.slack.wait_for(
        lambda e: e.ts == ts and needle in message_text(e.payload),
        kind="message_updated",
        since=since,
        timeout=10,
    )
    return current(bot, Message(channel=CHANNEL, ts=ts, user="", text=""))


def updates_of(sandbox: RunningSandbox, ts: str, since: int) -> list[object]:
    return [e for e in sandbox.slack.events.events_since(since, "message_updated") if e.ts == ts]


def iso(timestamp: float | None) -> str | None:
    """A desk time as the CSV writes it (ISO 8601, UTC)."""
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat()


async def ephemeral_to(bot: BotUnderTest, user: str, since: int) -> str:
    event = await bot.sandbox.slack.wait_for(
        lambda e: e.user == user, kind="response_url_posted", since=since, timeout=10
    )
    return message_text(event.payload)


async def test_a_claim_shows_for_everyone_and_only_the_claimer_can_release_it(
    bot: BotUnderTest, redis_url: str
) -> None:
    _, replies = await delivered_thread(bot, redis_url)
    first = replies[0]
    since = bot.sandbox.slack.last_seq
    response = await bot.click(first, "lead_claim", containing="|0", user=USER)
    assert response.status_code == 200
    reply = await updated(bot, first.ts, "Claimed by <@U0ALICE>", since)
    assert "Claimed by <@U0ALICE>" in card_text(reply, 0)
    assert "Claimed by" not in card_text(reply, 1)  # the other cards stay as they were
    assert_within_limits(reply.blocks)

    # Bob sees "Release" now; his click is refused, and only he is told who has it.
    since = bot.sandbox.slack.last_seq
    await bot.click(reply, "lead_release", containing="|0", user=BOB)
    told = await ephemeral_to(bot, BOB, since)
    assert "Only <@U0ALICE>" in told
    assert "Claimed by <@U0ALICE>" in card_text(current(bot, reply), 0)

    # Alice releases it: the card offers Claim again, to everyone.
    since = bot.sandbox.slack.last_seq
    await bot.click(current(bot, reply), "lead_release", containing="|0", user=USER)
    await bot.sandbox.slack.wait_for(
        lambda e: e.ts == first.ts and "Claimed by" not in message_text(e.payload),
        kind="message_updated",
        since=since,
        timeout=10,
    )
    assert "Claim" in card_text(current(bot, reply), 0)


async def test_two_people_claiming_at_once_on_two_replicas_get_one_claimer(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    async with (
        running_bot(sandbox, bot_settings(sandbox, redis_url, port=new_port())) as a,
        running_bot(
            sandbox, bot_settings(sandbox, redis_url, port=new_port(), leads_run_sweep=False)
        ) as b,
    ):
        _, replies = await delivered_thread(a, redis_url)
        stale = replies[0]  # both see the card unclaimed
        since = sandbox.slack.last_seq
        answers = await asyncio.gather(
            a.click(stale, "lead_claim", containing="|2", user=USER),
            b.click(stale, "lead_claim", containing="|2", user=BOB),
        )
        assert [r.status_code for r in answers] == [200, 200]
        refused = await sandbox.slack.wait_for(kind="response_url_posted", since=since, timeout=10)
        loser = refused.user
        winner = BOB if loser == USER else USER
        assert f"<@{winner}> has already claimed this lead" in message_text(refused.payload)
        await sandbox.slack.wait_for(
            lambda e: e.ts == stale.ts and f"Claimed by <@{winner}>" in message_text(e.payload),
            kind="message_updated",
            since=since,
            timeout=10,
        )
        # Both clicks re-render the reply; whatever order they landed in, it names one claimer.
        await wait_until(
            lambda: len(updates_of(sandbox, stale.ts, since)) >= 2, message="both re-renders"
        )
        text = card_text(current(a, stale), 2)
        assert f"Claimed by <@{winner}>" in text
        assert f"Claimed by <@{loser}>" not in text
        told = sandbox.slack.events.events_since(since, "response_url_posted")
        assert [e.user for e in told] == [loser]  # the winner was told nothing


async def test_not_relevant_collapses_the_card_with_its_reason_and_undo_restores_it(
    bot: BotUnderTest, redis_url: str
) -> None:
    _, replies = await delivered_thread(bot, redis_url)
    first = replies[0]
    since = bot.sandbox.slack.last_seq
    await bot.click(first, "lead_dismiss", containing="|1", option="|role", user=BOB)
    reply = await updated(bot, first.ts, "wrong role, marked by <@U0BOB>", since)
    collapsed = card_text(reply, 1)
    assert "wrong role, marked by <@U0BOB>" in collapsed
    assert "Undo" in collapsed
    assert "Open the post" not in collapsed
    assert "Read the full post" not in collapsed
    assert_within_limits(reply.blocks)

    since = bot.sandbox.slack.last_seq
    await bot.click(reply, "lead_undo", containing="|1", user=USER)
    await bot.sandbox.slack.wait_for(
        lambda e: e.ts == first.ts and "marked by" not in message_text(e.payload),
        kind="message_updated",
        since=since,
        timeout=10,
    )
    assert "Claim" in card_text(current(bot, reply), 1)


async def test_a_muted_author_is_left_out_of_the_next_search_and_counted(
    bot: BotUnderTest, redis_url: str
) -> None:
    _, replies = await delivered_thread(bot, redis_url)
    first = replies[0]
    since = bot.sandbox.slack.last_seq
    await bot.click(first, "lead_dismiss", containing="|0", option="|spam", user=USER)
    await updated(bot, first.ts, "spam, marked by", since)
    since, again = await bot.search(DESCRIPTION.upper())  # the same leads, reused
    replies = await bot.delivered(again.ts, since, redis_url, needle="no new credit")
    summary = message_text(bot.parent(again.ts))
    assert "24 leads" not in summary  # the count is of what the API found...
    assert "1 muted author hidden" in summary  # ...and the summary says who was left out
    assert "0 new · 24 shared before" in summary
    shown = "\n".join(message_text(reply) for reply in replies)
    assert "of 24" in shown  # 24 cards in the thread
    assert "|0" not in str([reply.blocks for reply in replies])  # lead 0 has no card


async def test_shared_before_is_marked_on_every_card_of_a_repeated_search(
    bot: BotUnderTest, redis_url: str
) -> None:
    await delivered_thread(bot, redis_url)
    since, again = await bot.search(DESCRIPTION.lower(), user=BOB)
    replies = await bot.delivered(again.ts, since, redis_url, needle="no new credit")
    assert "0 new · 25 shared before" in message_text(bot.parent(again.ts))
    for reply in replies:
        assert_within_limits(reply.blocks)
    # 25 links to the first thread would cost this thread a third reply: the marks keep
    # their dates and leave the links out, so it stays two replies (the same as before).
    assert len(replies) == 2
    assert ":repeat: shared <!date^" in card_text(replies[0], 0)


async def test_a_shared_before_mark_links_to_the_first_thread(
    bot: BotUnderTest, redis_url: str
) -> None:
    description = one_result_description()
    since, first = await bot.search(description)
    await bot.delivered(first.ts, since, redis_url)
    since, again = await bot.search(description.upper(), user=BOB)
    replies = await bot.delivered(again.ts, since, redis_url, needle="no new credit")
    assert "0 new · 1 shared before" in message_text(bot.parent(again.ts))
    permalink = bot.sandbox.slack.permalink(CHANNEL, bot.parent(first.ts))
    mark = card_text(replies[0], 0)
    assert f"^{permalink}|" in mark  # the date links to the first thread


async def test_thread_links_cost_no_slack_call_per_answer(
    bot: BotUnderTest, redis_url: str
) -> None:
    # The thread's link is made from the workspace's URL (auth.test, once per process), in
    # Slack's shape: chat.getPermalink, failing here for every call, is never needed.
    bot.sandbox.slack.faults.fail("chat.getPermalink", "internal_error", count=1000)
    description = one_result_description()
    since, first = await bot.search(description)
    await bot.delivered(first.ts, since, redis_url)
    since, again = await bot.search(description.upper(), user=BOB)
    replies = await bot.delivered(again.ts, since, redis_url, needle="no new credit")
    permalink = bot.sandbox.slack.permalink(CHANNEL, bot.parent(first.ts))
    assert f"^{permalink}|" in card_text(replies[0], 0)


async def test_a_click_on_a_card_whose_search_expired_is_answered_plainly(
    bot: BotUnderTest, redis_url: str
) -> None:
    _, replies = await delivered_thread(bot, redis_url)
    request_id = (replies[0].blocks or [])[1]["accessory"]["value"].split(":")[0]
    redis = bot.runtime.connections.redis
    await redis.delete(bot.runtime.store.keys.results(request_id))  # a week later
    since = bot.sandbox.slack.last_seq
    await bot.click(replies[0], "lead_claim", containing="|0", user=USER)
    told = await ephemeral_to(bot, USER, since)
    assert "no longer kept" in told
    assert "Run `/leads` again" in told


async def test_unsigned_or_forged_clicks_change_nothing(bot: BotUnderTest, redis_url: str) -> None:
    _, replies = await delivered_thread(bot, redis_url)
    since = bot.sandbox.slack.last_seq
    forged = await bot.click(replies[0], "lead_claim", containing="|0", secret="not-the-secret")
    assert forged.status_code == 401  # refused before any listener ran
    assert bot.sandbox.slack.events.events_since(since) == []
    redis = bot.runtime.connections.redis
    for key in [key async for key in redis.scan_iter(match="leads:desk:*")]:
        assert await settle(redis.hget(key, "claimed_by")) is None


async def test_export_csv_uploads_every_field_and_the_desk_state_into_the_thread(
    bot: BotUnderTest, redis_url: str
) -> None:
    # The same search twice in the channel: the second thread's leads were all shared before.
    first_ts, _ = await delivered_thread(bot, redis_url)
    since, again = await bot.search(DESCRIPTION.lower(), user=BOB)
    replies = await bot.delivered(again.ts, since, redis_url, needle="no new credit")
    parent_ts, first = again.ts, replies[0]
    since = bot.sandbox.slack.last_seq
    await bot.click(first, "lead_claim", containing="|0", user=USER)
    reply = await updated(bot, first.ts, "Claimed by", since)
    since = bot.sandbox.slack.last_seq
    await bot.click(reply, "lead_dismiss", containing="|1", option="|competitor", user=BOB)
    await updated(bot, first.ts, "competitor, marked by", since)

    # Two clicks at once: one export at a time, each a whole file in the thread.
    since = bot.sandbox.slack.last_seq
    parent = bot.parent(parent_ts)
    answers = await asyncio.gather(
        bot.click(parent, "thread_export", user=USER), bot.click(parent, "thread_export", user=BOB)
    )
    assert [a.status_code for a in answers] == [200, 200]
    await wait_until(
        lambda: len(bot.sandbox.slack.events.events_since(since, "file_shared")) == 2,
        message="two files shared",
    )
    shared = bot.sandbox.slack.events.events_since(since, "file_shared")
    assert {event.thread_ts for event in shared} == {parent_ts}
    files = [bot.sandbox.slack.files[event.payload["file"]["id"]] for event in shared]
    contents = [record.content or b"" for record in files]
    assert contents[0] == contents[1]  # the same file again

    data = contents[0]
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads it right
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    rows = list(reader)
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    leads = await bot.runtime.store.get_results(await latest_request_id(redis_url))
    assert leads is not None
    assert len(rows) == len(leads) == 25
    team = bot.sandbox.slack.team_id
    states = await bot.services.desk.states(team, CHANNEL, [lead_key(lead) for lead in leads])
    first_thread = bot.sandbox.slack.permalink(CHANNEL, bot.parent(first_ts))
    for position, (row, lead, state) in enumerate(zip(rows, leads, states, strict=True)):
        expected: dict[str, object] = {
            "position": position + 1,
            "platform": lead.platform,
            "post_url": lead.post_url,
            "post_date": lead.post_date.isoformat() if lead.post_date else None,
            "post_content": lead.post_content,
            "author_name": lead.author.name,
            "author_username": lead.author.username,
            "author_profile_url": lead.author.profile_url,
            "author_headline": lead.author.headline,
            "author_image_url": lead.author.image_url,
            "likes": lead.engagement.likes,
            "comments": lead.engagement.comments,
            "shares": lead.engagement.shares,
            "claimed_by": USER if position == 0 else None,
            "claimed_at": iso(state.claimed_at) if position == 0 else None,
            "not_relevant_by": BOB if position == 1 else None,
            "not_relevant_at": iso(state.dismissed_at) if position == 1 else None,
            "not_relevant_reason": "competitor" if position == 1 else None,
            "shared_before_at": row["shared_before_at"],  # checked below: when is not known
            "shared_before_thread": first_thread,  # the first search's thread, linked
            "in_thread": "yes",
        }
        assert tuple(expected) == CSV_COLUMNS
        # Each cell through the one untrusted-text policy (hostile cells: the views' tests).
        assert row == {column: csv_cell(value) for column, value in expected.items()}, position
        # Shared before: when the first thread was posted, before this one.
        when = datetime.fromisoformat(row["shared_before_at"]).timestamp()
        assert float(first_ts) <= when <= float(parent_ts)
    # Every column carries data somewhere: no comparison above is "" against "".
    assert [column for column in CSV_COLUMNS if not any(row[column] for row in rows)] == []


async def test_a_replayed_click_older_than_five_minutes_is_refused(
    bot: BotUnderTest, redis_url: str
) -> None:
    _, replies = await delivered_thread(bot, redis_url)
    since = bot.sandbox.slack.last_seq
    stale = int(time.time()) - 6 * 60
    replayed = await bot.click(replies[0], "lead_claim", containing="|0", timestamp=stale)
    assert replayed.status_code == 401
    assert bot.sandbox.slack.events.events_since(since) == []


async def test_a_click_on_a_deleted_message_saves_the_change_and_says_so(
    bot: BotUnderTest, redis_url: str
) -> None:
    _, replies = await delivered_thread(bot, redis_url)
    reply = replies[0]
    bot.sandbox.slack.delete_message(reply)  # someone deleted the bot's reply meanwhile
    since = bot.sandbox.slack.last_seq
    await bot.click(reply, "lead_claim", containing="|0", user=USER)
    told = await ephemeral_to(bot, USER, since)
    assert "Your change is saved" in told
    desk = bot.app[BOT].services.desk if bot.app is not None else None
    assert desk is not None
    (claim,) = await desk.claims_of(bot.sandbox.slack.team_id, USER)
    assert claim.position == 0


async def test_a_click_from_another_channel_or_workspace_is_refused_as_no_access(
    bot: BotUnderTest, redis_url: str
) -> None:
    parent_ts, replies = await delivered_thread(bot, redis_url)
    parent = bot.parent(parent_ts)
    elsewhere = "C0RANDOM"  # Alice is in it; the cards are not
    # (surface, the message clicked, the action, where the click comes from)
    table = [
        ("card", replace(replies[0], channel=elsewhere), "lead_claim", None),
        ("card", replies[0], "lead_claim", "T0ELSEWHERE"),
        ("export", replace(parent, channel=elsewhere), "thread_export", None),
        ("export", parent, "thread_export", "T0ELSEWHERE"),
    ]
    since_all = bot.sandbox.slack.last_seq
    for surface, message, action, team in table:
        since = bot.sandbox.slack.last_seq
        containing = "|0" if surface == "card" else None
        await bot.click(message, action, containing=containing, user=USER, team=team)
        told = await ephemeral_to(bot, USER, since)
        assert "You can't change this lead from here" in told, (surface, team)
        assert "no longer kept" not in told
    # Nothing changed: no claim, no card re-rendered, no file.
    events = bot.sandbox.slack.events
    assert events.events_since(since_all, "message_updated") == []
    assert events.events_since(since_all, "file_shared") == []
    redis = bot.runtime.connections.redis
    for key in [key async for key in redis.scan_iter(match="leads:desk:*")]:
        assert await settle(redis.hget(key, "claimed_by")) is None


OVERLAPPING = "CTOs at insurtech companies discussing cloud migration"
"""Finds a few leads, some of them also found for ``DESCRIPTION`` (the sandbox's corpus is
fixed): one the very same post, one the same author with another post."""


def shared_mark(message: Message, position: int) -> bool:
    """Whether the card for lead ``position`` carries the "shared before" mark."""
    return ":repeat: shared <!date^" in card_text(message, position)


async def test_shared_before_marks_exactly_the_leads_two_different_searches_share(
    bot: BotUnderTest, redis_url: str
) -> None:
    first_ts, _ = await delivered_thread(bot, redis_url)
    first = await bot.runtime.store.get_results(await latest_request_id(redis_url))
    since, again = await bot.search(OVERLAPPING, user=BOB)
    replies = await bot.delivered(again.ts, since, redis_url)
    second = await bot.runtime.store.get_results(await latest_request_id(redis_url))
    assert first is not None
    assert second is not None

    # Worked out from the two result lists alone: by author profile, or by post.
    authors = {lead.author.profile_url for lead in first}
    posts = {lead.post_url for lead in first}
    same_post = {i for i, lead in enumerate(second) if lead.post_url in posts}
    same_author = {
        i
        for i, lead in enumerate(second)
        if lead.author.profile_url in authors and lead.post_url not in posts
    }
    new = set(range(len(second))) - same_post - same_author
    # The pair covers every case: the same post, the same author's other post, new people.
    assert same_post
    assert same_author
    assert new

    shared = len(same_post) + len(same_author)
    summary = message_text(bot.parent(again.ts))
    assert f"{len(second)} leads" in summary
    assert f"{len(new)} new · {shared} shared before" in summary
    (reply,) = replies
    marked = {i for i in range(len(second)) if shared_mark(reply, i)}
    assert marked == same_post | same_author  # exactly the overlapping cards
    permalink = bot.sandbox.slack.permalink(CHANNEL, bot.parent(first_ts))
    for position in marked:  # each links to the first thread
        assert f"^{{ago}}^{permalink}|" in card_text(reply, position)
