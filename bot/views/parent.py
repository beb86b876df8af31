"""The visible parent message of a search: who asked for what, the live phase, the summary.

It is posted when ``/leads`` arrives and edited in place as the search moves along
(queued → analyzing → searching → aggregating) until it ends as a summary: how many leads,
per platform, how long it took and whether a credit was spent — or why it did not run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.views.blocks import Block, SlackMessage, context, plain_text, section
from bot.views.formatting import duration, per_platform, plural
from bot.views.limits import DESCRIPTION_SHOWN_MAX
from bot.views.text import clip, mention, one_line, slack_date
from shared.models import Lead
from shared.state.records import SearchRecord, SearchState

__all__ = [
    "EXPORT",
    "PHASES",
    "DeskCounts",
    "ParentHeader",
    "parent_not_started",
    "parent_progress",
    "parent_summary",
    "parent_waiting",
    "same_phase",
]

_FALLBACK_DESCRIPTION_MAX = 120

EXPORT = "thread_export"
"""The ``action_id`` of the summary's Export CSV button (its value: the delivery ID)."""

# Phase → (icon, words, step). ``pending`` is still "queued" to the person waiting.
PHASES: dict[SearchState, tuple[str, str, int]] = {
    SearchState.QUEUED: (":hourglass_flowing_sand:", "Queued", 1),
    SearchState.PENDING: (":hourglass_flowing_sand:", "Queued", 1),
    SearchState.ANALYZING: (":brain:", "Analyzing your description", 2),
    SearchState.SEARCHING: (":mag:", "Searching across platforms", 3),
    SearchState.AGGREGATING: (":bar_chart:", "Collecting and de-duplicating results", 4),
}
_STEPS = 4


@dataclass(frozen=True)
class ParentHeader:
    """What every version of the parent message starts with."""

    requester: str
    """Slack user ID of the person who asked ("" when an assistant shared the search)."""
    description: str
    """The description as typed (raw, decoded)."""
    request_id: str | None = None
    sandbox: bool = False
    shared_by: str | None = None
    """The assistant that shared it into the channel (untrusted: its own name for itself)."""
    watch_line: str | None = None
    """A watch's run: what it found (view-built mrkdwn, e.g. "4 new people · 21 seen
    before"), shown in place of who asked."""

    @classmethod
    def of(
        cls, search: SearchRecord, requester: str, *, shared_by: str | None = None
    ) -> ParentHeader:
        """The header for a stored search."""
        return cls(
            requester, search.description, search.request_id, search.sandbox, shared_by=shared_by
        )

    @property
    def asked_by(self) -> str:
        """Who it is for: a mention, or the assistant it came from."""
        if self.shared_by is not None:
            name = clip(one_line(self.shared_by), 40)
            return (
                f"the team, shared from an AI assistant ({name})"
                if name
                else ("the team, shared from an AI assistant")
            )
        return mention(self.requester)

    def message(self, status_blocks: list[Block], status_words: str) -> SlackMessage:
        """The full message: header, the status blocks, then the request ID line."""
        who = self.asked_by
        asked = clip(one_line(self.description), DESCRIPTION_SHOWN_MAX)
        head = f"*Lead search* for {who}:\n>{asked}"
        if self.watch_line is not None:
            head = f":eyes: Watch *{clip(one_line(self.description), 150)}*: {self.watch_line}"
            who = "a watch"
        blocks: list[Block] = [section(head), *status_blocks]
        footer = []
        if self.request_id:
            footer.append(f"Request `{clip(self.request_id, 80)}`")
        if self.sandbox:
            footer.append(":test_tube: Sandbox: synthetic data")
        if footer:
            blocks.append(context(" · ".join(footer)))
        short = clip(one_line(self.description), _FALLBACK_DESCRIPTION_MAX)
        return SlackMessage(f"Lead search for {who}: {short} — {status_words}", blocks)


def same_phase(shown: str | None, status: SearchState) -> bool:
    """Whether a parent showing ``shown`` already says what ``status`` would say."""
    if shown is None or status not in PHASES:
        return False
    try:
        return PHASES.get(SearchState(shown)) == PHASES[status]
    except ValueError:
        return False


