"""What a person typed after ``/leads``: decoding Slack's encoding, then the subcommand.

Slack sends a slash command's ``text`` with ``&``, ``<`` and ``>`` as ``&amp;``, ``&lt;`` and
``&gt;`` (all message text travels that way), and — with the manifest's ``should_escape``
on — mentions and links as control sequences (``<@U123|bob>``, ``<#C1|sales>``,
``<!here>``, ``<https://x|x>``). :func:`decode_command_text` undoes both exactly once, giving
the description as typed, which is what the API gets. Whenever it is shown again, the views
escape it again (``bot.views.text.escape``): decoded once, escaped once, so ``&`` is never
shown as ``&amp;amp;`` and a typed ``@channel`` can never become a live ``<!channel>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "LeadsCommand",
    "ShowHelp",
    "ShowStatus",
    "StartSearch",
    "WatchCommand",
    "decode_command_text",
    "parse_command",
]

_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
# Real "<" and ">" in the text can only be control sequences: typed ones arrive as entities.
_CONTROL = re.compile(r"<([^<>]*)>")
_HELP_WORDS = frozenset({"help", "-h", "--help", "?"})
_WATCH_PERIODS = frozenset({"hourly", "daily", "weekly"})


def _readable(sequence: str) -> str:
    """A control sequence's inside (``@U1|bob``, ``!here``, ``https://x|x``) as text."""
    target, _, label = sequence.partition("|")
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!subteam^"):
        return label or "@" + target.removeprefix("!subteam^")
    if target.startswith("!date^"):
        return label or ""
    if target.startswith("!"):
        return "@" + target[1:]
    return label or target


def decode_command_text(text: str) -> str:
    """The text as the person typed it: control sequences made readable, entities decoded.

    Entities are decoded in one pass, so ``&amp;lt;`` (a typed ``&lt;``) stays ``&lt;``.
    """
    readable = _CONTROL.sub(lambda match: _readable(match.group(1)), text)
    return _ENTITY.sub(lambda match: _ENTITIES[match.group(1)], readable)


@dataclass(frozen=True)
class ShowHelp:
    """``/leads``, ``/leads help``."""


@dataclass(frozen=True)
class ShowStatus:
    """``/leads status <request ID>`` (the ID may be empty or malformed)."""

    request_id: str


@dataclass(frozen=True)
class WatchCommand:
    """``/leads watch <schedule> <description>``, ``/leads watches``, ``/leads unwatch <id>``
    (``bot.listeners.commands.watches`` checks and answers them)."""

    subcommand: str
    """``watch``, ``watches`` or ``unwatch``."""
    argument: str = ""
    """What follows it, as typed (decoded): the schedule and description, or the ID."""


@dataclass(frozen=True)
class StartSearch:
    """Anything else: a description of the people to find (not yet validated)."""

    description: str


LeadsCommand = ShowHelp | ShowStatus | WatchCommand | StartSearch


def parse_command(text: str) -> LeadsCommand:
    """What ``/leads <text>`` asks for (``text`` as Slack sent it).

    A subcommand word only counts when the rest has its shape, so a description that
    happens to start with "status" or "watch" ("watch collectors in Geneva") is a search.
    """
    typed = decode_command_text(text).strip()
    words = typed.split()
    if not words or (len(words) == 1 and words[0].lower() in _HELP_WORDS):
        return ShowHelp()
    first = words[0].lower()
    rest = words[1:]
    if first == "status" and len(rest) <= 1:
        return ShowStatus(rest[0] if rest else "")
    if first == "watches" and not rest:
        return WatchCommand(first)
    if first == "unwatch" and len(rest) <= 1:
        return WatchCommand(first, rest[0] if rest else "")
    if first == "watch" and (not rest or rest[0].lower() in _WATCH_PERIODS):
        return WatchCommand(first, typed[len(words[0]) :].strip())
    return StartSearch(typed)
