"""Untrusted text in mrkdwn: escaped once, clipped on its escaped length, links made safe."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.views.text import channel_link, clip, escape, link, mention, one_line, safe_url, slack_date
from sandbox.slack.mrkdwn import Link, parse

CONTROL_SEQUENCES = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<@U123|bob>",
    "<#C123>",
    "<#C123|general>",
    "<!subteam^S1>",
    "<!subteam^S1|@team>",
    "<https://x.example|y>",
    "<https://evil.example|https://bank.example>",
    "<mailto:a@b.example|a>",
    "<!date^1700000000^{date}|x>",
    "a & b <b> c",
]


@pytest.mark.parametrize("raw", CONTROL_SEQUENCES)
def test_escaped_text_has_no_live_control_sequence_and_reads_as_typed(raw: str) -> None:
    escaped = escape(raw)
    assert "<" not in escaped
    assert ">" not in escaped
    # Read the way a Slack client reads it: plain text, exactly what was typed.
    assert parse(escaped) == [raw]


def test_escape_encodes_ampersand_first_so_nothing_is_double_encoded() -> None:
    assert escape("&lt;") == "&amp;lt;"
    assert escape("AT&T <3 >_<") == "AT&amp;T &lt;3 &gt;_&lt;"
    assert escape("plain *bold* _it_") == "plain *bold* _it_"


def test_clip_limits_the_escaped_length_without_cutting_an_entity() -> None:
    raw = "&" * 100
    clipped = clip(raw, 52)
    assert len(clipped) <= 52
    assert clipped.endswith("…")
    assert re.fullmatch(r"(&amp;)+…", clipped)


def test_clip_keeps_short_text_and_prefers_a_word_boundary() -> None:
    assert clip("short", 10) == "short"
    clipped = clip("the quick brown fox jumps over the lazy dog", 30)
    assert clipped == "the quick brown fox jumps…"


def test_one_line_folds_whitespace() -> None:
    assert one_line("a\n\n b\t c ") == "a b c"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<b>",
        "ftp://x.example/a",
        "https://",
        "/relative/path",
        "",
        None,
        "https://x.example/" + "a" * 2000,
    ],
)
def test_only_plain_web_urls_are_linked(url: str | None) -> None:
    assert safe_url(url) is None
    assert link(url, "label <!here>") == "label &lt;!here&gt;"


def test_a_link_cannot_be_split_or_forged() -> None:
    url = "https://x.example/a b?q=1&r=|><!channel>"
    made = link(url, "Bank <login> | now")
    pieces = parse(made)
    assert len(pieces) == 1
    only = pieces[0]
    assert isinstance(only, Link)
    assert only.url == "https://x.example/a%20b?q=1&r=%7C%3E%3C!channel%3E"
    assert only.label == "Bank <login> | now"


def test_mentions_and_channels_only_from_real_ids() -> None:
    assert mention("U0ALICE") == "<@U0ALICE>"
    assert mention("<!channel>") == "&lt;!channel&gt;"
    assert mention("U1>|x") == "U1&gt;|x"
    assert channel_link("C0LEADS") == "<#C0LEADS>"
    assert channel_link("C1><!here") == "C1&gt;&lt;!here"


def test_dates_render_in_the_readers_zone_with_a_utc_fallback() -> None:
    when = datetime(2026, 1, 14, 15, 30, tzinfo=UTC)
    assert slack_date(when) == f"<!date^{int(when.timestamp())}^{{date_short_pretty}}|2026-01-14>"
    assert slack_date(when, "{time}").endswith("|2026-01-14 15:30 UTC>")
