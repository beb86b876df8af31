"""Untrusted text into Slack mrkdwn: the one escaping function, clipping and safe links.

Post text, author names, headlines, URLs and descriptions come from strangers (or from
Slack users). In mrkdwn, ``&``, ``<`` and ``>`` are control characters: every mention
(``<!channel>``, ``<@U123>``, ``<!subteam^S1>``), channel link (``<#C123>``) and link
(``<https://x|label>``) needs a literal ``<``. :func:`escape` turns exactly those three into
entities (docs.slack.dev/messaging/formatting-message-text, "Escaping text"), so untrusted
text always renders literally and can never ping anyone or forge a link. Every untrusted
string reaches a message through :func:`escape` — directly, or via :func:`clip` and
:func:`link`, which call it.

Before escaping, untrusted text passes the product's one text policy
(:func:`shared.untrusted.clean`): no control, format, private-use or stray variation-selector
character reaches a message, and links must pass :func:`shared.untrusted.safe_url` before
they are encoded for ``<url|label>``.

The control sequences this module does emit (mentions, channel links, dates) are built only
from IDs and numbers it has checked.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

from bot.views.limits import URL_MAX
from shared.untrusted import clean, one_line
from shared.untrusted import safe_url as checked_url

__all__ = [
    "channel_link",
    "clip",
    "escape",
    "link",
    "mention",
    "one_line",
    "safe_url",
    "slack_date",
]

ELLIPSIS = "…"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,30}$")
# Kept as they are in a URL: RFC 3986 reserved and unreserved characters, and "%" so that
# existing escapes survive. Everything else — "|", "<", ">", spaces, quotes — is encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def escape(raw: str) -> str:
    """Untrusted text as mrkdwn that shows it literally: cleaned, then ``& < >`` as entities.

    ``&`` goes first so nothing is encoded twice. This is the only escaping function.
    """
    return _entities(clean(raw))


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(raw: str, limit: int) -> str:
    """Escaped ``raw``, cut so that the *escaped* text is at most ``limit`` characters.

    Cuts the cleaned text (never an entity in half), preferring a word boundary near the
    end, and marks the cut with an ellipsis.
    """
    text = clean(raw)
    escaped = _entities(text)
    if len(escaped) <= limit:
        return escaped
    budget = limit - len(ELLIPSIS)
    kept: list[str] = []
    used = 0
    for char in text:
        size = len(_entities(char))
        if used + size > budget:
            break
        kept.append(char)
        used += size
    prefix = "".join(kept).rstrip()
    space = prefix.rfind(" ")
    if space > len(prefix) * 0.8:
        prefix = prefix[:space].rstrip()
    return _entities(prefix) + ELLIPSIS


def safe_url(url: str | None) -> str | None:
    """``url`` ready to go inside ``<…|…>``, or None when it must not be linked.

    The URL must pass :func:`shared.untrusted.safe_url` (http/https with a host, no
    credentials, no whitespace or hidden character). Characters that could still end or split
    the sequence (``|``, ``<``, ``>``, quotes…) are then percent-encoded, and ``&`` is sent as
    ``&amp;`` as Slack itself does inside links; the result must fit :data:`URL_MAX`.
    """
    checked = checked_url(url, max_length=URL_MAX)
    if checked is None:
        return None
    encoded = quote(checked, safe=_URL_SAFE).replace("&", "&amp;")
    return encoded if len(encoded) <= URL_MAX else None


def link(url: str | None, label: str, *, limit: int = 200) -> str:
    """A mrkdwn link to ``url`` showing ``label`` (raw text, clipped to ``limit``).

    Without a usable URL (see :func:`safe_url`) it is just the label, escaped.
    """
    shown = clip(label, limit)
    target = safe_url(url)
    return f"<{target}|{shown}>" if target is not None else shown


def mention(user_id: str) -> str:
    """A mention of a Slack user by ID (from Slack's own payload), or the escaped text."""
    return f"<@{user_id}>" if _USER_ID.match(user_id) else clip(user_id, 40)


def channel_link(channel_id: str) -> str:
    """A link to a channel by ID, or the escaped text."""
    return f"<#{channel_id}>" if _CHANNEL_ID.match(channel_id) else clip(channel_id, 40)


def slack_date(when: datetime, style: str = "{date_short_pretty}") -> str:
    """A date each reader sees in their own time zone, with a UTC fallback.

    ``style`` is one of Slack's date tokens (``{date_short_pretty}``, ``{time}``…).
    """
    with_time = "time" in style
    fallback = when.strftime("%Y-%m-%d %H:%M UTC") if with_time else f"{when:%Y-%m-%d}"
    return f"<!date^{int(when.timestamp())}^{style}|{escape(fallback)}>"
