"""One request budget for every process using the same API key, kept in Redis.

The API allows 60 requests a minute and 1000 an hour per key, status polls included, and
answers 429 past that. Every process — bot replicas, workers, MCP servers, the CLI — asks
this limiter before each request, so together they stay inside the budget and the API
never has to refuse one.

Why a Lua script and not the ``limits`` library: we need (1) both windows checked and
counted in one atomic step — ``limits`` hits one limit at a time, so a request refused by
the hour window would already have used a minute slot; (2) priorities: submissions may
use the whole budget while polls leave a reserve to them, so a person's new search
overtakes background polls, and spare polls (extra checks of overdue searches, see
``shared/sweep.py``) only use what both leave idle; and (3) the exact time until a slot
frees, so a caller can wait precisely that long or be told when to retry. The script is a
sliding log (a sorted set of request times), exact at any instant, using Redis's clock so
hosts need not agree on the time.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import redis.asyncio as aioredis

from shared.errors import RateLimitError

__all__ = ["RateLimiter", "RateWindow", "RequestKind", "WaitListener"]

log = logging.getLogger(__name__)

# KEYS[1]: the sliding log; KEYS[2]: the "a person's search is waiting" mark. ARGV: member,
# reserve fraction, mode, then (limit, seconds) pairs. Mode "yield" (a queued search) goes
# only while no person's search waits; mode "mark" (a person's search) sets the mark for as
# long as it has to wait. Returns {1, now} when the request was counted (at Redis time
# `now`), else {0, seconds until it could be}; numbers as strings, since Lua numbers would
# be truncated to integers.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local reserve = tonumber(ARGV[2])
local mode = ARGV[3]
if mode == 'yield' then
  local marked = redis.call('PTTL', KEYS[2])
  if marked > 0 then return {0, tostring(marked / 1000)} end
end
local longest = 0
local wait = 0
for i = 4, #ARGV, 2 do
  local limit = tonumber(ARGV[i])
  local seconds = tonumber(ARGV[i + 1])
  if seconds > longest then longest = seconds end
  local allowed = limit - math.floor(limit * reserve)
  if allowed < 1 then allowed = 1 end
  local count = redis.call('ZCOUNT', KEYS[1], '(' .. (now - seconds), '+inf')
  if count >= allowed then
    local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - seconds), '+inf',
                              'WITHSCORES', 'LIMIT', count - allowed, 1)
    local until_free = tonumber(oldest[2]) + seconds - now
    if until_free > wait then wait = until_free end
  end
end
if wait > 0 then
  if mode == 'mark' then
    redis.call('SET', KEYS[2], '1', 'PX', math.ceil(wait * 1000) + 250)
  end
  return {0, tostring(wait)}
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
redis.call('PEXPIRE', KEYS[1], math.ceil(longest * 1000) + 1000)
return {1, tostring(now)}
"""

RequestKind = Literal["submit", "queued", "poll", "watch", "spare"]
"""What a request is for, so the limiter can serve a person's submissions (``submit``)
first, then queued ones (``queued``: an assistant's or a script's search that waits its turn
in ``shared/queue.py``), then status polls, then a watch's scheduled search (which leaves the
larger reserve), and all of them before *spare* polls: extra, optional polls made only from
budget nobody else is using (they never wait for it, and leave ``spare_headroom`` of every
window to the others).

A queued submission may use the whole window like a person's, but never while a person's
submission is waiting for a slot: that one marks itself waiting, and queued ones hold back
until it has gone. So a queue of a hundred searches never delays a ``/leads``."""

WaitListener = Callable[[float], Awaitable[None]]
"""Hears ``seconds`` before a caller waits that long for its turn (see ``acquire``)."""


@dataclass(frozen=True)
class RateWindow:
    """At most ``limit`` requests in any ``seconds``-long window."""

    limit: int
    seconds: float


