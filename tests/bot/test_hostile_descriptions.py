"""Descriptions at and past the limits, in every script, as a table: each row says what the
person sees in Slack and how many API searches it cost (the row's whole effect)."""

from __future__ import annotations

import pytest

from tests.bot.support import BotUnderTest, control_sequences, message_text, searches_made

pytestmark = pytest.mark.integration

RTL = "مديرو التقنية في شركات التكنولوجيا المالية"  # Arabic: read right to left
ASTRAL = "\U0001f680"  # 🚀, outside the BMP: one character, two UTF-16 units

ROWS = [
    # (typed, what the person sees, API searches)
    ("x" * 9, "too short (9 characters)", 0),
    (ASTRAL * 9, "too short (9 characters)", 0),
    ("CTOs at x", "too short (9 characters)", 0),
    ("CTOs at xy", "Lead search", 1),  # 10: the shortest accepted
    (ASTRAL * 10, "Lead search", 1),  # characters, not bytes or UTF-16 units
    ("fintech " * 249 + "CTOs 123", "Lead search", 1),  # 2000
    (ASTRAL * 2000, "Lead search", 1),  # 2000 characters (4000 UTF-16 units): accepted
    ("x" * 2001, "too long (2,001 characters)", 0),
    (ASTRAL * 2001, "too long (2,001 characters)", 0),
    (" \t  \u3000 ", "How to use /leads", 0),  # whitespace only: the help
    (RTL, RTL, 1),  # shown as typed, in its own direction
    ("<!channel> CTOs at fintech companies", "&lt;!channel&gt; CTOs at fintech", 1),
    ("\u202eCTOs at fintech companies\u202c", "CTOs at fintech companies", 1),
    # Slack control sequences typed as text: shown as typed, neither a mention nor a link.
    ("<@U0BOB> CTOs at fintech companies", "&lt;@U0BOB&gt; CTOs at fintech", 1),
    (
        "<http://evil.example|click> CTOs at fintech companies",
        "&lt;http://evil.example|click&gt; CTOs at fintech",
        1,
    ),
]
TYPED_CONTROLS = ("!channel", "@U0BOB", "evil.example")
"""What a row types inside ``<…>``: none of it may reach Slack as a live sequence."""


@pytest.mark.parametrize(("typed", "sees", "searches"), ROWS)
async def test_each_description_gets_a_clear_answer_and_costs_only_what_it_should(
    bot: BotUnderTest, redis_url: str, typed: str, sees: str, searches: int
) -> None:
    assert len("fintech " * 249 + "CTOs 123") == 2000
    since = bot.sandbox.slack.last_seq
    response = await bot.slash(typed)
    assert response.status_code == 200
    if searches:
        assert response.text == ""  # acked at once; the answer is the parent message
        parent = await bot.parent_posted(since)
        text = message_text(parent.payload)
        assert sees in text
        live = control_sequences(text)
        # Nothing typed can ping the channel or a person, or become a link.
        assert not [seq for seq in live if any(typed in seq for typed in TYPED_CONTROLS)]
        assert "\u202e" not in text  # nor reverse what follows it
        await bot.delivered(parent.ts, since, redis_url, needle="")
    else:
        body = response.json()
        assert body["response_type"] == "ephemeral"  # only the person who typed it
        assert sees in message_text(body)
        assert bot.sandbox.slack.events.events_since(since) == []  # nothing posted
    assert await searches_made(bot.sandbox) == searches
