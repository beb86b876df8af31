"""The thread under a search's parent message: lead cards packed into few messages.

Cards keep the API's order. :func:`pack` fills each message with as many cards as fit
under both the block limit and the text budget before starting the next: for contiguous
groups under additive limits, filling greedily gives the fewest messages.

Which lead goes in which reply is decided once, when the thread is first posted, and kept
as a :class:`ThreadPlan` (with what the team desk knew then: leads shared before in the
channel, authors muted there). A resumed delivery rebuilds exactly the same replies from
it and skips the ones already posted; a click on a card re-renders just its reply. Cards
are packed at their largest (claimed, with a "shared before" note), so a reply stays
within Slack's limits whatever the desk adds later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from pydantic import BaseModel

from bot.desk import DeskState, SharedBefore, lead_key
from bot.views.blocks import Block, SlackMessage, block_text_length, context, section
from bot.views.cards import CardDesk, lead_card
from bot.views.formatting import plural
from bot.views.limits import ERROR_SHOWN_MAX, MAX_BLOCKS, MESSAGE_TEXT_BUDGET
from bot.views.text import clip, mention
from shared.models import Lead
from shared.state.records import SearchRecord, SearchState

__all__ = ["ThreadPlan", "lead_reply", "pack", "plan_thread", "thread_replies"]

# Room kept in every message for its heading (one context block).
_HEADING_BLOCKS = 1
_HEADING_TEXT = 200  # the heading is ~120 characters at most (mention, counts, sandbox note)
SANDBOX_NOTE = ":test_tube: Sandbox data: synthetic people, not real leads."


def pack(
    cards: Sequence[list[Block]],
    *,
    max_blocks: int = MAX_BLOCKS - _HEADING_BLOCKS,
    max_text: int = MESSAGE_TEXT_BUDGET - _HEADING_TEXT,
) -> list[list[list[Block]]]:
    """Split ``cards`` (in order) into groups, each within ``max_blocks`` and ``max_text``."""
    groups: list[list[list[Block]]] = []
    current: list[list[Block]] = []
    blocks = text = 0
    for card in cards:
        size = block_text_length(card)
        if current and (blocks + len(card) > max_blocks or text + size > max_text):
            groups.append(current)
            current, blocks, text = [], 0, 0
        current.append(card)
        blocks += len(card)
        text += size
    if current:
        groups.append(current)
    return groups


class ThreadPlan(BaseModel):
    """How a finished search's leads are laid out in its thread, fixed at first posting."""

    groups: list[list[int]]
    """The positions (in the results) of the cards in each reply, in order."""
    shared: dict[int, SharedBefore] = {}
    """Leads whose author or post was posted in this channel before, by position (with the
    link to that thread, for the export, even when the cards leave it out)."""
    linked: bool = True
    """Whether the cards' "shared before" marks carry their links (False when the links
    alone would cost the thread a reply)."""
    hidden: int = 0
    """Leads left out because their author is muted in this channel."""
    muted_authors: int = 0
    """The distinct muted authors those hidden leads came from (the summary counts them)."""
    link: str | None = None
    """A permalink to the thread's parent (for the App Home), when Slack gave one."""

    @property
    def shown(self) -> int:
        """How many cards the thread holds."""
        return sum(len(group) for group in self.groups)

    def mark(self, position: int) -> SharedBefore | None:
        """The "shared before" mark the card at ``position`` shows (linked or not)."""
        found = self.shared.get(position)
        return found if found is None or self.linked else replace(found, link=None)

    def reply_of(self, position: int) -> int | None:
        """Which reply holds the card at ``position`` (None: not shown)."""
        for index, group in enumerate(self.groups):
            if position in group:
                return index
        return None


# Cards are packed as they are at their widest without times: claimed, by whom. A reply
# re-rendered after clicks then always fits Slack's limits; it says *when* each card was
# claimed or dismissed whenever that fits too (see lead_reply).
_WIDEST_STATE = DeskState(claimed_by="U00000000000", claimed_at=0.0)


