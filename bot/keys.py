"""The bot's own Redis keys: what it owes Slack. The core's keys are in ``shared/state/keys.py``.

Same prefix as the core's (``leads`` by default). Per-search keys carry the request ID in a
hash tag (``{…}``) so a script touching them and the search stays in one Cluster slot.

Per ``/leads`` command — recorded before Slack gets its ack, so that any process can finish
it (``bot/intake.py``; TTL: a day):

- ``leads:command:<id>`` — hash: who asked where, the description, the ``response_url``, and
  how far it got (``posting`` right before the parent is posted, the parent's ``ts``, the
  search's request ID).
- ``leads:lock:command:<id>`` — string: the holder of the work on it (TTL: the lease, 20 s,
  renewed by the run's heartbeat).

Per delivery — one answer owed to one ``/leads`` request; its ID is ``<rid>:<n>``, the n-th
answer owed for that search (TTL: as long as the search's record):

- ``leads:delivery:{rid}:<n>`` — hash: where to answer (channel, parent message), who
  asked, how much of the thread is posted (and ``sending``: the reply on its way), which
  phase the parent shows (and, for a watch's run, what it found: the parent then reads
  "Watch …", ``bot/watching.py``), and ``once``: the request it answers (a ``/leads``
  command's ID), so a resumed command adds none twice.
- ``leads:deliveries:{rid}`` — string: how many deliveries hang on the search.
- ``leads:delivery-once:{rid}:<command>`` — string, written by earlier versions only (they
  kept ``once`` here): still honoured until it expires.
- ``leads:lock:delivery:{rid}:<n>`` — string: the holder of the work on it (TTL: the lease,
  30 s, renewed by the run's heartbeat).
- ``leads:replies:{rid}:<n>`` — list: the ``ts`` of each thread reply posted, so a card can be
  re-rendered from anywhere (a click in the App Home).
- ``leads:thread:{rid}:<n>`` — string (JSON): the thread's plan, fixed when its cards are
  first posted — which leads show in which reply, which were shared before, how many were
  hidden — so a resumed run or a click re-renders exactly the cards of one reply.

The team desk (``bot/desk.py``), per workspace ``T``, channel ``C`` and lead key ``k`` (TTL:
``LEADS_DESK_RETENTION_DAYS``, 90 days by default, renewed at every change):

- ``leads:desk:T:C:k`` — hash: who claimed the lead and when, who marked it not relevant,
  when and why (that mutes its author in ``C``), and where it was first shared in ``C``
  (time, parent ``ts``, permalink). ``k`` is 128 bits of SHA-256 of the author's normalized
  profile URL (or of the post's URL, also recorded for "shared before").
- ``leads:desk:claims:T:<user>`` — hash: ``<channel>|<k>`` → where the person's claim is
  (delivery, card, the author's name, the thread's permalink), listed in their App Home;
  checked against the lead's own state when read. It outlives the search's keys (a week),
  so Release in the App Home goes by ``<channel>|<k>``, not by the card.
- ``leads:lock:message:C:<ts>`` — string: serialises re-rendering one thread reply after
  clicks (TTL: 10 s).
- ``leads:lock:export:{rid}:<n>`` — string: held while one thread's CSV export is built and
  uploaded (TTL: 60 s).
- ``leads:click:<digest>`` — string: a card click already taken, by 128 bits of SHA-256 of
  its ``trigger_id``, so the same signed request sent again changes nothing (TTL: 10
  minutes, twice the signature's 5-minute window).

Shared (TTL refreshed to 30 days at every write):

- ``leads:commands:open`` — sorted set: command ID → when it must have been started; the
  worker's requeue pass re-queues those past their deadline.
- ``leads:deliveries:open`` — sorted set: delivery ID → when it must be finished; the
  worker's requeue pass re-queues those past their deadline.
- ``leads:jobs`` — arq's queue of this prefix (``shared/state/keys.py``; the sweep keeps a
  TTL on it).
- ``leads:share:<fingerprint>`` — string (JSON): one share of a search into a channel from
  an assistant, step by step — "posting" (set NX before the parent is posted; TTL: the job's
  answer, 10 minutes), then the parent's channel and ``ts``, then where it was shared — so
  neither a resumed job nor asking again posts twice (TTL: a day).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from shared.state.keys import Keys

__all__ = ["BotKeys"]


@dataclass(frozen=True)
class BotKeys:
    """Builds the bot's key names; ``prefix`` is the core's (``shared.state.keys.Keys``)."""

    prefix: str = "leads"

    def delivery(self, delivery_id: str) -> str:
        """One delivery's hash (same Cluster slot as its search)."""
        request_id, _, number = delivery_id.rpartition(":")
        return f"{self.prefix}:delivery:{{{request_id}}}:{number}"

    def delivery_count(self, request_id: str) -> str:
        """How many deliveries hang on a search."""
        return f"{self.prefix}:deliveries:{{{request_id}}}"

    def delivery_lock(self, delivery_id: str) -> str:
        """The lock serialising work on one delivery."""
        request_id, _, number = delivery_id.rpartition(":")
        return f"{self.prefix}:lock:delivery:{{{request_id}}}:{number}"

    def thread_plan(self, delivery_id: str) -> str:
        """A delivery's thread plan (same Cluster slot as its search)."""
        request_id, _, number = delivery_id.rpartition(":")
        return f"{self.prefix}:thread:{{{request_id}}}:{number}"

    def desk(self, team_id: str, channel_id: str, lead_key: str) -> str:
        """One lead's desk state in one channel."""
        return f"{self.prefix}:desk:{team_id}:{channel_id}:{lead_key}"

    def export_lock(self, delivery_id: str) -> str:
        """Held while one thread's CSV export is built and uploaded."""
        request_id, _, number = delivery_id.rpartition(":")
        return f"{self.prefix}:lock:export:{{{request_id}}}:{number}"

    def thread_replies(self, delivery_id: str) -> str:
        """The ``ts`` of each thread reply a delivery posted, in order."""
        request_id, _, number = delivery_id.rpartition(":")
        return f"{self.prefix}:replies:{{{request_id}}}:{number}"

    def click(self, click_id: str) -> str:
        """Marks one card click (Slack's ``trigger_id``) as taken."""
        digest = hashlib.sha256(click_id.encode()).hexdigest()[:32]
        return f"{self.prefix}:click:{digest}"

    def claims_of(self, team_id: str, user_id: str) -> str:
        """What one person has claimed, for their App Home."""
        return f"{self.prefix}:desk:claims:{team_id}:{user_id}"

    def message_lock(self, channel_id: str, ts: str) -> str:
        """The lock serialising re-renders of one message."""
        return f"{self.prefix}:lock:message:{channel_id}:{ts}"

    def delivery_once(self, request_id: str, once: str) -> str:
        """Which delivery one request added to a search, as earlier versions kept it (they
        wrote this key; this one reads it until it expires)."""
        return f"{self.prefix}:delivery-once:{{{request_id}}}:{once}"

    def command(self, command_id: str) -> str:
        """One ``/leads`` command, recorded before its ack."""
        return f"{self.prefix}:command:{command_id}"

    def command_lock(self, command_id: str) -> str:
        """The lock serialising work on one command across processes."""
        return f"{self.prefix}:lock:command:{command_id}"

    @property
    def open_commands(self) -> str:
        """Sorted set of commands not yet started (or told why not), by deadline."""
        return f"{self.prefix}:commands:open"

    @property
    def open_deliveries(self) -> str:
        """Sorted set of unfinished deliveries by deadline."""
        return f"{self.prefix}:deliveries:open"

    @property
    def jobs(self) -> str:
        """The job queue (arq) the bot's workers run: the core's, for this prefix."""
        return Keys(self.prefix).jobs

    def share(self, fingerprint: str) -> str:
        """One share of a search into a channel from an assistant: how far it got."""
        return f"{self.prefix}:share:{fingerprint}"
