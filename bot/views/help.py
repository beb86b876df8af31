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
            "*On each lead card (the channel's lead desk):*",
            "• *Claim* — the card shows you're on it, for everyone; *Release* gives it back. "
            "If someone beat you to it, I tell you who.",
            "• *⋯ → Not relevant* (optionally why: wrong role, wrong topic, competitor, spam) — "
            "the card shrinks to one line with *Undo*, and that author is left out of this "
            "channel's next results.",
            '• Leads already posted here are marked *shared before* ("shared 3 days ago", '
            "linked to that thread); the summary counts what is new.",
            "• *Export CSV* under the summary puts the thread's leads in a file in the thread; "
            "the *Home* tab lists what you claimed.",
            f"• `{escape('/leads watch hourly|daily|weekly <description>')}` — a recurring "
            "search that posts only people new to this channel; `/leads watches` lists them "
            f"(Pause/Resume, Run now, Delete); `{escape('/leads unwatch <id>')}` deletes one.",
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
