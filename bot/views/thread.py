"""The thread under a search's parent message: lead cards packed into few messages.

Cards keep the API's order. :func:`pack` fills each message with as many cards as fit
under both the block limit and the text budget before starting the next: for contiguous
groups under additive limits, filling greedily gives the fewest messages. The packing is
a pure function of the results, so a resumed delivery rebuilds exactly the same messages
and can skip the ones already posted.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.views.blocks import Block, SlackMessage, block_text_length, context, section
from bot.views.cards import lead_card
from bot.views.formatting import plural
from bot.views.limits import ERROR_SHOWN_MAX, MAX_BLOCKS, MESSAGE_TEXT_BUDGET
from bot.views.text import clip, mention
from shared.models import Lead
from shared.state.records import SearchRecord, SearchState

__all__ = ["pack", "thread_replies"]

# Room kept in every message for its heading (one context block).
_HEADING_BLOCKS = 1
_HEADING_TEXT = 400
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


def thread_replies(
    search: SearchRecord, leads: Sequence[Lead], requester: str
) -> list[SlackMessage]:
    """Every thread reply a finished search gets, in posting order.

    ``requester`` (a Slack user ID) is mentioned once, in the first reply, so the person
    who asked hears that the answer is in.
    """
    who = mention(requester)
    if search.status is SearchState.COMPLETED and leads:
        return _lead_messages(search, leads, who)
    if search.status is SearchState.COMPLETED:
        text = f"{who} No leads found for this description — no credit was spent."
        hint = (
            "Try describing the people more broadly: their role, industry or what they post about."
        )
        return [SlackMessage(text, [section(f":mag: {text}"), context(hint)])]
    reason = clip(search.error or "no reason given", ERROR_SHOWN_MAX)
    if search.status is SearchState.EXPIRED:
        text = f"{who} This search did not finish in time."
        body = f":hourglass: {text} {reason}\nNo results came back, so nothing was charged."
    else:
        text = f"{who} The search failed — no credit was spent."
        body = f":x: {text}\n*Reason:* {reason}"
    return [SlackMessage(text, [section(body), context("Run `/leads` again to retry.")])]


def _lead_messages(search: SearchRecord, leads: Sequence[Lead], who: str) -> list[SlackMessage]:
    total = len(leads)
    groups = pack([lead_card(lead) for lead in leads])
    messages = []
    first = 1
    for index, group in enumerate(groups):
        last = first + len(group) - 1
        span = f"{first} of {total}" if first == last else f"{first}–{last} of {total}"
        heading = f"Leads {span}"
        if index == 0:
            heading = f"{who} {plural(total, 'lead')} for your search · {heading}"
        notes = [heading, SANDBOX_NOTE] if search.sandbox and index == 0 else [heading]
        blocks: list[Block] = [context(*notes)]
        for card in group:
            blocks.extend(card)
        messages.append(SlackMessage(heading, blocks))
        first = last + 1
    return messages
