"""Block Kit building blocks: a message (fallback text + blocks) and the blocks we use.

Every text object is ``mrkdwn`` with ``verbatim: true``: Slack then links nothing on its own
(no bare URLs, channel names or ``@here`` typed as text) — only the control sequences the
views build deliberately.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.views.limits import FALLBACK_TEXT_MAX

__all__ = [
    "Block",
    "SlackMessage",
    "block_text_length",
    "context",
    "divider",
    "mrkdwn",
    "plain_text",
    "section",
]

Block = dict[str, Any]


@dataclass(frozen=True)
class SlackMessage:
    """What one Slack message says: the fallback ``text`` and its ``blocks``.

    ``text`` is mrkdwn too (notifications, screen readers, clients without blocks), so it
    is built from escaped parts like the blocks.
    """

    text: str
    blocks: list[Block] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.text) > FALLBACK_TEXT_MAX:
            raise ValueError("fallback text over its budget; clip its parts")

    def as_args(self) -> dict[str, Any]:
        """Keyword arguments for ``chat.postMessage``/``chat.update``/``respond``."""
        return {"text": self.text, "blocks": self.blocks}


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object Slack will not auto-link."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain_text(text: str) -> dict[str, Any]:
    """A plain-text object (buttons, menu options): Slack renders it literally."""
    return {"type": "plain_text", "text": text, "emoji": True}


def section(text: str) -> Block:
    """A section block with mrkdwn text."""
    return {"type": "section", "text": mrkdwn(text)}


def context(*texts: str) -> Block:
    """A context block (small grey text), one element per text."""
    return {"type": "context", "elements": [mrkdwn(text) for text in texts]}


def divider() -> Block:
    """A divider."""
    return {"type": "divider"}


def block_text_length(blocks: list[Block]) -> int:
    """Characters of text in ``blocks`` as Slack counts them toward its per-message cap.

    Every text object counts, link markup and URLs included (they are in the text).
    """
    total = 0
    stack: list[Any] = list(blocks)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                total += len(node["text"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return total
