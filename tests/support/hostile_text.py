"""Hypothesis strategies for hostile text and the check every front's output must pass.

The strategies draw from all of Unicode (every category, astral planes, private use and
lone surrogates included) and lean on the characters that matter to the text policy:
controls, bidi and zero-width characters, TAG characters, variation selectors with and
without an emoji before them, and the ``& < > |`` of Slack's markup.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from hypothesis import settings
from hypothesis import strategies as st

from shared.models import Author, Engagement, Lead
from shared.untrusted import is_hidden

__all__ = [
    "HIDDEN_CATEGORIES",
    "PROPERTY_SETTINGS",
    "hostile_leads",
    "hostile_text",
    "hostile_urls",
    "leaks",
]

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)
"""Modest example counts keep the suite fast; no deadline, as Rich tables vary in time."""

HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})

_SPECIAL = (
    "\x00\x07\t\n\r\x0b\x0c\x1b\x1c\x1f\x7f\x85\x9b"  # C0, C1
    "\u00ad\u061c\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"  # soft hyphen, marks, zero-width
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi
    "\u2028\u2029\u00a0\u3000"  # line/paragraph separators, odd spaces
    "\U000e0001\U000e0041\U000e007f"  # TAG characters
    "\ufe00\ufe0e\ufe0f\U000e0100\U000e01ef"  # variation selectors
    "\ue000\U000f0000\U0010fffd"  # private use
    "\ud800\udbff\udfff"  # lone surrogates (Hypothesis draws none by itself)
    "☀❤1#©™⭐\U0001f600\U0001f44d"  # emoji bases
    "&<>|@!=+-*_~`'\" :/"  # markup, formula leads
    "＝＋－＠aZé"
)
_CHARACTER = st.one_of(
    st.characters(exclude_categories=()),  # every category
    st.sampled_from(_SPECIAL),
)


def hostile_text(max_size: int = 60) -> st.SearchStrategy[str]:
    """Any text, with the characters the policy is about drawn often."""
    return st.text(_CHARACTER, max_size=max_size)


def hostile_urls() -> st.SearchStrategy[str]:
    """Links that look real but carry hostile text, and arbitrary text."""
    scheme = st.sampled_from(["https://", "http://", "HTTPS://", "javascript:", "data:", ""])
    host = st.sampled_from(["x.example", "user:pw@x.example", "u@x.example", "", "[::1]"])
    return st.one_of(
        st.builds(lambda s, h, path: f"{s}{h}/{path}", scheme, host, hostile_text(30)),
        hostile_text(),
    )


def _optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), strategy)


def hostile_leads() -> st.SearchStrategy[Lead]:
    """A lead whose every text field and link came from an attacker."""
    return st.builds(
        Lead,
        platform=hostile_text(20),
        post_url=_optional(hostile_urls()),
        post_content=hostile_text(200),
        post_date=st.sampled_from([None, datetime(2026, 1, 14, tzinfo=UTC)]),
        author=st.builds(
            Author,
            name=_optional(hostile_text()),
            username=_optional(hostile_text(20)),
            profile_url=_optional(hostile_urls()),
            headline=_optional(hostile_text()),
        ),
        engagement=st.builds(Engagement, likes=st.integers(0, 10**6)),
    )


def leaks(text: str, allowed: str = "") -> list[str]:
    """Characters of ``text`` the policy must not let through, as ``U+XXXX`` names.

    A character of category Cc, Cf, Co, Cs, Zl or Zp (except those in ``allowed``, the
    layout characters a format uses itself), and a variation selector anywhere but as
    U+FE0E/U+FE0F right after an emoji base.
    """
    found = []
    previous = ""
    for char in text:
        code = ord(char)
        selector = 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF
        if char in allowed:
            pass
        elif unicodedata.category(char) in HIDDEN_CATEGORIES or (
            selector and (char not in "\ufe0e\ufe0f" or is_hidden(char, previous))
        ):
            found.append(f"U+{code:04X}")
        previous = char
    return found
