"""What became of each command, from what the Slack stand-in saw in its channel.

Every command has a channel of its own, so its events there are its whole story:

* **delivered** — the lead replies of one thread cover leads 1…n of n, each posted once
  (or the thread says no leads were found);
* **duplicated** — some lead was posted more than once (twice in one thread, or in two);
* **told** — not delivered, but the person was told: an ephemeral answer, or the parent
  says the search did not start or failed (the reason is recognised from the bot's own
  notices, :mod:`bot.views.notices`);
* **lost** — acknowledged, then nothing: no leads and no word;
* **unacknowledged** — Slack got no ack within 3 s, so it showed the person its own error
  (and nothing came after).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.views import notices

__all__ = [
    "ACK_DEADLINE",
    "Outcome",
    "Seen",
    "Sent",
    "Verdict",
    "classify",
    "extra_searches",
    "told_reason",
]

ACK_DEADLINE = 3.0
"""Slack shows its own error when a slash command is not acknowledged within 3 s."""

# "Leads 1–15 of 25", or "Leads 25 of 25" for a reply of one card.
_LEADS = re.compile(r"Leads (\d+)(?:–(\d+))? of (\d+)")
_NO_LEADS = "No leads found for this description"

# (reason, words of the bot's notice): the first found in what the person saw names it.
# Notices that the durable /leads intake retires are matched by their words, so that this
# table holds on either side of that change.
TOLD_REASONS: tuple[tuple[str, str], ...] = (
    ("api_500", notices.api_failed()),
    ("database", notices.database_down().text),
    ("database", "Leads lost contact with its database"),
    ("restart", "Leads restarted before it could send this search"),
    ("unexpected", notices.unexpected_error().text),
    ("unexpected", notices.unexpected_reason()),
    ("api_unavailable", notices.api_unavailable()),
    ("budget", "request budget is used up"),
    ("search_failed", "The search failed"),
    ("search_failed", "did not finish in time"),
    ("not_started", "This search did not start"),
)


class Verdict(StrEnum):
    """What became of one command."""

    DELIVERED = "delivered"
    DUPLICATED = "duplicated"
    TOLD = "told"
    LOST = "lost"
    UNACKNOWLEDGED = "unacknowledged"


@dataclass(frozen=True)
class Sent:
    """One signed ``/leads`` as sent, and Slack's view of its ack."""

    index: int
    channel: str
    description: str
    sent_at: float
    """Wall-clock time it was sent (the Slack stand-in's event times are wall-clock too)."""
    replica: str
    """The replica that answered it (or the last one tried)."""
    status: int | None
    ack_seconds: float | None
    error: str | None = None

    @property
    def acknowledged(self) -> bool:
        """Slack got a 200 within its 3 s."""
        return (
            self.status == 200 and self.ack_seconds is not None and self.ack_seconds <= ACK_DEADLINE
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "channel": self.channel,
            "description": self.description,
            "sent_at": self.sent_at,
            "replica": self.replica,
            "status": self.status,
            "ack_seconds": self.ack_seconds,
            "error": self.error,
        }


@dataclass(frozen=True)
class Seen:
    """One event in the command's channel, as the Slack stand-in recorded it."""

    kind: str
    ts: str | None
    thread_ts: str | None
    text: str
    """Everything the message said: its text and the text of its blocks."""
    at: float


@dataclass(frozen=True)
class Outcome:
    """A command and what became of it."""

    sent: Sent
    verdict: Verdict
    told: str | None
    """Why the person was told, when they were (see ``TOLD_REASONS``; ``other`` if unknown)."""
    latency: float | None
    """From sending the command to the last lead reply, when delivered."""
    searches: int
    """Searches the sandbox created for its description."""
    leads_posted: int
    last_words: str
    """What the parent said last (or the last thing shown), shortened."""

    def to_json(self) -> dict[str, Any]:
        return {
            **self.sent.to_json(),
            "verdict": self.verdict.value,
            "told": self.told,
            "latency": self.latency,
            "searches": self.searches,
            "leads_posted": self.leads_posted,
            "last_words": self.last_words,
        }


def told_reason(text: str) -> str | None:
    """The reason a message tells, if it is one of the bot's notices."""
    for reason, words in TOLD_REASONS:
        if words in text:
            return reason
    return None


def classify(sent: Sent, seen: list[Seen], searches: int) -> Outcome:
    """What became of ``sent``, from the events of its channel (oldest first)."""
    parents = {e.ts for e in seen if e.kind == "message_posted" and e.thread_ts is None}
    posted: Counter[int] = Counter()
    totals: set[int] = set()
    threads: set[str | None] = set()
    last_reply_at: float | None = None
    no_leads = False
    for event in seen:
        if event.kind != "message_posted" or event.thread_ts not in parents:
            continue
        if _NO_LEADS in event.text:
            no_leads = True
            last_reply_at = event.at
            threads.add(event.thread_ts)
        # A reply's heading shows in its text and again in its blocks: each span once.
        for first, last, total in set(_LEADS.findall(event.text)):
            posted.update(range(int(first), int(last or first) + 1))
            totals.add(int(total))
            threads.add(event.thread_ts)
            last_reply_at = event.at
    final = _final_texts(seen)
    told = None
    for text in [*final.values(), *(e.text for e in seen if e.kind == "ephemeral_posted")]:
        told = told or told_reason(text)
    if told is None and any(e.kind == "ephemeral_posted" for e in seen):
        told = "other"
    complete = (
        len(totals) == 1
        and set(posted) == set(range(1, next(iter(totals)) + 1))
        and len(threads) == 1
    )
    if any(count > 1 for count in posted.values()) or len(threads) > 1:
        verdict = Verdict.DUPLICATED
    elif complete or (no_leads and not posted):
        verdict = Verdict.DELIVERED
    elif told is not None:
        verdict = Verdict.TOLD
    elif sent.acknowledged:
        verdict = Verdict.LOST
    else:
        verdict = Verdict.UNACKNOWLEDGED
    delivered = verdict is Verdict.DELIVERED and last_reply_at is not None
    latency = round(last_reply_at - sent.sent_at, 3) if delivered and last_reply_at else None
    last_words = next(reversed(final.values()), "") if final else ""
    return Outcome(
        sent=sent,
        verdict=verdict,
        told=told if verdict is Verdict.TOLD else None,
        latency=latency,
        searches=searches,
        leads_posted=sum(posted.values()),
        last_words=" ".join(last_words.split())[:200],
    )


def _final_texts(seen: list[Seen]) -> dict[str | None, str]:
    """What each top-level message says now: its last version, by ts, in posting order."""
    final: dict[str | None, str] = {}
    for event in seen:
        if event.thread_ts is None and event.kind in ("message_posted", "message_updated"):
            final[event.ts] = event.text
    return final


def extra_searches(sent: list[Sent], searches: Counter[str]) -> int:
    """Searches the API created beyond one per acknowledged command (none for a command
    Slack showed as failed), counting any search no command asked for."""
    ours = {item.description for item in sent}
    extra = sum(n for description, n in searches.items() if description not in ours)
    for item in sent:
        extra += max(0, searches[item.description] - (1 if item.acknowledged else 0))
    return extra
