"""Watches, their runs and their share of the request budget, in Redis (keys: ``keys.py``).

The steps that must happen once however many processes try — creating a watch within the
channel's cap and the key's budget, claiming a due slot, counting a run's credit or its
failure, logging its new leads — are single Lua scripts or guarded by a field of the run's
record set with ``HSETNX``, so a retried run never repeats one.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from shared._awaitable import settle
from shared.models import Lead
from shared.state.keys import Keys
from shared.state.records import Origin
from shared.watch.schedule import RUNS_PER_WEEK, Schedule, WatchClock, parse_schedule

__all__ = [
    "API_SCOPE",
    "NewLead",
    "Watch",
    "WatchBudget",
    "WatchCapError",
    "WatchError",
    "WatchNotFoundError",
    "WatchRefusedError",
    "WatchStore",
    "check_watch_id",
    "lead_identity",
]

API_SCOPE = "api"
"""The scope of watches with no channel: they deliver only to ``get_new_leads``."""

WATCH_TTL = 90 * 24 * 3600
"""A watch is forgotten 90 days after its last change or run."""
RUN_TTL = 7 * 24 * 3600
_GLOBAL_TTL = 30 * 24 * 3600
_NEW_LEADS_KEPT = 1000
_WATCH_ID = re.compile(r"^w[0-9a-f]{8}$")

# KEYS: watch hash, scope set, all set, due zset, load hash. ARGV: cap, capacity (runs a
# week), this watch's runs a week, next slot time, id, watch ttl, global ttl, then the
# hash's field/value pairs. Returns {'ok'} or {'cap', n} or {'budget', total, in scope}.
# The load hash keeps each watch's runs a week and their running '_total', so the check
# costs O(1) however many watches exist (and O(cap) only to explain a refusal).
_CREATE = """
local n = redis.call('SCARD', KEYS[2])
if n >= tonumber(ARGV[1]) then return {'cap', tostring(n)} end
local total = tonumber(redis.call('HGET', KEYS[5], '_total') or '0')
if total + tonumber(ARGV[3]) > tonumber(ARGV[2]) then
  local mine = 0
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    mine = mine + tonumber(redis.call('HGET', KEYS[5], id) or '0')
  end
  return {'budget', tostring(total), tostring(mine)}
end
redis.call('HSET', KEYS[1], unpack(ARGV, 8))
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('SADD', KEYS[2], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('SADD', KEYS[3], ARGV[5])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
redis.call('HSET', KEYS[5], ARGV[5], ARGV[3])
redis.call('HINCRBY', KEYS[5], '_total', ARGV[3])
for i = 3, 5 do redis.call('EXPIRE', KEYS[i], ARGV[7]) end
return {'ok'}
"""

# KEYS: due zset, open runs zset, then one run hash per claim. ARGV: now, recheck
# seconds, run ttl, global ttl, then (watch id, old score, next score, run id) per claim.
# Moves each watch still at its old score to its next slot and opens the run; returns the
# run IDs claimed. A watch another pass moved already is skipped: each slot runs once.
_CLAIM = """
local claimed = {}
local now = tonumber(ARGV[1])
for i = 5, #ARGV, 4 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) == tonumber(ARGV[i + 1]) then
    redis.call('ZADD', KEYS[1], ARGV[i + 2], ARGV[i])
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[i + 3])
    local run = KEYS[3 + (i - 5) / 4]
    redis.call('HSETNX', run, 'claimed_at', ARGV[1])
    redis.call('EXPIRE', run, ARGV[3])
    table.insert(claimed, ARGV[i + 3])
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return claimed
"""

# KEYS: due zset, all set, load hash. ARGV: watch id. Takes a watch off the schedule and
# its load off the running total, once.
_UNLOAD = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
local load = redis.call('HGET', KEYS[3], ARGV[1])
if load then
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('HINCRBY', KEYS[3], '_total', -tonumber(load))
end
return 1
"""

# KEYS: run hash, stream. ARGV: max length, ttl, then one JSON entry per new lead.
# Logs a run's new leads once, however often the run is retried.
_LOG_NEW = """
if redis.call('HSETNX', KEYS[1], 'logged', '1') == 0 then return 0 end
for i = 3, #ARGV do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'lead', ARGV[i])
end
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
"""

