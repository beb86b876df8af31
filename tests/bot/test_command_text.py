"""Slash-command text: decoded exactly once, then read as a subcommand or a description."""

from __future__ import annotations

import pytest

from bot.command_text import (
    ShowHelp,
    ShowStatus,
    StartSearch,
    WatchCommand,
    decode_command_text,
    parse_command,
)
from bot.views.text import escape
from sandbox.slack import escape_command_text

USERS = {"alice": "U0ALICE", "bob": "U0BOB"}
CHANNELS = {"leads": "C0LEADS"}

TYPED = [
    "ACME & Co <b>",
    "literal &lt; typed",
    "ping @here and @channel and @bob in #leads",
    "see https://acme.example/a?b=1&c=2",
    "<!channel> <@U123> <#C123> <!subteam^S1>",
    "quotes \"'` and émoji 🚀",
]


@pytest.mark.parametrize("typed", TYPED)
@pytest.mark.parametrize("should_escape", [False, True])
def test_decoding_gives_back_what_was_typed(typed: str, should_escape: bool) -> None:
    sent = escape_command_text(typed, should_escape=should_escape, users=USERS, channels=CHANNELS)
    assert decode_command_text(sent) == typed


@pytest.mark.parametrize("typed", TYPED)
def test_decoded_then_escaped_is_what_slack_sent_never_double_escaped(typed: str) -> None:
    sent = escape_command_text(typed)
    assert escape(decode_command_text(sent)) == sent


def test_a_typed_link_sequence_stays_text() -> None:
    # (Not with should_escape: the stand-in then wraps the whole "https://x|y&gt;" run.)
    assert decode_command_text(escape_command_text("<https://x|y>")) == "<https://x|y>"


def test_a_typed_mention_never_becomes_a_live_one() -> None:
    sent = escape_command_text("@channel <!channel>", should_escape=True)
    assert sent == "<!channel> &lt;!channel&gt;"  # Slack made the first one live
    shown = escape(decode_command_text(sent))
    assert "<" not in shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ShowHelp()),
        ("   ", ShowHelp()),
        ("help", ShowHelp()),
        ("HELP", ShowHelp()),
        ("status", ShowStatus("")),
        ("status abc123", ShowStatus("abc123")),
        ("  Status   abc123 ", ShowStatus("abc123")),
        ("watch", WatchCommand("watch")),
        ("watch daily CTOs at fintechs", WatchCommand("watch", "daily CTOs at fintechs")),
        ("Watch  HOURLY  CTOs", WatchCommand("watch", "HOURLY  CTOs")),
        ("watches", WatchCommand("watches")),
        ("unwatch w1", WatchCommand("unwatch", "w1")),
        ("unwatch", WatchCommand("unwatch", "")),
        (DESC := "CTOs at fintech companies", StartSearch(DESC)),
        ("help me find CTOs at fintechs", StartSearch("help me find CTOs at fintechs")),
        ("status updates from fintech CTOs", StartSearch("status updates from fintech CTOs")),
        ("watch collectors in Geneva", StartSearch("watch collectors in Geneva")),
        ("ACME &amp; Co", StartSearch("ACME & Co")),
    ],
)
def test_subcommands_and_descriptions(text: str, expected: object) -> None:
    assert parse_command(text) == expected
