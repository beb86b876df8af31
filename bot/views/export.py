"""A thread's leads as a CSV file: every field of the API, then the team desk's state.

UTF-8 with a byte-order mark, so Excel opens it with the right characters; every cell goes
through the one untrusted-text policy (``shared.untrusted.csv_cell``): hidden characters
dropped, and cells a spreadsheet would run as formulas defused. Rows are the leads posted
to the thread (all of a search's, or the few an assistant chose), in the API's order; those
left out of the thread because their author is muted are in the file too, marked.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from bot.desk import REASONS, DeskState, SharedBefore
from shared.models import Lead
from shared.untrusted import csv_cell

__all__ = ["CSV_COLUMNS", "thread_csv"]

CSV_COLUMNS = (
    "position",
    "platform",
    "post_url",
    "post_date",
    "post_content",
    "author_name",
    "author_username",
    "author_profile_url",
    "author_headline",
    "author_image_url",
    "likes",
    "comments",
    "shares",
    "claimed_by",
    "claimed_at",
    "not_relevant_by",
    "not_relevant_at",
    "not_relevant_reason",
    "shared_before_at",
    "shared_before_thread",
    "in_thread",
)
"""The header row: the API's fields of a lead, then the desk's state of it in the channel."""


def _when(timestamp: float | None) -> str:
    return "" if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat()


def thread_csv(
    leads: Sequence[Lead],
    states: Mapping[int, DeskState],
    shared: Mapping[int, SharedBefore],
    shown: set[int],
    positions: Iterable[int] | None = None,
) -> bytes:
    """The file's bytes. ``states`` and ``shared`` are by position in ``leads``; ``shown``
    the positions with a card in the thread; ``positions`` those to write (every lead by
    default). People are their Slack user IDs."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for position in range(len(leads)) if positions is None else positions:
        lead = leads[position]
        state = states.get(position, DeskState())
        mark = shared.get(position)
        row: list[object] = [
            position + 1,
            lead.platform,
            lead.post_url,
            lead.post_date.isoformat() if lead.post_date else "",
            lead.post_content,
            lead.author.name,
            lead.author.username,
            lead.author.profile_url,
            lead.author.headline,
            lead.author.image_url,
            lead.engagement.likes,
            lead.engagement.comments,
            lead.engagement.shares,
            state.claimed_by,
            _when(state.claimed_at),
            state.dismissed_by,
            _when(state.dismissed_at),
            REASONS[state.reason] if state.muted else "",
            _when(mark.at) if mark else "",
            mark.link if mark else "",
            "yes" if position in shown else "no (author muted here)",
        ]
        writer.writerow([csv_cell(value) for value in row])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")