# KEYS: run hash, credits hash. ARGV: day, ttl. Counts a run's credit once.
_CREDIT = """
if redis.call('HSETNX', KEYS[1], 'credited', '1') == 0 then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
"""

# KEYS: run hash, watch hash. Counts a run's failure once; returns failures in a row.
_FAIL = """
if redis.call('HSETNX', KEYS[1], 'failed', '1') == 1 then
  redis.call('HINCRBY', KEYS[2], 'failures', 1)
end
return tonumber(redis.call('HGET', KEYS[2], 'failures') or '0')
"""


class WatchError(Exception):
    """A watch operation refused; ``message`` is a sentence a person can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WatchNotFoundError(WatchError):
    """No such watch (or not in this channel)."""


class WatchRefusedError(WatchError):
    """Creating the watch would pass the key's request budget."""


class WatchCapError(WatchRefusedError):
    """Creating the watch would pass the channel's cap (``LEADS_WATCHES_PER_CHANNEL``)."""


def check_watch_id(text: str) -> str:
    """A watch ID as typed, checked: ``w`` and 8 hex digits."""
    candidate = text.strip().lower()
    if not _WATCH_ID.match(candidate):
        raise WatchNotFoundError(
            f"{text.strip()[:40]!r} is not a watch ID (they look like w1a2b3c4d)."
        )
    return candidate


def lead_identity(lead: Lead) -> str:
    """Who a lead is, for a channel-less watch's seen-set: the author, else the post."""
    author = (lead.author.profile_url or "").strip().lower().rstrip("/")
    if author:
        basis = f"author:{author}"
    elif lead.post_url:
        basis = f"post:{lead.post_url.strip().lower().rstrip('/')}"
    else:
        basis = f"other:{lead.platform}:{lead.author.username or lead.author.name or ''}"
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class WatchBudget:
    """How much of the key's hourly request budget watches may plan to use.

    Args:
        requests_per_hour: the key's budget (``LEADS_RATE_LIMIT_PER_HOUR``, 1000).
        share: the part of it watches may plan on; the rest stays for people's searches.
        requests_per_run: the most one run costs: its submission and its status polls.
    """

    requests_per_hour: int = 1000
    share: float = 0.5
    requests_per_run: int = 10

    @property
    def hourly_runs(self) -> int:
        """How many hourly watches the key sustains."""
        return math.floor(self.requests_per_hour * self.share / self.requests_per_run)

    @property
    def weekly_runs(self) -> int:
        """The same, in runs a week (what each watch's load is counted in)."""
        return self.hourly_runs * RUNS_PER_WEEK["hourly"]


@dataclass(frozen=True)
class LastRun:
    """What a watch's latest run did."""

    at: float
    status: str
    """``found`` (posted new leads), ``nothing_new``, ``failed`` or ``skipped``."""
    new: int = 0
    seen: int = 0
    note: str = ""
    """Why it failed, in a sentence."""


@dataclass(frozen=True)
class Watch:
    """A recurring search, and where its new leads go."""

    watch_id: str
    description: str
    schedule: Schedule
    origin: Origin
    """Who made it and where it delivers (``channel_id`` None: only ``get_new_leads``)."""
    created_at: float
    paused: bool = False
    pause_reason: str = ""
    failures: int = 0
    """Failed runs in a row (3 pause it)."""
    next_at: float | None = None
    """When it runs next (None while paused)."""
    last: LastRun | None = None

    @property
    def scope(self) -> str:
        """Its channel (``<team>:<channel>``), or ``api`` with none."""
        return scope_of(self.origin.team_id, self.origin.channel_id)

    def to_hash(self) -> dict[str, str]:
        """The stored fields (the run summary fields are written by the runs)."""
        fields = {
            "description": self.description,
            "schedule": self.schedule,
            "front": self.origin.front,
            "created_at": f"{self.created_at:.3f}",
        }
        for name in ("team_id", "channel_id", "user_id", "client"):
            value = getattr(self.origin, name)
            if value:
                fields[name] = value[:80]
        return fields

    @classmethod
    def from_hash(cls, watch_id: str, fields: dict[str, str], next_at: float | None) -> Watch:
        """From ``HGETALL`` (decoded) and its due score."""
        last = None
        if fields.get("last_at"):
            last = LastRun(
                at=float(fields["last_at"]),
                status=fields.get("last_status", ""),
                new=int(fields.get("last_new") or 0),
                seen=int(fields.get("last_seen") or 0),
                note=fields.get("last_note", ""),
            )
        return cls(
            watch_id=watch_id,
            description=fields.get("description", ""),
            schedule=parse_schedule(fields.get("schedule", "daily")),
            origin=Origin(
                front=fields.get("front", ""),
                team_id=fields.get("team_id"),
                channel_id=fields.get("channel_id"),
                user_id=fields.get("user_id"),
                client=fields.get("client"),
            ),
            created_at=float(fields.get("created_at") or 0),
            paused=fields.get("paused") == "1",
            pause_reason=fields.get("pause_reason", ""),
            failures=int(fields.get("failures") or 0),
            next_at=next_at,
            last=last,
        )


