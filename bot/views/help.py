"""``/leads help``: what the command does and how to use it."""

from __future__ import annotations

from bot.views.blocks import SlackMessage, context, section
from bot.views.notices import EXAMPLE, LIMITS
from bot.views.text import escape

__all__ = ["help_message"]


def help_message() -> SlackMessage:
    """The help text, shown only to the person who asked."""
    usage = "\n".join(
        (
            "*Find people who are posting about something right now.*",
            f"• `{escape('/leads <description>')}` — describe who you want in {LIMITS}. I post the "
            "search here, show its progress, and put one card per lead in the thread.",
            f"• `{escape('/leads status <request ID>')}` — where a search is, and what it found.",
            "• `/leads help` — this message.",
            "• `/leads watch`, `/leads watches`, `/leads unwatch` — recurring searches, "
            "coming soon.",
        )
    )
    return SlackMessage(
        "How to use /leads",
        [
            section(usage),
            context(
                f"Example: `{EXAMPLE}` · A search that finds leads costs one credit; "
                "one that finds none is free."
            ),
        ],
    )
