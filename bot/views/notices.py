"""Short messages for people: ephemeral answers, and why a search did not start.

Each says what happened and what the reader can do about it; none shows exception text.
"""

from __future__ import annotations

from datetime import datetime

from bot.views.blocks import SlackMessage, context, section
from bot.views.formatting import duration
from bot.views.text import clip, slack_date
from shared.validation import MAX_DESCRIPTION_LENGTH, MIN_DESCRIPTION_LENGTH

__all__ = [
    "EXAMPLE",
    "api_refused",
    "api_unavailable",
    "budget_exhausted",
    "click_not_saved",
    "credentials_refused",
    "database_down",
    "invalid_description",
    "not_in_channel",
    "unexpected_error",
    "unexpected_reason",
]

EXAMPLE = "/leads CTOs at fintech companies discussing cloud migration"
LIMITS = f"{MIN_DESCRIPTION_LENGTH}–{MAX_DESCRIPTION_LENGTH:,} characters"


def _notice(text: str, hint: str | None = None) -> SlackMessage:
    blocks = [section(text)]
    if hint:
        blocks.append(context(hint))
    return SlackMessage(text, blocks)


# -- ephemeral answers to /leads ------------------------------------------------------------


def invalid_description(length: int) -> SlackMessage:
    """The description is too short or too long; nothing was sent to the API."""
    problem = "too short" if length < MIN_DESCRIPTION_LENGTH else "too long"
    return _notice(
        f":pencil2: That description is {problem} ({length:,} characters). Describe who you "
        f"are looking for in {LIMITS}.",
        f"For example: `{EXAMPLE}` · `/leads help` for more",
    )


def not_in_channel(*, started: bool = False) -> SlackMessage:
    """The bot cannot post in this channel. ``started``: the search was submitted anyway
    (Slack was slow to say so); run again soon, it is answered from that search."""
    if started:
        footnote = (
            "Your search had started before Slack told me. Run the same `/leads` again soon "
            "and it is answered from that search (identical searches are reused)."
        )
    else:
        footnote = "Nothing was searched and no credit was spent."
    return _notice(
        ":wave: I'm not in this channel yet, so I can't post your search here. Invite me "
        "with `/invite @Leads`, then run your `/leads` command again.",
        footnote,
    )


def database_down() -> SlackMessage:
    """Redis cannot be reached: nothing was started."""
    return _notice(
        ":warning: Leads can't reach its database right now, so nothing was started. "
        "Try again in a minute.",
        "If this keeps happening, tell whoever runs Leads (the bot's /healthz says more).",
    )


def click_not_saved() -> SlackMessage:
    """Redis could not record a click in time: nothing changed."""
    return _notice(
        ":warning: Leads can't reach its database right now, so your click was not saved. "
        "Try again in a minute.",
        "If this keeps happening, tell whoever runs Leads (the bot's /healthz says more).",
    )


def unexpected_error() -> SlackMessage:
    """Something we did not plan for went wrong."""
    return _notice(
        ":warning: Something went wrong on our side. Try again in a minute.",
        "If this keeps happening, tell whoever runs Leads.",
    )


# -- why a search did not start (shown in its parent message) ----------------------------------


def credentials_refused() -> str:
    """The API refused the app's credentials: only an admin can fix it."""
    return (
        "The Person Leads API refused this app's credentials. *An admin needs to check the "
        "`NYNE_API_KEY` and `NYNE_API_SECRET` settings* (and `NYNE_BASE_URL`) and restart "
        "the bot. No credit was spent."
    )


def budget_exhausted(retry_at: datetime, retry_after: float) -> str:
    """The API's request budget is used up for longer than we wait."""
    return (
        "The API's request budget is used up for now. Try again at about "
        f"{slack_date(retry_at, '{time}')} (in {duration(retry_after)}). No credit was spent."
    )


def api_unavailable() -> str:
    """The API could not be reached, or its answer was lost on the way."""
    return "The Person Leads API could not be reached or had a problem. Try again in a few minutes."


def api_failed() -> str:
    """The API answered that it failed (500): it may or may not have started the search."""
    return (
        "The Person Leads API failed while taking this search (an error on its side), so "
        "Leads did not send it twice. Run `/leads` again to start it."
    )


def api_refused(code: str | None) -> str:
    """The API answered 400 to the submission."""
    if code == "invalid_callback_url":
        return (
            "The API refused our callback address. *An admin needs to check the "
            "`PUBLIC_BASE_URL` setting* (or unset it to use polling)."
        )
    shown = f" (`{clip(code, 60)}`)" if code else ""
    return f"The Person Leads API refused the request{shown}. Try rewording the description."


def unexpected_reason() -> str:
    """Something we did not plan for went wrong during submission."""
    return "Something went wrong on our side. Try again in a minute."


_CLICK_NOTICES = {
    "expired": (
        "This search's results are no longer kept (they expire after a week), so its cards "
        "can't be changed. Run `/leads` again for fresh ones."
    ),
    "no_access": (
        "You can't change this lead from here: it belongs to a channel you're not in (or "
        "another workspace). Ask someone in that channel, or run `/leads` in yours."
    ),
    "released_card_gone": (
        "Released. Its search's results have expired, so the card in its channel still "
        "shows the old claim."
    ),
    "claimed_by_other": "{who} has already claimed this lead. Ask them if you want it.",
    "release_not_yours": "Only {who}, who claimed this lead, can release it.",
    "cannot_edit": (
        "Your change is saved, but I can no longer edit that message (deleted, or I was "
        "removed from the channel). It shows in the next search here."
    ),
    "busy": "That is being updated for someone else's click; try again in a moment.",
    "cannot_upload": (
        "I can't post a file in that thread any more (I was removed from the channel, or it "
        "was archived). `/invite` me and try again."
    ),
}


def click_notice(kind: str, *, who: str = "") -> SlackMessage:
    """What only the person who clicked a card sees when their click could not be shown.

    ``who`` is a mention built by the caller from a Slack user ID.
    """
    text = _CLICK_NOTICES[kind].format(who=who)
    return SlackMessage(text, [section(f":information_source: {text}")])
