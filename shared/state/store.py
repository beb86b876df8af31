"""Search records, callback tokens, reuse and the poll schedule in Redis (keys: ``keys.py``).

The atomic steps — a status change, completing a search, claiming a due poll — are Lua
scripts, so any number of processes can attempt them at once and exactly one wins.
Timestamps are Unix seconds from the caller's clock (hosts are assumed NTP-synced); tests
pass a clock of their own.

Two sorted sets plan the polls of open searches: ``polls`` (the next scheduled poll) and
``overdue`` (the next spare poll worth making, see ``shared/polling.py``). Both are read by
score, so finding what is due costs the same however many searches are open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import redis.asyncio as aioredis
from pydantic import TypeAdapter

from shared._awaitable import settle
from shared.models import Lead
from shared.state.keys import Keys
from shared.state.records import SearchRecord, SearchState

__all__ = [
    "CALLBACK_GRACE_SECONDS",
    "MAX_LEADS_KEPT",
    "Completion",
    "ReuseClaim",
    "SearchStore",
    "StoreTimings",
]

log = logging.getLogger(__name__)

_LEADS = TypeAdapter(list[Lead])
_TERMINAL = "completed failed expired"

# KEYS[1] search hash. ARGV: status, now, polled (1 counts a poll, 2 a spare poll). Returns
# 1 if the status changed (first sight of a phase), 0 if not, -1 for an unknown search.
_COUNT_POLL = """
if ARGV[{arg}] ~= '0' then redis.call('HINCRBY', KEYS[1], 'polls', 1) end
if ARGV[{arg}] == '2' then redis.call('HINCRBY', KEYS[1], 'spare_polls', 1) end
"""
_SET_STATUS = f"""
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return -1 end
{_COUNT_POLL.format(arg=3)}
if string.find('{_TERMINAL}', current, 1, true) then return 0 end
if current == ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
redis.call('HSETNX', KEYS[1], 't_' .. ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'rev', 1)
return 1
"""

# KEYS: search hash, results, description. ARGV: status, now, results_count, error, blob,
# ttl, polled (as for _SET_STATUS).
# Returns {1, token digest or ''} for the one attempt that completes the search, {0, ''} if
# it was already done, {-1, ''} for an unknown search. The token key itself is re-expired by
# the caller: it has no hash tag (it is looked up by digest alone), so on a Cluster it sits
# in another slot than the search and a script may not touch it.
_COMPLETE = f"""
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {{-1, ''}} end
{_COUNT_POLL.format(arg=7)}
if string.find('{_TERMINAL}', current, 1, true) then return {{0, ''}} end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'completed_at', ARGV[2],
           'results_count', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[4]) end
redis.call('HSETNX', KEYS[1], 't_' .. ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'rev', 1)
if ARGV[5] ~= '' then redis.call('SET', KEYS[2], ARGV[5], 'EX', ARGV[6]) end
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[3], ARGV[6])
return {{1, redis.call('HGET', KEYS[1], 'token') or ''}}
"""

# KEYS[1] polls (or overdue) zset. ARGV: now, lease, limit. Claims up to `limit` due
# searches by pushing their due time a lease ahead, so no other process polls them meanwhile.
_CLAIM_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(due) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
end
return due
"""