def scope_of(team_id: str | None, channel_id: str | None) -> str:
    """The scope of a watch delivering to this channel (``api`` for none)."""
    return f"{team_id or '-'}:{channel_id}" if channel_id else API_SCOPE


@dataclass(frozen=True)
class NewLead:
    """One lead a watch reported as new, and its place in the watch's log (the cursor)."""

    cursor: str
    run_id: str
    lead: Lead


def _day(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")


class WatchStore:
    """Watches and their runs in Redis, behind named operations.

    Args:
        redis: a decoded Redis client.
        keys: the key schema (its prefix).
        clock: the time source and schedule scale.
        budget: what watches may plan to use of the key's budget.
        per_channel: how many watches one channel (or the channel-less scope) may have.
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        keys: Keys | None = None,
        clock: WatchClock | None = None,
        budget: WatchBudget | None = None,
        per_channel: int = 20,
    ) -> None:
        self.redis = redis
        self.keys = keys or Keys()
        self.clock = clock or WatchClock()
        self.budget = budget or WatchBudget()
        self.per_channel = per_channel
        self._create = redis.register_script(_CREATE)
        self._claim = redis.register_script(_CLAIM)
        self._log_new = redis.register_script(_LOG_NEW)
        self._credit = redis.register_script(_CREDIT)
        self._fail = redis.register_script(_FAIL)
        self._unload = redis.register_script(_UNLOAD)

    # -- watches -------------------------------------------------------------------------

    async def create(self, description: str, schedule: Schedule, origin: Origin) -> Watch:
        """Create a watch; its first run is its first slot from now.

        Raises :class:`WatchRefusedError` past the channel's cap or the key's budget, with
        the numbers.
        """
        watch_id = "w" + secrets.token_hex(4)
        now = self.clock.now()
        _, next_at = self.clock.next_slot(watch_id, schedule, now)
        watch = Watch(watch_id, description, schedule, origin, now, next_at=next_at)
        k = self.keys
        pairs = [item for pair in watch.to_hash().items() for item in pair]
        answer = await self._create(
            keys=[
                k.watch(watch_id),
                k.watches_in(watch.scope),
                k.watches_all,
                k.watches_due,
                k.watches_load,
            ],
            args=[
                str(self.per_channel),
                str(self.budget.weekly_runs),
                str(RUNS_PER_WEEK[schedule]),
                repr(next_at),
                watch_id,
                str(WATCH_TTL),
                str(_GLOBAL_TTL),
                *pairs,
            ],
        )
        verdict = answer[0]
        if verdict == "cap":
            raise WatchCapError(
                f"This channel already has {int(answer[1])} watches, the most allowed "
                f"(LEADS_WATCHES_PER_CHANNEL={self.per_channel}). Delete one first."
            )
        if verdict == "budget":
            whose = "the channel's watches" if origin.channel_id else "watches without a channel"
            hourly = RUNS_PER_WEEK["hourly"]
            total, mine = int(answer[1]) / hourly, int(answer[2]) / hourly
            raise WatchRefusedError(
                f"Not enough API budget for a {schedule} watch: this key sustains about "
                f"{self.budget.hourly_runs} hourly runs; {whose} already use "
                f"{_runs(mine)} (all watches on this key: {_runs(total)}). Choose a slower "
                "schedule or delete a watch."
            )
        return watch

    async def get(self, watch_id: str) -> Watch | None:
        """The watch, or None."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.watch(watch_id))
            pipe.zscore(self.keys.watches_due, watch_id)
            fields, score = await pipe.execute()
        return Watch.from_hash(watch_id, fields, score) if fields else None

    async def in_scope(self, scope: str) -> list[Watch]:
        """The watches of one channel (or ``api``), oldest first."""
        ids = sorted(await settle(self.redis.smembers(self.keys.watches_in(scope))))
        return await self._many(ids)

    async def every(self, limit: int) -> list[Watch]:
        """Up to ``limit`` watches of every scope, oldest first."""
        ids = sorted(await settle(self.redis.smembers(self.keys.watches_all)))
        return (await self._many(ids))[:limit]

    async def _many(self, ids: Sequence[str]) -> list[Watch]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for watch_id in ids:
                pipe.hgetall(self.keys.watch(watch_id))
                pipe.zscore(self.keys.watches_due, watch_id)
            answers = await pipe.execute()
        found = [
            Watch.from_hash(watch_id, fields, score)
            for watch_id, fields, score in zip(ids, answers[::2], answers[1::2], strict=True)
            if fields
        ]
        return sorted(found, key=lambda watch: watch.created_at)

    async def delete(self, watch_id: str, *, scope: str | None = None) -> Watch:
        """Delete a watch (only from ``scope`` when given); raises if there is none."""
        watch = await self.get(watch_id)
        if watch is None or (scope is not None and watch.scope != scope):
            raise WatchNotFoundError(f"No watch {watch_id} here. /leads watches lists them.")
        k = self.keys
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(k.watch(watch_id), k.watch_seen(watch_id), k.watch_credits(watch_id))
            pipe.delete(k.watch_new(watch_id))
            pipe.srem(k.watches_in(watch.scope), watch_id)
            await pipe.execute()
        await self._forget(watch_id)
        return watch

    async def pause(self, watch_id: str, reason: str = "") -> None:
        """Stop scheduling a watch until it is resumed."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.watch(watch_id), mapping={"paused": "1", "pause_reason": reason})
            pipe.zrem(self.keys.watches_due, watch_id)
            await pipe.execute()

    async def resume(self, watch_id: str) -> Watch:
        """Schedule a paused watch again from its next slot; its failure count restarts."""
        watch = await self.get(watch_id)
        if watch is None:
            raise WatchNotFoundError(f"No watch {watch_id}. /leads watches lists them.")
        _, next_at = self.clock.next_slot(watch_id, watch.schedule, self.clock.now())
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                self.keys.watch(watch_id),
                mapping={"paused": "0", "pause_reason": "", "failures": "0"},
            )
            pipe.expire(self.keys.watch(watch_id), WATCH_TTL)
            pipe.zadd(self.keys.watches_due, {watch_id: next_at})
            await pipe.execute()
        return await self.get(watch_id) or watch

    async def run_now(self, watch_id: str) -> Watch:
        """Make the watch due now: the next scheduler pass runs it (then its rhythm goes on)."""
        watch = await self.get(watch_id)
        if watch is None:
            raise WatchNotFoundError(f"No watch {watch_id}. /leads watches lists them.")
        await self.redis.zadd(self.keys.watches_due, {watch_id: self.clock.now()})
        return watch

    async def start_now(self, watch_id: str) -> str:
        """Open a run of the watch now, outside its schedule (``leads watch run``); its ID."""
        if await self.get(watch_id) is None:
            raise WatchNotFoundError(f"No watch {watch_id}. `leads watch list` lists them.")
        now = self.clock.now()
        run_id = f"{watch_id}:now{round(now * 1000)}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self.keys.watch_runs_open, {run_id: now + 30})
            pipe.hsetnx(self.keys.watch_run(run_id), "claimed_at", repr(now))
            pipe.expire(self.keys.watch_run(run_id), RUN_TTL)
            await pipe.execute()
        return run_id

    # -- scheduling ----------------------------------------------------------------------

    async def claim_due(self, *, limit: int, recheck: float) -> list[str]:
        """Claim the runs of the watches due now (up to ``limit``); their run IDs.

        Reads the due set by score, so this costs O(due) however many watches exist. Each
        claimed watch moves to its first slot after now — a watch that missed several
        slots runs once — and its run is opened, to be looked at again after ``recheck``
        seconds should nothing finish it.
        """
        now = self.clock.now()
        due: list[tuple[str, float]] = await self.redis.zrangebyscore(
            self.keys.watches_due, "-inf", repr(now), start=0, num=limit, withscores=True
        )
        if not due:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for watch_id, _ in due:
                pipe.hget(self.keys.watch(watch_id), "schedule")
            schedules: list[str | None] = await pipe.execute()
        args: list[str] = []
        run_keys: list[str] = []
        for (watch_id, score), schedule_name in zip(due, schedules, strict=True):
            if schedule_name is None:  # expired or deleted under us: forget it
                await self._forget(watch_id)
                continue
            schedule = parse_schedule(schedule_name)
            _, next_at = self.clock.next_slot(watch_id, schedule, max(now, score))
            run_id = f"{watch_id}:{self._slot_name(watch_id, schedule, score)}"
            args += [watch_id, repr(score), repr(next_at), run_id]
            run_keys.append(self.keys.watch_run(run_id))
        if not run_keys:
            return []
        claimed: list[str] = await self._claim(
            keys=[self.keys.watches_due, self.keys.watch_runs_open, *run_keys],
            args=[repr(now), str(recheck), str(RUN_TTL), str(_GLOBAL_TTL), *args],
        )
        return claimed

    def _slot_name(self, watch_id: str, schedule: Schedule, score: float) -> str:
        """A scheduled slot's number, or ``now<ms>`` for a run asked for by hand (Run now),
        so each press is a run of its own and never mistaken for a slot already run."""
        slot = self.clock.slot_of(watch_id, schedule, score)
        if abs(self.clock.slot_at(watch_id, schedule, slot) - score) < 1e-3:
            return str(slot)
        return f"now{round(score * 1000)}"

    async def _forget(self, watch_id: str) -> None:
        """Take a watch off the schedule and out of the budget (once: the script checks)."""
        k = self.keys
        await self._unload(keys=[k.watches_due, k.watches_all, k.watches_load], args=[watch_id])

    async def overdue_runs(self, *, limit: int, recheck: float) -> list[str]:
        """Open runs nobody finished in time (crash, lost job, search still running);
        pushed back by ``recheck`` seconds so each pass hands each out once."""
        now = self.clock.now()
        ids: list[str] = await self.redis.zrangebyscore(
            self.keys.watch_runs_open, "-inf", repr(now), start=0, num=limit
        )
        if ids:
            await self.redis.zadd(self.keys.watch_runs_open, dict.fromkeys(ids, now + recheck))
        return ids

    async def recheck(self, run_id: str, after: float) -> None:
        """Look at an open run again in ``after`` seconds (its search is still running)."""
        await self.redis.zadd(
            self.keys.watch_runs_open, {run_id: self.clock.now() + after}, xx=True
        )

    # -- runs ----------------------------------------------------------------------------

    def run_lock(self, run_id: str, lease: float) -> aioredis.lock.Lock:
        """A lock letting one process at a time work on a run (auto-expires)."""
        return self.redis.lock(self.keys.watch_run_lock(run_id), timeout=lease, blocking=False)

    async def progress(self, run_id: str) -> dict[str, str]:
        """The run's recorded steps."""
        fields: dict[str, str] = await settle(self.redis.hgetall(self.keys.watch_run(run_id)))
        return fields

    async def record(self, run_id: str, **fields: str) -> None:
        """Record a step of a run right after it happened."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(self.keys.watch_run(run_id), mapping=fields)
            pipe.expire(self.keys.watch_run(run_id), RUN_TTL)
            await pipe.execute()

    async def attach_search(self, run_id: str, request_id: str, ttl: int) -> None:
        """The run's search was submitted: remember it both ways."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.watch_run(run_id), "request_id", request_id)
            pipe.set(self.keys.watch_search(request_id), run_id, ex=min(ttl, RUN_TTL))
            await pipe.execute()

    async def run_of(self, request_id: str) -> str | None:
        """The watch run a search belongs to, if any."""
        run_id: str | None = await self.redis.get(self.keys.watch_search(request_id))
        return run_id

    async def keep_new(self, run_id: str, positions: Sequence[int]) -> list[int]:
        """Fix which leads are new for this run (first call wins); the positions kept.

        Fixed before anything is recorded as seen or shared, so a retried run reports the
        same leads rather than none.
        """
        key = self.keys.watch_run(run_id)
        await settle(self.redis.hsetnx(key, "new", json.dumps(list(positions))))
        kept: str | None = await settle(self.redis.hget(key, "new"))
        return [int(p) for p in json.loads(kept or "[]")]

    async def unseen(self, watch_id: str, leads: Sequence[Lead]) -> list[int]:
        """Positions of the leads this channel-less watch has not reported yet."""
        identities = [lead_identity(lead) for lead in leads]
        if not identities:
            return []
        known = await settle(self.redis.smismember(self.keys.watch_seen(watch_id), identities))
        fresh: list[int] = []
        taken: set[str] = set()
        for position, (identity, seen) in enumerate(zip(identities, known, strict=True)):
            if not seen and identity not in taken:
                fresh.append(position)
                taken.add(identity)
        return fresh

    async def mark_seen(self, watch_id: str, leads: Sequence[Lead]) -> None:
        """Remember these leads as reported by this channel-less watch."""
        if not leads:
            return
        key = self.keys.watch_seen(watch_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.sadd(key, *(lead_identity(lead) for lead in leads))
            pipe.expire(key, WATCH_TTL)
            await pipe.execute()

    async def count_credit(self, watch_id: str, run_id: str) -> None:
        """Count the run's credit against its watch (once per run)."""
        await self._credit(
            keys=[self.keys.watch_run(run_id), self.keys.watch_credits(watch_id)],
            args=[_day(self.clock.now()), str(31 * 24 * 3600)],
        )

    async def credits(self, watch_id: str, *, days: int = 30) -> int:
        """Credits the watch spent in the last ``days`` days."""
        per_day: dict[str, str] = await settle(
            self.redis.hgetall(self.keys.watch_credits(watch_id))
        )
        since = _day(
            (datetime.fromtimestamp(self.clock.now(), UTC) - timedelta(days=days)).timestamp()
        )
        return sum(int(count) for day, count in per_day.items() if day > since)

    async def count_failure(self, watch_id: str, run_id: str) -> int:
        """Count the run's failure (once per run); failures in a row now."""
        failures = await self._fail(
            keys=[self.keys.watch_run(run_id), self.keys.watch(watch_id)], args=[]
        )
        return int(failures)

    async def log_new(self, watch_id: str, run_id: str, leads: Sequence[Lead]) -> None:
        """Append the run's new leads to the watch's log (once per run)."""
        entries = [
            json.dumps({"run": run_id, "lead": lead.model_dump(mode="json")}) for lead in leads
        ]
        await self._log_new(
            keys=[self.keys.watch_run(run_id), self.keys.watch_new(watch_id)],
            args=[str(_NEW_LEADS_KEPT), str(WATCH_TTL), *entries],
        )

    async def new_leads(
        self, watch_id: str, cursor: str | None, *, limit: int
    ) -> tuple[list[NewLead], str | None]:
        """The leads logged after ``cursor`` (from the start without one), and the cursor
        to pass next time (the same one when nothing is new)."""
        start = f"({cursor}" if cursor else "-"
        entries = await self.redis.xrange(self.keys.watch_new(watch_id), start, "+", count=limit)
        found = []
        for entry_id, fields in entries:
            data = json.loads(fields["lead"])
            found.append(NewLead(entry_id, data["run"], Lead.model_validate(data["lead"])))
        return found, (found[-1].cursor if found else cursor)

    async def finish_run(self, watch: Watch, run_id: str, last: LastRun) -> None:
        """The run is over: record what it found on the watch and close it."""
        summary = {
            "last_at": f"{last.at:.3f}",
            "last_status": last.status,
            "last_new": str(last.new),
            "last_seen": str(last.seen),
            "last_note": last.note[:200],
        }
        if last.status != "failed":
            summary["failures"] = "0"
        k = self.keys
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(k.watch_run(run_id), mapping={"done": "1", "status": last.status})
            pipe.zrem(k.watch_runs_open, run_id)
            await pipe.execute()
        # A watch deleted while it ran stays deleted: only an existing hash gets the summary.
        if await self.redis.exists(k.watch(watch.watch_id)):
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(k.watch(watch.watch_id), mapping=summary)
                pipe.expire(k.watch(watch.watch_id), WATCH_TTL)
                pipe.expire(k.watches_in(watch.scope), WATCH_TTL)
                await pipe.execute()

    async def close_run(self, run_id: str) -> None:
        """Stop looking at a run that has nothing left to do."""
        await self.redis.zrem(self.keys.watch_runs_open, run_id)


def _runs(value: float) -> str:
    """Hourly-run equivalents, as a person reads them ("3", "1.3")."""
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