class RateLimiter:
    """The API's request budget, shared by every process through Redis.

    Args:
        redis: a decoded Redis client.
        key: the Redis key of this budget (one per API key).
        windows: the limits; by default the API's 60/min and 1000/hour.
        margin: seconds added to every window, so a request counted at the end of our
            window cannot land inside the API's (clocks and latency differ a little).
        poll_reserve: share of each window that status polls must leave to submissions.
        watch_reserve: share of each window that watches' scheduled searches must leave to
            people's searches and polls (larger than ``poll_reserve``).
        spare_headroom: share of each window that spare polls must leave to everything
            else: they only go while the window is less than ``1 - spare_headroom`` full,
            so a submission is never held up by them unless submissions and scheduled polls
            alone would need that much. A window too small to keep any headroom (a limit
            of 1) gets no spare polls at all.
        max_wait: seconds a caller may wait for its turn, per kind; past that it gets
            :class:`RateLimitError` with ``retry_after`` instead. A kind not listed (by
            default ``"spare"``) never waits: it goes at once or is refused.
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        key: str,
        *,
        windows: Sequence[RateWindow] = (RateWindow(60, 60.0), RateWindow(1000, 3600.0)),
        margin: float = 1.0,
        poll_reserve: float = 0.2,
        watch_reserve: float = 0.4,
        spare_headroom: float = 0.5,
        max_wait: Mapping[RequestKind, float] | None = None,
    ) -> None:
        if not windows:
            raise ValueError("at least one window is needed")
        if not 0 < spare_headroom < 1:
            raise ValueError("spare_headroom is a share of each window, between 0 and 1")
        self._redis = redis
        self.key = key
        # In the same hash slot as the log (the key's tag), so the script may touch both.
        self.waiting_key = f"{key}:waiting"
        self.windows = tuple(windows)
        self.margin = margin
        self.poll_reserve = poll_reserve
        self.watch_reserve = watch_reserve
        self.spare_headroom = spare_headroom
        # Past the script's floor of one slot, a window this small would give its last slot
        # away: spare polls are then refused outright (for a full window's time).
        self._no_spare_for = max(
            (w.seconds + margin for w in self.windows if math.floor(w.limit * spare_headroom) < 1),
            default=0.0,
        )
        # Read-only: set here once, so every caller of this limiter knows what to expect.
        self.max_wait: Mapping[RequestKind, float] = MappingProxyType(
            {"submit": 90.0, "queued": 5.0, "poll": 60.0, "watch": 30.0, **(max_wait or {})}
        )
        self._script = redis.register_script(_ACQUIRE)
        self._window_args = [
            str(value)
            for window in self.windows
            for value in (window.limit, window.seconds + margin)
        ]

    def __repr__(self) -> str:
        windows = ", ".join(f"{w.limit}/{w.seconds:g}s" for w in self.windows)
        return f"RateLimiter({self.key!r}, {windows})"

    async def _attempt(self, kind: RequestKind) -> tuple[bool, float]:
        """(True, Redis time of the grant) or (False, seconds until a slot frees)."""
        if kind == "spare" and self._no_spare_for:
            return False, self._no_spare_for
        reserve = {
            "submit": 0.0,
            "queued": 0.0,
            "poll": self.poll_reserve,
            "watch": self.watch_reserve,
            "spare": self.spare_headroom,
        }[kind]
        mode = {"submit": "mark", "queued": "yield"}.get(kind, "")
        granted, value = await self._script(
            keys=[self.key, self.waiting_key],
            args=[uuid.uuid4().hex, str(reserve), mode, *self._window_args],
        )
        return int(granted) == 1, float(value)

    async def try_acquire(self, kind: RequestKind) -> float:
        """Count one request if the budget allows: 0.0, else the seconds until it would."""
        granted, value = await self._attempt(kind)
        return 0.0 if granted else value

    async def acquire(self, kind: RequestKind, *, on_wait: WaitListener | None = None) -> float:
        """Wait for a slot (up to ``max_wait[kind]``, 0 if not listed) and count the request.

        Returns when (Redis clock, Unix seconds) the request was counted. Raises
        :class:`RateLimitError` with ``retry_after`` when the wait would be longer;
        nothing is counted then. ``on_wait(seconds)`` is awaited before each wait.
        """
        waited = 0.0
        while True:
            granted, value = await self._attempt(kind)
            if granted:
                if waited:
                    log.info("rate limit: %s went after waiting %.1fs", kind, waited)
                return value
            wait = value
            if waited + wait > self.max_wait.get(kind, 0.0):
                retry_after = math.ceil(wait)
                raise RateLimitError(
                    f"The API request budget is used up; retry in {retry_after} s.",
                    retry_after=retry_after,
                )
            if on_wait is not None:
                await on_wait(wait)
            # Wake just after the slot frees; a little jitter spreads waiting processes.
            pause = wait + 0.01 + 0.04 * (uuid.uuid4().int % 100) / 100
            await asyncio.sleep(pause)
            waited += pause

    async def expected_wait(self, ahead: int) -> float:
        """Seconds until the request behind ``ahead`` others could go, if nothing else came.

        An estimate for a queue: in each window, the first requests take its free slots,
        and the rest go as old ones age out, ``limit`` per ``seconds``; the slowest window
        decides. Polls and people's searches that come meanwhile go first, so the real wait
        may be longer.
        """
        now_seconds, now_micros = await self._redis.time()
        now = now_seconds + now_micros / 1_000_000
        wait = 0.0
        for window in self.windows:
            seconds = window.seconds + self.margin
            times = [
                score
                for _, score in await self._redis.zrangebyscore(
                    self.key, f"({now - seconds}", "+inf", withscores=True
                )
            ]
            beyond = ahead + 1 - (window.limit - len(times))
            if beyond <= 0 or not times:
                continue
            # The n-th request past the free slots takes the n-th oldest one's slot when it
            # ages out, or that of a request made in its place one window later.
            rounds, index = divmod(beyond - 1, window.limit)
            frees = times[min(index, len(times) - 1)] + seconds - now
            wait = max(wait, rounds * seconds + max(frees, 0.0))
        return wait

    async def usage(self) -> dict[str, int]:
        """Requests counted in each window now, e.g. ``{"60s": 12, "3600s": 340}``."""
        now_seconds, now_micros = await self._redis.time()
        now = now_seconds + now_micros / 1_000_000
        usage = {}
        for window in self.windows:
            count = await self._redis.zcount(self.key, f"({now - window.seconds}", "+inf")
            usage[f"{window.seconds:g}s"] = int(count)
        return usage
