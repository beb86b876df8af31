"""The one policy for untrusted text: which characters may be shown, which links may be used.

Post text, names, headlines, links, platform names and the API's error text come from
strangers; descriptions come from the people using the product. Every front shows them
through this module first, then escapes only for its own format.

The policy is an allow-list by Unicode category, not a list of known-bad characters: every
character of category Cc (controls), Cf (format: bidi embeddings, overrides and isolates,
LRM/RLM/ALM, zero-width characters, U+FEFF, U+2060, the soft hyphen, TAG characters…), Co
(private use) or Cs (lone surrogates, which no encoder accepts) is dropped, with the whole
TAG range (U+E0000–U+E007F) and the variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF)
but an emoji or text presentation selector right after an emoji (:func:`is_hidden`). Such
characters hide, reorder or smuggle text, drive terminals or fake the layout around them,
and none is needed to read a post. Two layout controls stay: TAB, and line breaks, which
all become ``"\\n"`` (CR LF, CR, VT, FF, U+001C–U+001E, NEL, U+2028, U+2029); a front that
needs one line calls :func:`one_line`. Unassigned code points (Cn) are left alone, so that
emoji newer than this Python's Unicode tables still show.

What is lost on the way is cosmetic: emoji joined with U+200D (ZWJ) show as their separate
emoji, flags spelled with TAG characters as a plain black flag, scripts that use U+200C/D
to pick a glyph form fall back to the default form, and private-use icons disappear.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

__all__ = [
    "CSV_FORMULA_LEADS",
    "URL_MAX_LENGTH",
    "clean",
    "csv_cell",
    "is_hidden",
    "one_line",
    "safe_url",
]

URL_MAX_LENGTH = 2000
"""Default cap on a URL's length: real post and profile links are far shorter."""

CSV_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
"""First characters that make a spreadsheet read a cell as a formula (OWASP's list, plus the
fullwidth forms some spreadsheets fold to ASCII)."""

_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})
_LINE_BREAK = re.compile("\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_PRESENTATION_SELECTORS = frozenset({"\ufe0e", "\ufe0f"})
# Characters that take an emoji (U+FE0F) or text (U+FE0E) presentation selector: a small,
# generous approximation of the Emoji property by code point range, plus the keycap bases.
_EMOJI_RANGES = (
    (0x2190, 0x21FF),  # arrows
    (0x2300, 0x23FF),  # miscellaneous technical: ⌚ ⌛ ⌨ ⏩ ⏰
    (0x25A0, 0x25FF),  # geometric shapes: ▪ ▶ ◀ ◻
    (0x2600, 0x27BF),  # miscellaneous symbols, dingbats
    (0x2934, 0x2935),  # ⤴ ⤵
    (0x2B00, 0x2BFF),  # miscellaneous symbols and arrows: ⬅ ⬆ ⭐ ⭕
    (0x1F000, 0x1FAFF),  # mahjong and playing cards to symbols and pictographs extended-A
)
_EMOJI_SINGLES = frozenset(
    "0123456789#*"  # keycaps: "1" U+FE0F U+20E3
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u24c2"  # © ® ‼ ⁉ ™ ℹ Ⓜ
    "\u3030\u303d\u3297\u3299"  # 〰 〽 ㊗ ㊙
)


def _is_variation_selector(char: str) -> bool:
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def _is_emoji_base(char: str) -> bool:
    if char in _EMOJI_SINGLES:
        return True
    code = ord(char)
    return any(low <= code <= high for low, high in _EMOJI_RANGES)


def is_hidden(char: str, previous: str = "") -> bool:
    """Whether ``char``, right after ``previous``, is one the policy does not show as is.

    True for categories Cc, Cf, Co, Cs, Zl and Zp (TAB and line breaks included: see
    :func:`clean` for what becomes of those), for the whole TAG range U+E0000–U+E007F (its
    unassigned code points too), and for every variation selector but U+FE0F (emoji
    presentation) or U+FE0E (text presentation) right after an emoji base: ``"☀"`` then
    U+FE0F is kept; U+FE0F after ``"a"``, after another selector or at the start is not.
    Emoji bases are approximated by range (arrows, technical, geometric shapes, symbols and
    dingbats, pictographs U+1F000–U+1FAFF…) plus the keycap bases ``0-9 # *`` and a few
    singles (© ® ™ ‼ ⁉ ℹ Ⓜ 〰 〽 ㊗ ㊙).
    """
    if _is_variation_selector(char):
        return not (char in _PRESENTATION_SELECTORS and previous and _is_emoji_base(previous))
    return unicodedata.category(char) in _HIDDEN_CATEGORIES or 0xE0000 <= ord(char) <= 0xE007F


def clean(text: str | None) -> str:
    """``text`` with every hidden character (:func:`is_hidden`) gone but TAB and line breaks.

    Line breaks of any kind become ``"\\n"``; TAB stays. Everything else hidden is dropped,
    not replaced, so a zero-width space or soft hyphen inside a word leaves the word whole.
    ``None`` gives ``""``. Cleaning twice changes nothing more.
    """
    if not text:
        return ""
    kept: list[str] = []
    previous = ""
    for char in _LINE_BREAK.sub("\n", text):
        if char in "\t\n" or not is_hidden(char, previous):
            kept.append(char)
            previous = char
    return "".join(kept)


def one_line(text: str | None) -> str:
    """:func:`clean` ``text`` on one line: each run of whitespace (line breaks, TAB, NBSP,
    U+2028/U+2029…) becomes one space, and none is left at either end."""
    return " ".join(clean(text).split())


def safe_url(url: str | None, *, max_length: int = URL_MAX_LENGTH) -> str | None:
    """``url`` if it may be shown and followed, else ``None``.

    It must be an absolute ``http``/``https`` URL with a host, at most ``max_length``
    characters, with no credentials (``user:pass@`` or ``user@``), and nothing inside it
    that :func:`clean` would drop, nor any whitespace: such a link stays on its line and
    shows where it goes. Whitespace around it is trimmed; nothing else is repaired, as no
    real post or profile link needs it (``javascript:``, a link carrying "\\n\\nSYSTEM: …",
    a 50 KB blob are refused). The URL comes back otherwise as given: each front encodes
    it for its own format.
    """
    if not url:
        return None
    candidate = url.strip()
    if not candidate or len(candidate) > max_length:
        return None
    if clean(candidate) != candidate or any(char.isspace() for char in candidate):
        return None
    try:
        parts = urlsplit(candidate)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if "@" in parts.netloc or "\\" in parts.netloc:  # credentials, or a host browsers reread
        return None
    return candidate


def csv_cell(value: object) -> str:
    """``value`` as a CSV cell: :func:`clean`, and defused if a spreadsheet would run it.

    A cell that starts with a formula lead (:data:`CSV_FORMULA_LEADS`), also after leading
    whitespace and line breaks, gets a ``'`` in front, which spreadsheets read as "this is
    text" (OWASP, "CSV Injection"). ``None`` gives ``""``.
    """
    text = clean(None if value is None else str(value))
    if text.startswith(CSV_FORMULA_LEADS) or text.lstrip().startswith(CSV_FORMULA_LEADS):
        return "'" + text
    return text
