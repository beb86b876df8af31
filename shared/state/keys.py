"""The Redis key schema: every key the product writes, in one place.

Per-search keys carry the request ID in a hash tag (``{…}``) so the scripts that touch
several of them stay within one Cluster slot. Every key gets a TTL when written.

Per search (``rid`` = request ID; TTL: max pending age + retention, then retention once done):

- ``leads:search:{rid}`` — hash: the search record (``records.py``), short values only
  so Redis keeps it in its compact encoding; plus ``token``, the digest of its callback
  token, so completing the search can find the token key.
- ``leads:description:{rid}`` — string: the description (up to 2000 characters).
- ``leads:results:{rid}`` — string: the results (the first ``MAX_LEADS_KEPT``) as JSON,
  zlib-compressed, base64.
- ``leads:token:<sha256(token)[:32]>`` — string: the request ID a callback token belongs to
  (TTL: the search's until it finishes, then ``CALLBACK_GRACE_SECONDS``: the API's retries).

Shared (TTL refreshed to 30 days at every write):

- ``leads:polls`` — sorted set: request ID → when its next poll is due.
- ``leads:overdue`` — sorted set: request ID → when a spare poll of it is next worth
  making (first when it becomes overdue; ``shared/polling.py``).
- ``leads:recent`` — sorted set: request ID → submission time (last 500).

Others:

- ``leads:reuse:<fingerprint>`` — string: the search to reuse for a description (TTL: the
  reuse window), or a claim while one is submitted (TTL: 150 s, ``REUSE_CLAIM_SECONDS``).
- ``leads:unknown:<rid>`` — string: a request ID the API said it does not know, so asking
  again costs no request (TTL: 10 minutes).
- ``leads:lookups:<sha256(caller)[:32]>`` — string: how many lookups that had to ask the
  API one caller made in the current window (TTL: the window, 60 s).
- ``leads:lock:sweep`` — string: held by the one sweep pass running (TTL: its lease).
- ``leads:jobs`` — arq's queue of this prefix (arq keeps its job keys under ``arq:``, with
  TTLs of their own); the bot's workers take its jobs.
- ``leads:ratelimit:{name}`` — sorted set: times of the requests in the window, one per
  API key (TTL: the longest window).
- ``leads:events`` — pub/sub channel: ``"<rid> <status> <rev> <heard>"`` on every change
  (not a key).

The search queue (``shared/queue.py``: assistants' and scripts' searches waiting for the
request budget):

- ``leads:queued:<handle>`` — hash: one queued search (``queued-<32 hex>``): description,
  who asked, when, its stage (``waiting``, ``submitted``, ``failed``), then its request ID
  or why it failed (TTL: 24 hours).
- ``leads:queue`` — sorted set: handle → when it was queued; waiting ones only, served in
  that order (TTL refreshed to 24 hours at every write).
- ``leads:lock:queued:<handle>`` — string: held by the one process submitting it (TTL:
  its lease, renewed by a heartbeat).
- ``leads:queue:runners`` — sorted set: runner ID → when it last said it is alive, so a
  short-lived CLI queues a search only when some process will submit it.
- ``leads:ratelimit:{name}:waiting`` — string: set while a person's search waits for a
  slot; queued searches hold back meanwhile (TTL: that wait).

Watches (``shared/watch/``; a watch's hash and its sets expire 90 days after its last change
or run, each renewed then; run records after 7 days):

- ``leads:watch:<id>`` — hash: a watch — description, schedule, where it delivers, paused,
  failures in a row, its last run and what it found.
- ``leads:watches:all`` — set: every watch ID; ``leads:watches:in:<scope>`` — set: the
  watches of one channel (``<team>:<channel>``) or ``api`` (watches with no channel).
- ``leads:watches:due`` — sorted set: watch ID → when its next slot falls due (active ones
  only): the scheduler reads it by score, so a pass costs O(due), not O(watches).
- ``leads:watches:load`` — hash: watch ID → its runs a week, for the budget check.
- ``leads:watches:open`` — sorted set: run ID (``<watch>:<slot>``) → when to look at it
  again: runs claimed and not finished (a crash, a lost job, a search still running).
- ``leads:watchrun:<id>:<slot>`` — hash: one run's progress (its search, what it found,
  each step done), so a retried run never repeats a step (TTL: 7 days).
- ``leads:watchsearch:{rid}`` — string: the run a search belongs to (TTL: 7 days).
- ``leads:lock:watchrun:<id>:<slot>`` — string: held by the one process running it.
- ``leads:watchseen:<id>`` — set: lead keys a channel-less watch has reported already.
- ``leads:watchnew:<id>`` — stream: the new leads of each run (last 1000), read with
  cursors by ``get_new_leads``.
- ``leads:watchcredits:<id>`` — hash: day (``YYYY-MM-DD``) → credits spent that day
  (TTL: 31 days).

The fronts keep their own state under the same prefix and document it beside their code
(the bot's: ``bot/keys.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Keys"]


@dataclass(frozen=True)
class Keys:
    """Builds every key name; ``prefix`` lets tests and tenants share one Redis."""

    prefix: str = "leads"

    def search(self, request_id: str) -> str:
        """The search record hash."""
        return f"{self.prefix}:search:{{{request_id}}}"

    def description(self, request_id: str) -> str:
        """The search's description."""
        return f"{self.prefix}:description:{{{request_id}}}"

    def results(self, request_id: str) -> str:
        """The compressed results blob."""
        return f"{self.prefix}:results:{{{request_id}}}"

    def token(self, token_hash: str) -> str:
        """Callback token (hashed) → request ID."""
        return f"{self.prefix}:token:{token_hash}"

    def reuse(self, fingerprint: str) -> str:
        """Description fingerprint → request ID to reuse."""
        return f"{self.prefix}:reuse:{fingerprint}"

    @property
    def polls(self) -> str:
        """Sorted set of searches by next poll time."""
        return f"{self.prefix}:polls"

    @property
    def overdue(self) -> str:
        """Sorted set of open searches by when a spare poll is next worth making."""
        return f"{self.prefix}:overdue"

    @property
    def recent(self) -> str:
        """Sorted set of searches by submission time."""
        return f"{self.prefix}:recent"

    def unknown(self, request_id: str) -> str:
        """Marks a request ID the API does not know."""
        return f"{self.prefix}:unknown:{request_id}"

    def lookups(self, caller_hash: str) -> str:
        """How many lookups that asked the API one caller made in the current window."""
        return f"{self.prefix}:lookups:{caller_hash}"

    @property
    def sweep_lock(self) -> str:
        """The lock that keeps sweep passes from overlapping."""
        return f"{self.prefix}:lock:sweep"

    @property
    def jobs(self) -> str:
        """The background job queue (arq) of this prefix: a front's workers take its jobs,
        and another front may queue one by name (the MCP server's share to Slack)."""
        return f"{self.prefix}:jobs"

    def rate_limit(self, name: str) -> str:
        """The sliding log of one rate-limit budget (one per API key)."""
        return f"{self.prefix}:ratelimit:{{{name}}}"

    def queued(self, handle: str) -> str:
        """One queued search's hash."""
        return f"{self.prefix}:queued:{handle}"

    @property
    def queue(self) -> str:
        """The waiting queued searches, by when they were queued."""
        return f"{self.prefix}:queue"

    def queued_lock(self, handle: str) -> str:
        """Held by the process submitting one queued search."""
        return f"{self.prefix}:lock:queued:{handle}"

    @property
    def queue_runners(self) -> str:
        """The processes submitting queued searches, by when each was last alive."""
        return f"{self.prefix}:queue:runners"

    @property
    def events(self) -> str:
        """Pub/sub channel announcing every change of every search."""
        return f"{self.prefix}:events"

    def watch(self, watch_id: str) -> str:
        """One watch's hash."""
        return f"{self.prefix}:watch:{watch_id}"

    @property
    def watches_all(self) -> str:
        """Every watch ID."""
        return f"{self.prefix}:watches:all"

    def watches_in(self, scope: str) -> str:
        """The watches of one channel (``<team>:<channel>``) or ``api``."""
        return f"{self.prefix}:watches:in:{scope}"

    @property
    def watches_due(self) -> str:
        """Sorted set: active watch → when its next slot falls due."""
        return f"{self.prefix}:watches:due"

    @property
    def watches_load(self) -> str:
        """Hash: watch → runs a week."""
        return f"{self.prefix}:watches:load"

    @property
    def watch_runs_open(self) -> str:
        """Sorted set: unfinished run → when to look at it again."""
        return f"{self.prefix}:watches:open"

    def watch_run(self, run_id: str) -> str:
        """One run's progress."""
        return f"{self.prefix}:watchrun:{run_id}"

    def watch_search(self, request_id: str) -> str:
        """The run a search belongs to."""
        return f"{self.prefix}:watchsearch:{{{request_id}}}"

    def watch_run_lock(self, run_id: str) -> str:
        """Held by the one process running a run."""
        return f"{self.prefix}:lock:watchrun:{run_id}"

    def watch_seen(self, watch_id: str) -> str:
        """Lead keys a channel-less watch reported already."""
        return f"{self.prefix}:watchseen:{watch_id}"

    def watch_new(self, watch_id: str) -> str:
        """Stream of each run's new leads."""
        return f"{self.prefix}:watchnew:{watch_id}"

    def watch_credits(self, watch_id: str) -> str:
        """Credits a watch spent, per day."""
        return f"{self.prefix}:watchcredits:{watch_id}"