# KEYS[1] polls zset. ARGV: now, lease, request_id. Claims one search if due.
_CLAIM_ONE = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[3])
if not score or tonumber(score) > tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[3])
return 1
"""

# KEYS[1] reuse key. ARGV: claim value, claim ttl. Returns the current value (a request
# ID or someone's claim) or '' when we took the claim.
_CLAIM_REUSE = """
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return current end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return ''
"""


REUSE_CLAIM_SECONDS = 150
"""How long a claim to submit a description lives, and how long identical requests wait
for it: longer than a submission may take (~90 s for its turn in the rate limiter, then
the POST), so nobody gives up on a claimant that is still on its way."""

MAX_LEADS_KEPT = 100
"""How many leads of one search are kept (the first ones, in the API's order); the rest are
dropped. One callback can carry any number of leads, and every front shows what is kept
(a chat front posted 1,000 tiny ones as 63 messages). The search's ``results_count``
stays what the API said, so a front can tell how many were left out."""

CALLBACK_GRACE_SECONDS = 400
"""How long a callback token stays valid once its search is finished: the API's retry
schedule (1 + 5 + 15 + 60 + 300 = 381 s after the first attempt) plus a margin, so a late
retry still gets its 2xx (a duplicate) and the token is refused as unknown after that."""

UNKNOWN_ID_SECONDS = 600
"""How long a request ID the API did not know is remembered as unknown."""

# KEYS[1]: the caller's counter. ARGV: window seconds, limit. Counts one lookup and returns
# 0, or counts nothing and returns the seconds until the window ends. A fixed window: the
# first lookup starts it, so a caller gets ``limit`` per window however they are spaced.
_COUNT_LOOKUP = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[2]) then
  local ttl = redis.call('TTL', KEYS[1])
  if ttl > 0 then return ttl end
end
if redis.call('INCR', KEYS[1]) == 1 or redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return 0
"""


class Completion(Enum):
    """What an attempt to complete a search found."""

    WON = "won"
    """This attempt completed the search: it owns announcing it."""
    ALREADY_DONE = "already_done"
    """Another attempt got there first; nothing to do."""
    UNKNOWN = "unknown"
    """No such search in the store."""


@dataclass(frozen=True)
class ReuseClaim:
    """Outcome of looking for a recent identical search."""

    request_id: str | None
    """An existing search to reuse."""
    claim: str | None
    """Our claim on the description: submit, then :meth:`SearchStore.finish_reuse`."""


@dataclass(frozen=True)
class StoreTimings:
    """How long things are kept. Defaults: results a week, abandoned searches 30 min."""

    retention: int = 7 * 24 * 3600
    """Seconds a finished search and its results are kept."""
    max_pending: int = 30 * 60
    """Seconds after which a search that never finished is marked expired."""
    global_ttl: int = 30 * 24 * 3600
    """TTL refreshed on the shared sorted sets at every write."""
    recent_kept: int = 500
    """How many searches ``recent`` lists at most."""


def token_digest(token: str) -> str:
    """128 bits of SHA-256 of a callback token: the store never holds the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _polled(polled: bool, spare: bool) -> str:
    return "2" if spare else "1" if polled else "0"


class SearchStore:
    """All of the product's Redis state, behind named operations."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        keys: Keys | None = None,
        timings: StoreTimings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.now = clock
        """The time now, in Unix seconds: every timestamp and due time the store writes."""
        self.keys = keys or Keys()
        self.timings = timings or StoreTimings()
        self._set_status = redis.register_script(_SET_STATUS)
        self._complete = redis.register_script(_COMPLETE)
        self._claim_due = redis.register_script(_CLAIM_DUE)
        self._claim_one = redis.register_script(_CLAIM_ONE)
        self._claim_reuse = redis.register_script(_CLAIM_REUSE)
        self._count_lookup = redis.register_script(_COUNT_LOOKUP)

    @property
    def pending_ttl(self) -> int:
        """TTL of a search that has not finished: long enough to expire it, then keep it."""
        return self.timings.max_pending + self.timings.retention

    # -- searches ------------------------------------------------------------------------

    async def create_search(
        self,
        record: SearchRecord,
        *,
        first_poll_at: float,
        callback_token: str | None,
        overdue_at: float | None = None,
    ) -> None:
        """Store a just-submitted search, its callback token and its first poll.

        ``overdue_at``: when the search becomes overdue, worth a spare poll (None: never).
        """
        k, ttl = self.keys, self.pending_ttl
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(k.search(record.request_id), mapping=record.to_hash())
            pipe.expire(k.search(record.request_id), ttl)
            pipe.set(k.description(record.request_id), record.description, ex=ttl)
            if callback_token is not None:
                digest = token_digest(callback_token)
                pipe.set(k.token(digest), record.request_id, ex=ttl)
                # Completion finds the token from the search, to cut its life short then.
                pipe.hset(k.search(record.request_id), "token", digest)
            pipe.zadd(k.polls, {record.request_id: first_poll_at})
            if overdue_at is not None:
                pipe.zadd(k.overdue, {record.request_id: overdue_at})
            pipe.zadd(k.recent, {record.request_id: record.created_at.timestamp()})
            pipe.zremrangebyrank(k.recent, 0, -self.timings.recent_kept - 1)
            for shared_key in (k.polls, k.overdue, k.recent):
                pipe.expire(shared_key, self.timings.global_ttl)
            await pipe.execute()

    async def get_search(self, request_id: str) -> SearchRecord | None:
        """The record, or None when unknown (or expired from Redis)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.search(request_id))
            pipe.get(self.keys.description(request_id))
            fields, description = await pipe.execute()
        return SearchRecord.from_hash(fields, description or "") if fields else None

    async def get_results(self, request_id: str) -> list[Lead] | None:
        """The results of a completed search, or None when there are none stored."""
        blob = await self.redis.get(self.keys.results(request_id))
        if not blob:
            return None
        return _LEADS.validate_json(zlib.decompress(base64.b64decode(blob)))

    async def recent(self, limit: int) -> list[SearchRecord]:
        """The most recently submitted searches, newest first."""
        ids = await self.redis.zrevrange(self.keys.recent, 0, max(0, limit - 1))
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:  # one round trip for all
            for request_id in ids:
                pipe.hgetall(self.keys.search(request_id))
                pipe.get(self.keys.description(request_id))
            answers = await pipe.execute()
        return [
            SearchRecord.from_hash(fields, description or "")
            for fields, description in zip(answers[::2], answers[1::2], strict=True)
            if fields
        ]

    async def set_status(
        self, request_id: str, state: SearchState, *, polled: bool, spare: bool = False
    ) -> bool:
        """Record a non-final status (and count the poll, spare or not); True if it changed."""
        changed = await self._set_status(
            keys=[self.keys.search(request_id)],
            args=[state.value, f"{self.now():.6f}", _polled(polled, spare)],
        )
        return int(changed) == 1

    async def complete(
        self,
        request_id: str,
        state: SearchState,
        *,
        results: list[Lead] | None = None,
        results_count: int | None = None,
        error: str | None = None,
        polled: bool = False,
        spare: bool = False,
    ) -> tuple[Completion, SearchRecord | None]:
        """Finish a search exactly once, however many processes try at the same time.

        Only the first :data:`MAX_LEADS_KEPT` of ``results`` are kept; ``results_count``
        (when given) is stored as the API said it. Returns the outcome, and the finished
        record when this call won.
        """
        if not state.is_terminal:
            raise ValueError(f"{state} is not a final state")
        k = self.keys
        blob = ""
        if results:
            raw = _LEADS.dump_json(results[:MAX_LEADS_KEPT], exclude_none=True)
            # Level 1: most of the saving at a fraction of the CPU (this runs per callback).
            blob = base64.b64encode(zlib.compress(raw, 1)).decode()
        count_found = results_count if results_count is not None else len(results or [])
        outcome, digest = await self._complete(
            keys=[k.search(request_id), k.results(request_id), k.description(request_id)],
            args=[
                state.value,
                f"{self.now():.6f}",
                str(count_found),
                error or "",
                blob,
                str(self.timings.retention),
                _polled(polled, spare),
            ],
        )
        if int(outcome) != 1:
            return (Completion.ALREADY_DONE if int(outcome) == 0 else Completion.UNKNOWN), None
        # One round trip: no more polls, the callback token only lives through the API's
        # retries now, and the finished record for the announcement.
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrem(k.polls, request_id)
            pipe.zrem(k.overdue, request_id)
            if digest:
                pipe.expire(k.token(digest), CALLBACK_GRACE_SECONDS)
            pipe.hgetall(k.search(request_id))
            pipe.get(k.description(request_id))
            *_, fields, description = await pipe.execute()
        record = SearchRecord.from_hash(fields, description or "") if fields else None
        return Completion.WON, record

    async def get_state(self, request_id: str) -> SearchState | None:
        """Just a search's state (one field: callbacks check it before reading a body)."""
        status = await settle(self.redis.hget(self.keys.search(request_id), "status"))
        return SearchState(status) if status else None

    # -- polling schedule ------------------------------------------------------------------

    async def claim_due_polls(self, *, limit: int, lease: float) -> list[str]:
        """Take up to ``limit`` due searches; nobody else gets them for ``lease`` seconds."""
        due = await self._claim_due(
            keys=[self.keys.polls], args=[f"{self.now():.6f}", str(lease), str(limit)]
        )
        return list(due)

    async def claim_overdue(self, *, limit: int, lease: float) -> list[str]:
        """Take up to ``limit`` searches worth a spare poll now, hidden ``lease`` seconds."""
        due = await self._claim_due(
            keys=[self.keys.overdue], args=[f"{self.now():.6f}", str(lease), str(limit)]
        )
        return list(due)

    async def claim_poll(self, request_id: str, *, lease: float) -> bool:
        """Take one search's poll if it is due now."""
        won = await self._claim_one(
            keys=[self.keys.polls], args=[f"{self.now():.6f}", str(lease), request_id]
        )
        return int(won) == 1

    async def stop_polling(self, request_id: str) -> None:
        """No more polls for this search (it finished, or is gone)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrem(self.keys.polls, request_id)
            pipe.zrem(self.keys.overdue, request_id)
            await pipe.execute()

    async def schedule_poll(
        self, request_id: str, at: float, *, no_spare_before: float | None = None
    ) -> None:
        """Set when the next poll is due (only while the search is still being polled).

        ``no_spare_before``: a poll just told us how the search is, so no spare poll of it
        before then (a later planned one stays as it is).
        """
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self.keys.polls, {request_id: at}, xx=True)
            if no_spare_before is not None:
                pipe.zadd(self.keys.overdue, {request_id: no_spare_before}, xx=True, gt=True)
            await pipe.execute()

    async def schedule_spare(self, request_id: str, at: float) -> None:
        """Set when a spare poll of this search is next worth making (if it is planned)."""
        await self.redis.zadd(self.keys.overdue, {request_id: at}, xx=True)

    async def next_poll_at(self, request_id: str) -> float | None:
        """When the next poll is due, or None when no more polls are planned."""
        score = await self.redis.zscore(self.keys.polls, request_id)
        return None if score is None else float(score)

    # -- callback tokens ------------------------------------------------------------------

    @staticmethod
    def new_callback_token() -> str:
        """An unguessable per-search token (256 bits), URL-safe."""
        return secrets.token_urlsafe(32)

    async def resolve_token(self, token: str) -> str | None:
        """The request ID a callback token belongs to, or None.

        The lookup is by SHA-256 of the token, so response time reveals nothing about how
        close a guess was; an unknown token and a wrong one look the same.
        """
        if not token or len(token) > 128:
            return None
        request_id: str | None = await self.redis.get(self.keys.token(token_digest(token)))
        return request_id

    @staticmethod
    def same_request_id(expected: str, given: str) -> bool:
        """Constant-time comparison of the callback body's request ID with the token's."""
        return hmac.compare_digest(expected.encode(), given.encode())

    # -- identical-search reuse -----------------------------------------------------------

    async def claim_reuse(self, fingerprint: str, claimant: str | None = None) -> ReuseClaim:
        """Find a recent search for the same description, or claim the right to submit it.

        The claim lives :data:`REUSE_CLAIM_SECONDS` (as long as identical requests wait for
        it), so they wait for the first one instead of each spending a request and a credit.
        ``claimant`` names the request across runs: a resumed request whose earlier run died
        holding the claim takes it over instead of waiting for it to lapse.
        """
        claim = f"claim:{claimant or uuid.uuid4().hex}"
        current = await self._claim_reuse(
            keys=[self.keys.reuse(fingerprint)], args=[claim, str(REUSE_CLAIM_SECONDS)]
        )
        if not current:
            return ReuseClaim(request_id=None, claim=claim)
        if current.startswith("claim:"):
            return ReuseClaim(request_id=None, claim=None)
        return ReuseClaim(request_id=current, claim=None)

    async def finish_reuse(
        self, fingerprint: str, claim: str, request_id: str | None, window: int
    ) -> None:
        """Replace our claim by the submitted search (or drop it when submission failed)."""
        key = self.keys.reuse(fingerprint)
        if await self.redis.get(key) != claim:
            return
        if request_id is None or window <= 0:
            await self.redis.delete(key)
        else:
            await self.redis.set(key, request_id, ex=window)

    async def remember_reuse(self, fingerprint: str, request_id: str, window: int) -> None:
        """Reuse this search for the description from now on (a fresh search replaces one)."""
        await self.redis.set(self.keys.reuse(fingerprint), request_id, ex=window)

    async def forget_reuse(self, fingerprint: str, request_id: str) -> None:
        """Stop reusing a search (it failed or expired)."""
        key = self.keys.reuse(fingerprint)
        if await self.redis.get(key) == request_id:
            await self.redis.delete(key)

    # -- request IDs the API does not know --------------------------------------------

    async def remember_unknown(self, request_id: str) -> None:
        """The API said it doesn't know this ID: don't spend a request asking again soon."""
        await self.redis.set(self.keys.unknown(request_id), "1", ex=UNKNOWN_ID_SECONDS)

    async def known_unknown(self, request_id: str) -> bool:
        """True when the API recently said it doesn't know this ID."""
        return bool(await self.redis.exists(self.keys.unknown(request_id)))

    async def count_lookup(self, caller: str, *, limit: int, window: int) -> int:
        """Count one lookup that asks the API for ``caller``, if it has ``limit`` left in
        its ``window``-second window: 0, else the seconds until it may (nothing counted).

        ``caller`` is opaque (each front says who asks); it is hashed into the key, so
        whatever it holds cannot reach or shape other keys.
        """
        digest = hashlib.sha256(caller.encode()).hexdigest()[:32]
        wait = await self._count_lookup(
            keys=[self.keys.lookups(digest)], args=[str(window), str(limit)]
        )
        return int(wait)