def parent_progress(header: ParentHeader, status: SearchState) -> SlackMessage:
    """The parent while the search runs: its current phase."""
    icon, words, step = PHASES.get(status, PHASES[SearchState.QUEUED])
    line = f"{icon} {words}… (step {step} of {_STEPS})"
    return header.message([context(line)], words)


def parent_waiting(header: ParentHeader, starts_at: datetime) -> SlackMessage:
    """The parent while the search waits for room in the API's request budget."""
    when = slack_date(starts_at, "{time_secs}")
    line = (
        f":traffic_light: Rate limited: the API's request budget is used up for the moment, "
        f"so your search will run at about {when}. Nothing to do — it starts by itself."
    )
    return header.message([context(line)], "waiting for the API's rate limit")


def parent_summary(
    header: ParentHeader,
    search: SearchRecord,
    leads: Sequence[Lead],
    *,
    reused: bool,
    desk: DeskCounts | None = None,
    export: str | None = None,
    chosen_from: int | None = None,
) -> SlackMessage:
    """The parent once the search is over: the outcome in one glance.

    When the API found more leads than were kept (``search.results_count`` over
    ``len(leads)``: the core keeps the first ``MAX_LEADS_KEPT``), it says how many were left
    out. With ``chosen_from`` (how many leads the search kept), ``leads`` are the few an
    assistant chose to share, and it says they were chosen. With ``desk``, it also says how
    many leads are new to the channel, how many were shared here before, and how many muted
    authors were left out. With ``export`` (the delivery's ID), it ends with the
    **Export CSV** button.
    """
    took = f"took {duration(search.elapsed_seconds)}" if search.elapsed_seconds is not None else ""
    if search.status is SearchState.COMPLETED and leads:
        kept = len(leads)
        found = max(search.results_count or 0, chosen_from or 0, kept)
        count = plural(kept, "lead")
        if chosen_from is not None:  # "3 leads chosen from the 25 found"
            headline = f"*{count}* chosen from the {found:,} found —"
            words = f"{count} chosen from {found:,} found"
        elif found > kept:  # "1,000 leads found — the first 100 are in the thread (900 left out)"
            headline = (
                f"*{plural(found, 'lead')} found* — the first {kept:,} are in the thread "
                f"({found - kept:,} left out) ·"
            )
            words = f"{plural(found, 'lead')} found, the first {kept:,} shown"
        else:
            headline, words = f"*{count}* —", f"{count} found"
        credit = (
            "reused an identical recent search, so no new credit was spent"
            if reused
            else "1 credit spent"
        )
        facts = " · ".join(part for part in (took, credit) if part)
        text = f":white_check_mark: {headline} {per_platform(lead.platform for lead in leads)}\n"
        if desk is not None:
            text += f"{desk.line()}\n"
        text += f"{facts} · the cards are in the thread :thread:"
        blocks = [section(text)]
        if export is not None:
            button = {
                "type": "button",
                "text": plain_text("Export CSV"),
                "action_id": EXPORT,
                "value": export,
            }
            blocks.append({"type": "actions", "elements": [button]})
        return header.message(blocks, words)
    if search.status is SearchState.COMPLETED:
        line = ":information_source: *No leads found* — no credit was spent."
        if took:
            line += f" ({took})"
        return header.message([section(line)], "no leads found")
    if search.status is SearchState.EXPIRED:
        line = ":hourglass: *No result in time* — we stopped waiting. Details in the thread."
        return header.message([section(line)], "no result in time")
    line = ":x: *The search failed* — no credit was spent. The reason is in the thread."
    return header.message([section(line)], "the search failed")


@dataclass(frozen=True)
class DeskCounts:
    """What the team desk knew of a search's leads when its thread was posted."""

    new: int
    shared_before: int
    muted_hidden: int
    """Distinct authors muted in the channel whose leads were left out (not their leads)."""

    def line(self) -> str:
        """E.g. "18 new · 7 shared before · 2 muted authors hidden"."""
        parts = [f"{self.new} new", f"{self.shared_before} shared before"]
        if self.muted_hidden:
            parts.append(f"{plural(self.muted_hidden, 'muted author')} hidden")
        return " · ".join(parts)


def parent_not_started(header: ParentHeader, reason: str) -> SlackMessage:
    """The parent when the search could not be submitted; ``reason`` is view-built mrkdwn."""
    return header.message(
        [section(f":warning: *This search did not start.* {reason}")], "not started"
    )
