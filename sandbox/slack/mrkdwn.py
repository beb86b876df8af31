"""Slack's text escaping and its ``<…>`` control sequences, read the way a Slack client reads them.

Slack treats ``&``, ``<`` and ``>`` as control characters: in message text they travel as
``&amp;``, ``&lt;`` and ``&gt;``, and only those three are entities Slack decodes ("You
shouldn't HTML entity-encode the entire text", docs.slack.dev/messaging/formatting-message-text).
Real angle brackets open control sequences: ``<https://x|label>`` links, ``<@U123>`` user
mentions, ``<#C123|name>`` channels, ``<!here>`` special mentions, ``<!date^…|fallback>`` dates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))

#: ``<…>`` control sequences; inside one, ``|`` separates the target from its label.
CONTROL = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def escape(text: str) -> str:
    """Encode Slack's three control characters (``&`` first, so nothing is encoded twice)."""
    for raw, entity in _ENTITIES:
        text = text.replace(raw, entity)
    return text


def unescape(text: str) -> str:
    """Decode Slack's three entities (``&amp;`` last, so ``&amp;lt;`` stays ``&lt;``)."""
    for raw, entity in reversed(_ENTITIES):
        text = text.replace(entity, raw)
    return text


@dataclass(frozen=True, slots=True)
class Link:
    """A ``<url|label>`` link as shown: its label (or the URL) and where it goes."""

    label: str
    url: str


Piece = str | Link


def parse(
    text: str,
    *,
    user_name: Callable[[str], str | None] | None = None,
    channel_name: Callable[[str], str | None] | None = None,
) -> list[Piece]:
    """Split mrkdwn into display strings and links, control sequences resolved.

    Mentions become ``@name`` / ``#name`` (names looked up through the callables, falling
    back to the label or the ID); entities are decoded only after the split, so an escaped
    ``&lt;@U1&gt;`` shows literally and never becomes a mention.
    """
    pieces: list[Piece] = []
    position = 0
    for match in CONTROL.finditer(text):
        if match.start() > position:
            pieces.append(unescape(text[position : match.start()]))
        target, label = match.group(1), match.group(2)
        pieces.append(_control(target, label, user_name, channel_name))
        position = match.end()
    if position < len(text):
        pieces.append(unescape(text[position:]))
    return pieces


def _control(
    target: str,
    label: str | None,
    user_name: Callable[[str], str | None] | None,
    channel_name: Callable[[str], str | None] | None,
) -> Piece:
    shown_label = unescape(label) if label else None
    if target.startswith("@"):
        found = user_name(target[1:]) if user_name else None
        return "@" + (found or shown_label or target[1:])
    if target.startswith("#"):
        found = channel_name(target[1:]) if channel_name else None
        return "#" + (found or shown_label or target[1:])
    if target.startswith("!subteam^"):
        return shown_label or "@" + target.removeprefix("!subteam^")
    if target.startswith("!date^"):
        return shown_label or target
    if target.startswith("!"):
        return "@" + target[1:]
    url = unescape(target)
    return Link(label=shown_label or url, url=url)


def plain(
    text: str,
    *,
    users: Mapping[str, str] | None = None,
    channels: Mapping[str, str] | None = None,
) -> str:
    """Display text for mrkdwn: links as ``label (url)``, mentions by name, entities decoded."""
    pieces = parse(
        text,
        user_name=users.get if users is not None else None,
        channel_name=channels.get if channels is not None else None,
    )
    out: list[str] = []
    for piece in pieces:
        if isinstance(piece, Link):
            out.append(piece.url if piece.label == piece.url else f"{piece.label} ({piece.url})")
        else:
            out.append(piece)
    return "".join(out)
