"""``/leads status <request ID>``: one search's state and outcome, for the person who asked."""

from __future__ import annotations

from collections.abc import Sequence

from bot.deliveries import SLACK
from bot.views.blocks import SlackMessage, context, section
from bot.views.formatting import duration, per_platform, plural
from bot.views.limits import DESCRIPTION_SHOWN_MAX, ERROR_SHOWN_MAX
from bot.views.parent import PHASES
from bot.views.text import channel_link, clip, escape, mention, one_line, slack_date
from shared.models import Lead
from shared.state.records import SearchRecord, SearchState

__all__ = [
    "status_invalid_id",
    "status_message",
    "status_too_many_lookups",
    "status_unavailable",
    "status_unknown",
]


def status_message(search: SearchRecord, leads: Sequence[Lead]) -> SlackMessage:
    """Where the search is, or what it found."""
    rid = clip(search.request_id, 80)
    lines = [f"*Search* `{rid}`: {_state(search, leads)}"]
    if search.description:
        lines.append(f">{clip(one_line(search.description), DESCRIPTION_SHOWN_MAX)}")
    facts = [f"submitted {slack_date(search.created_at, '{date_short_pretty} {time}')}"]
    origin = search.origin
    if origin.front == SLACK and origin.user_id and origin.channel_id:
        facts.append(f"asked by {mention(origin.user_id)} in {channel_link(origin.channel_id)}")
    if search.elapsed_seconds is not None:
        facts.append(f"took {duration(search.elapsed_seconds)}")
    if search.sandbox:
        facts.append(":test_tube: sandbox data")
    text = f"Search {rid}: {search.status.value}"
    return SlackMessage(text, [section("\n".join(lines)), context(" · ".join(facts))])


def _state(search: SearchRecord, leads: Sequence[Lead]) -> str:
    if search.status is SearchState.COMPLETED and leads:
        platforms = per_platform(lead.platform for lead in leads)
        count = plural(len(leads), "lead")
        return f":white_check_mark: completed, *{count}* ({platforms}) · 1 credit spent"
    if search.status is SearchState.COMPLETED:
        return ":information_source: completed, no leads found · no credit spent"
    if search.status in (SearchState.FAILED, SearchState.EXPIRED):
        reason = clip(search.error or "no reason given", ERROR_SHOWN_MAX)
        return f":x: {search.status.value}: {reason} · no credit spent"
    icon, words, step = PHASES[search.status]
    return f"{icon} {words} (step {step} of 4)"


def status_unknown() -> SlackMessage:
    """No search has that ID (neither we nor the API know it)."""
    text = (
        ":grey_question: No search has that request ID. Check it against the one shown on "
        "the search's message."
    )
    return SlackMessage(text, [section(text)])


def status_invalid_id() -> SlackMessage:
    """The text given cannot be a request ID."""
    text = (
        ":grey_question: That doesn't look like a request ID. Use "
        f"`{escape('/leads status <request ID>')}` "
        "with the ID shown at the bottom of a search's message."
    )
    return SlackMessage(text, [section(text)])


def status_too_many_lookups(retry_after: float) -> SlackMessage:
    """This person looked up too many searches we did not know, too fast."""
    text = (
        f":hourglass: Too many lookups of unknown searches; try again in {duration(retry_after)}."
    )
    return SlackMessage(text, [section(text)])


def status_unavailable() -> SlackMessage:
    """The lookup failed (API or database unreachable)."""
    text = ":warning: I couldn't look that search up right now. Try again in a minute."
    return SlackMessage(text, [section(text)])
