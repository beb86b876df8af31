"""Untrusted text in mrkdwn: escaped once, clipped on its escaped length, links made safe."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.views.blocks import Block
from bot.views.cards import lead_card
from bot.views.text import channel_link, clip, escape, link, mention, one_line, safe_url, slack_date
from sandbox.slack.mrkdwn import CONTROL, Link, parse, unescape
from shared import untrusted
from shared.models import Lead
from tests.support.hostile_text import (
    PROPERTY_SETTINGS,
    hostile_leads,
    hostile_text,
    hostile_urls,
    leaks,
)

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
    url = "https://x.example/a?q=1&r=|><!channel>"
    made = link(url, "Bank <login> | now")
    pieces = parse(made)
    assert len(pieces) == 1
    only = pieces[0]
    assert isinstance(only, Link)
    assert only.url == "https://x.example/a?q=1&r=%7C%3E%3C!channel%3E"
    assert only.label == "Bank <login> | now"


@pytest.mark.parametrize(
    "url",
    [
        "https://x.example/a b",  # before: linked with the space encoded as %20
        "https://user:pw@x.example/",
        "https://x.example/\u202egnp.exe",
        "https://x.example/zero\u200bwidth",
        "https://x.example/\n\n<!channel>",
    ],
)
def test_a_link_the_text_policy_refuses_is_just_its_label(url: str) -> None:
    assert safe_url(url) is None
    assert link(url, "label") == "label"


def test_escaped_text_follows_the_text_policy() -> None:
    # Before: bidi overrides, zero-width characters and controls went into messages as is.
    assert escape("ev\u202eil\u200b <b>\x1b[2J\U000e0041") == "evil &lt;b&gt;[2J"
    assert escape("sun \u2600\ufe0f, not a\ufe0f") == "sun \u2600\ufe0f, not a"
    assert clip("\u200b" * 50 + "ok", 10) == "ok"
    assert link(None, "x\u2066y") == "xy"
    assert mention("\u202e<!here>") == "&lt;!here&gt;"


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


# Property tests over arbitrary Unicode. Escaped text may keep TAB and newline: the text
# policy keeps them, Slack shows them as white space and neither can ping, link or hide
# anything (cards put their fields on one line anyway).
_LAYOUT = "\t\n"


@PROPERTY_SETTINGS
@given(hostile_text(200))
def test_escaped_text_never_carries_markup_or_hidden_characters(raw: str) -> None:
    escaped = escape(raw)
    assert "<" not in escaped
    assert ">" not in escaped
    assert leaks(escaped, allowed=_LAYOUT) == []
    assert unescape(escaped) == untrusted.clean(raw)  # reads as the cleaned text


@PROPERTY_SETTINGS
@given(hostile_text(200), st.integers(min_value=2, max_value=120))
def test_clipped_text_fits_and_carries_no_markup_or_hidden_characters(raw: str, limit: int) -> None:
    clipped = clip(raw, limit)
    assert len(clipped) <= limit
    assert "<" not in clipped
    assert ">" not in clipped
    assert leaks(clipped, allowed=_LAYOUT) == []


@PROPERTY_SETTINGS
@given(hostile_urls(), hostile_text())
def test_a_link_is_made_only_from_a_checked_url_and_its_label_cannot_break_out(
    url: str, label: str
) -> None:
    made = link(url, label)
    assert leaks(made, allowed=_LAYOUT) == []
    target = safe_url(url)
    if target is None:
        assert "<" not in made
        assert ">" not in made
        return
    # The only "<" and ">" are the link's own, around a URL the shared policy accepted.
    assert untrusted.safe_url(url) is not None
    assert made.startswith(f"<{target}|")
    assert made.endswith(">")
    assert made.count("<") == 1
    assert made.count(">") == 1
    (only,) = parse(made)
    assert isinstance(only, Link)
    assert only.url == unescape(target)


def _texts(blocks: list[Block]) -> list[str]:
    texts: list[str] = []
    stack: list[object] = list(blocks)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                texts.append(node["text"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return texts


@PROPERTY_SETTINGS
@given(hostile_leads())
def test_a_lead_card_pings_and_links_nothing_but_its_own_checked_links(lead: Lead) -> None:
    targets = {safe_url(lead.post_url), safe_url(lead.author.profile_url)} - {None}
    for text in _texts(lead_card(lead)):
        assert leaks(text, allowed="\n") == []  # the card's own line breaks
        for sequence in CONTROL.finditer(text):
            target = sequence.group(1)
            # A date the card built from the post date, or a link to a checked URL.
            assert target.startswith("!date^") or target in targets, sequence.group()
        for line in CONTROL.sub("", text).split("\n"):
            quoted = line.removeprefix(">")  # the card's own block quote
            assert "<" not in quoted
            assert ">" not in quoted