def plan_thread(
    leads: Sequence[Lead],
    *,
    ref_prefix: str = "",
    shared: Sequence[SharedBefore | None] | None = None,
    muted: Sequence[bool] | None = None,
    only: set[int] | None = None,
) -> ThreadPlan:
    """Lay out the cards of ``leads``: muted authors left out, the rest packed in order.

    ``only``: the positions chosen to post (an assistant may share a few); the others are
    neither shown nor counted as hidden.

    "Shared before" marks link to their earlier thread, unless the links alone would cost
    the thread a reply: then the marks keep their dates without links (a search repeated in
    one channel marks every card, and a permalink is ~65 characters a card).
    """
    chosen = [i for i in range(len(leads)) if only is None or i in only]
    shown = [i for i in chosen if not (muted and muted[i])]
    marks = {i: mark for i, mark in enumerate(shared or ()) if mark is not None and i in shown}
    groups, linked = _layout(leads, shown, marks, ref_prefix), True
    if any(mark.link for mark in marks.values()):
        unlinked = {i: replace(mark, link=None) for i, mark in marks.items()}
        fewer = _layout(leads, shown, unlinked, ref_prefix)
        if len(fewer) < len(groups):
            groups, linked = fewer, False
    # One author muted here may have several posts in the results: the summary counts people.
    authors = {lead_key(leads[i]) for i in chosen if i not in shown}
    return ThreadPlan(
        groups=groups,
        shared=marks,
        linked=linked,
        hidden=len(chosen) - len(shown),
        muted_authors=len(authors),
    )


def _layout(
    leads: Sequence[Lead], shown: list[int], marks: dict[int, SharedBefore], ref_prefix: str
) -> list[list[int]]:
    """The positions in each reply, packing every card at its widest."""
    cards = [
        lead_card(leads[i], CardDesk(f"{ref_prefix}|{i}", _WIDEST_STATE, marks.get(i), timed=False))
        for i in shown
    ]
    groups, start = [], 0
    for group in pack(cards):
        groups.append(shown[start : start + len(group)])
        start += len(group)
    return groups


def thread_replies(
    search: SearchRecord,
    leads: Sequence[Lead],
    requester: str,
    *,
    plan: ThreadPlan | None = None,
    delivery_id: str | None = None,
    states: Mapping[int, DeskState] | None = None,
) -> list[SlackMessage]:
    """Every thread reply a finished search gets, in posting order.

    ``requester`` (a Slack user ID) is mentioned once, in the first reply, so the person
    who asked hears that the answer is in. With ``delivery_id``, cards carry the desk's
    actions and ``states`` (by position).
    """
    who = mention(requester) if requester else ""
    if search.status is SearchState.COMPLETED and leads:
        plan = plan or plan_thread(leads, ref_prefix=delivery_id or "")
        if not plan.groups:
            # Every lead chosen (all of them, unless an assistant shared a few) was hidden.
            text = f"{who} All {plural(plan.hidden, 'lead')} came from authors muted here.".strip()
            hint = "Undo a “not relevant” on an earlier card to see that author again."
            return [SlackMessage(text, [section(f":mute: {text}"), context(hint)])]
        return [
            lead_reply(search, leads, who, plan, index, delivery_id=delivery_id, states=states)
            for index in range(len(plan.groups))
        ]
    if search.status is SearchState.COMPLETED:
        text = f"{who} No leads found for this description — no credit was spent.".strip()
        hint = (
            "Try describing the people more broadly: their role, industry or what they post about."
        )
        return [SlackMessage(text, [section(f":mag: {text}"), context(hint)])]
    reason = clip(search.error or "no reason given", ERROR_SHOWN_MAX)
    if search.status is SearchState.EXPIRED:
        text = f"{who} This search did not finish in time.".strip()
        body = f":hourglass: {text} {reason}\nNo results came back, so nothing was charged."
    else:
        text = f"{who} The search failed — no credit was spent.".strip()
        body = f":x: {text}\n*Reason:* {reason}"
    return [SlackMessage(text, [section(body), context("Run `/leads` again to retry.")])]


def lead_reply(
    search: SearchRecord,
    leads: Sequence[Lead],
    who: str,
    plan: ThreadPlan,
    index: int,
    *,
    delivery_id: str | None = None,
    states: Mapping[int, DeskState] | None = None,
) -> SlackMessage:
    """Reply ``index`` of the thread: its heading, then its cards as the desk has them now."""
    total = plan.shown
    first = sum(len(group) for group in plan.groups[:index]) + 1
    last = first + len(plan.groups[index]) - 1
    span = f"{first} of {total}" if first == last else f"{first}–{last} of {total}"
    heading = f"Leads {span}"
    if index == 0 and who:
        heading = f"{who} {plural(total, 'lead')} for your search · {heading}"
    elif index == 0:
        heading = f"{plural(total, 'lead')} shared from an AI assistant · {heading}"
    notes = [heading, SANDBOX_NOTE] if search.sandbox and index == 0 else [heading]
    for timed in (True, False):
        blocks: list[Block] = [context(*notes)]
        for position in plan.groups[index]:
            desk = None
            if delivery_id is not None:
                state = (states or {}).get(position, DeskState())
                shared = plan.mark(position)
                desk = CardDesk(f"{delivery_id}|{position}", state, shared, timed=timed)
            blocks.extend(lead_card(leads[position], desk))
        if block_text_length(blocks) <= MESSAGE_TEXT_BUDGET:
            break
    return SlackMessage(heading, blocks)
