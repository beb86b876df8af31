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

    @property
    def events(self) -> str:
        """Pub/sub channel announcing every change of every search."""
        return f"{self.prefix}:events"
