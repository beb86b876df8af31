"""What a person would see in Slack, as terminal text (used by ``make demo``).

``render_message`` turns one message (as the Web API returns it) into readable lines: headers
underlined, sections and fields, context lines, ``[ Open post ]`` buttons, dividers, files.
mrkdwn links ``<url|label>`` show as ``label (url)``, mentions by name, and Slack's entities
(``&amp;`` ``&lt;`` ``&gt;``) decoded — so text the bot escaped correctly reads naturally, and
text it escaped twice shows its stray ``&amp;``. ``plain_text`` objects are shown literally.

Two styles: ``"plain"`` (no ANSI codes: for tests, logs and pipes; ``*bold*`` keeps its
asterisks, which read fine) and ``"ansi"`` (bold, italics, colours). ``auto_style(stream)``
picks ``ansi`` only for a TTY.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, TextIO

from . import mrkdwn
from .state import SlackState

Style = Literal["plain", "ansi"]

DIVIDER = "─" * 40
THREAD_INDENT = "    │ "

_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_CODE = re.compile(r"`([^`\n]+)`")

_ANSI = {
    "bold": "\x1b[1m",
    "italic": "\x1b[3m",
    "underline": "\x1b[4m",
    "strike": "\x1b[9m",
    "dim": "\x1b[2m",
    "reverse": "\x1b[7m",
    "green": "\x1b[32m",
    "red": "\x1b[31m",
    "reset": "\x1b[0m",
}


def auto_style(stream: TextIO) -> Style:
    """``ansi`` when writing to a terminal, ``plain`` otherwise."""
    return "ansi" if stream.isatty() else "plain"


class _Painter:
    """Applies (or, in plain style, skips) terminal styling."""

    def __init__(self, style: Style) -> None:
        self.ansi = style == "ansi"

    def __call__(self, text: str, *styles: str) -> str:
        if not self.ansi or not styles or not text:
            return text
        return "".join(_ANSI[s] for s in styles) + text + _ANSI["reset"]


class _Renderer:
    def __init__(
        self, users: Mapping[str, str] | None, channels: Mapping[str, str] | None, style: Style
    ) -> None:
        self.users = users or {}
        self.channels = channels or {}
        self.paint = _Painter(style)

    # -- text ------------------------------------------------------------------------------

    def mrkdwn(self, text: str) -> str:
        out: list[str] = []
        for piece in mrkdwn.parse(text, user_name=self.users.get, channel_name=self.channels.get):
            if isinstance(piece, mrkdwn.Link):
                if piece.label == piece.url:
                    out.append(self.paint(piece.url, "underline"))
                else:
                    out.append(f"{self.paint(piece.label, 'underline')} ({piece.url})")
            else:
                out.append(self.emphasis(piece))
        return "".join(out)

    def emphasis(self, text: str) -> str:
        if not self.paint.ansi:
            return text
        for pattern, style in ((_BOLD, "bold"), (_ITALIC, "italic"), (_STRIKE, "strike")):
            text = pattern.sub(_replace_with(self.paint, style), text)
        return _CODE.sub(_replace_with(self.paint, "reverse"), text)

    def text_object(self, obj: Any) -> str:
        if not isinstance(obj, Mapping):
            return ""
        text = str(obj.get("text", ""))
        return self.mrkdwn(text) if obj.get("type") == "mrkdwn" else text

    # -- blocks ----------------------------------------------------------------------------

    def blocks(self, blocks: list[Any]) -> list[str]:
        lines: list[str] = []
        for block in blocks:
            if isinstance(block, Mapping):
                lines.extend(self.block(block))
        return lines

    def block(self, block: Mapping[str, Any]) -> list[str]:
        kind = block.get("type")
        if kind == "header":
            text = self.text_object(block.get("text"))
            if self.paint.ansi:
                return [self.paint(text, "bold", "underline")]
            return [text, "═" * len(text)]
        if kind == "section":
            return self.section(block)
        if kind == "context":
            parts = [self.context_element(e) for e in block.get("elements") or []]
            return [self.paint("  ".join(p for p in parts if p), "dim")]
        if kind == "actions":
            return ["  ".join(self.element(e) for e in block.get("elements") or [])]
        if kind == "divider":
            return [self.paint(DIVIDER, "dim")]
        if kind == "image":
            return [f"[image: {block.get('alt_text', '')}]"]
        if kind == "markdown":
            return str(block.get("text", "")).splitlines()
        if kind == "rich_text":
            return _rich_text(block).splitlines()
        return [f"[{kind} block]"]

    def section(self, block: Mapping[str, Any]) -> list[str]:
        lines: list[str] = []
        if block.get("text") is not None:
            lines.extend(self.text_object(block["text"]).splitlines())
        for field in block.get("fields") or []:
            lines.extend("  " + line for line in self.text_object(field).splitlines())
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping):
            lines.append(self.element(accessory))
        return lines

    def context_element(self, element: Any) -> str:
        if isinstance(element, Mapping) and element.get("type") == "image":
            return f"[{element.get('alt_text', 'image')}]"
        return self.text_object(element)

    def element(self, element: Any) -> str:
        if not isinstance(element, Mapping):
            return ""
        kind = element.get("type")
        if kind == "button":
            label = f"[ {self.text_object(element.get('text'))} ]"
            colour = {"primary": "green", "danger": "red"}.get(str(element.get("style")))
            return self.paint(label, colour) if colour else self.paint(label, "bold")
        if kind == "image":
            return f"[image: {element.get('alt_text', '')}]"
        if kind == "overflow":
            return "[ ⋯ ]"
        placeholder = self.text_object(element.get("placeholder")) or str(kind)
        return f"[ {placeholder} ▾ ]"

    # -- messages --------------------------------------------------------------------------

    def message(self, message: Mapping[str, Any], *, with_author: bool) -> str:
        lines: list[str] = []
        if with_author:
            lines.append(self.author_line(message))
        blocks = message.get("blocks")
        if isinstance(blocks, list) and blocks:
            lines.extend(self.blocks(blocks))
        elif message.get("text"):
            lines.extend(self.mrkdwn(str(message["text"])).splitlines())
        for file in message.get("files") or []:
            if isinstance(file, Mapping):
                lines.append(f"[file: {file.get('name')}, {_size(file.get('size'))}]")
        if message.get("edited") and lines:
            lines[-1] += self.paint(" (edited)", "dim")
        return "\n".join(lines)

    def author_line(self, message: Mapping[str, Any]) -> str:
        user = str(message.get("user", ""))
        name = self.users.get(user, user)
        if message.get("bot_id"):
            name += " [APP]"
        when = _clock(str(message.get("ts", "")))
        return f"{self.paint(name, 'bold')}  {self.paint(when, 'dim')}"


def _replace_with(paint: _Painter, style: str) -> Callable[[re.Match[str]], str]:
    return lambda match: paint(match.group(1), style)


def _rich_text(block: Mapping[str, Any]) -> str:
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
            return
        if not isinstance(node, Mapping):
            return
        kind = node.get("type")
        if kind == "text":
            parts.append(str(node.get("text", "")))
        elif kind == "link":
            parts.append(str(node.get("text") or node.get("url", "")))
        elif kind in ("user", "channel"):
            parts.append(("@" if kind == "user" else "#") + str(node.get(f"{kind}_id", "")))
        elif kind == "rich_text_list":
            for item in node.get("elements") or []:
                parts.append("• ")
                walk(item)
                if not parts[-1].endswith("\n"):
                    parts.append("\n")
        else:
            walk(node.get("elements") or [])
            if kind in ("rich_text_section", "rich_text_quote", "rich_text_preformatted"):
                parts.append("\n")

    walk(block.get("elements") or [])
    return "".join(parts).rstrip("\n")


def _size(size: Any) -> str:
    if not isinstance(size, int):
        return "? B"
    if size < 1024:
        return f"{size} B"
    return f"{size / 1024:.1f} KB"


def _clock(ts: str) -> str:
    try:
        return time.strftime("%H:%M:%S", time.localtime(float(ts)))
    except (ValueError, OverflowError):
        return ts


def render_message(
    message: Mapping[str, Any],
    *,
    users: Mapping[str, str] | None = None,
    channels: Mapping[str, str] | None = None,
    style: Style = "plain",
    with_author: bool = False,
) -> str:
    """One message as a person would read it; ``users``/``channels`` map IDs to names."""
    return _Renderer(users, channels, style).message(message, with_author=with_author)


def render_thread(state: SlackState, channel: str, ts: str, *, style: Style = "plain") -> str:
    """A thread: the parent with its author, then each reply indented under it."""
    renderer = _Renderer(state.user_names(), state.channel_names(), style)
    thread = state.thread(channel, ts)
    if not thread:
        return ""
    parent, replies = thread[0], thread[1:]
    out = [renderer.message(parent.to_api(team_id=state.team_id), with_author=True)]
    for reply in replies:
        body = renderer.message(reply.to_api(team_id=state.team_id), with_author=True)
        out.append("\n".join(THREAD_INDENT + line for line in body.splitlines()))
    return f"\n{THREAD_INDENT.rstrip()}\n".join(out)


def render_channel(state: SlackState, channel: str, *, style: Style = "plain") -> str:
    """A whole channel, oldest first: each thread, and ephemerals marked as such."""
    renderer = _Renderer(state.user_names(), state.channel_names(), style)
    entries: list[tuple[str, str]] = []
    for msg in state.history(channel):
        if not msg.is_reply:
            entries.append((msg.ts, render_thread(state, channel, msg.ts, style=style)))
    for ephemeral in state.ephemerals:
        if ephemeral.channel == channel:
            body = renderer.message(
                {
                    "user": state.bot_user_id,
                    "bot_id": state.bot_id,
                    "ts": ephemeral.ts,
                    "text": ephemeral.text,
                    "blocks": ephemeral.blocks,
                },
                with_author=True,
            )
            who = (
                state.users[ephemeral.user].name
                if ephemeral.user in state.users
                else ephemeral.user
            )
            note = renderer.paint(f"(only visible to @{who})", "dim")
            entries.append((ephemeral.ts, f"{body}\n{note}"))
    entries.sort(key=lambda entry: float(entry[0]))
    return "\n\n".join(text for _, text in entries)
