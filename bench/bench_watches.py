"""Watch scheduling at scale: a scheduler pass costs by due watches, not all; bytes per watch.

Against a private redis-server, through the product's own ``WatchStore`` and
``schedule_pass`` (queueing stubbed: what is timed is finding and claiming the due runs):

* **pass cost** times one pass claiming the same 10 due watches among 100 and among 10,000
  watches, interleaved pass by pass; the baseline is the small set, so a ratio near 1
  shows the pass reads the due set by score and touches only what is due (target ≤ 1.5);
* **bytes per watch** is ``MEMORY USAGE`` of each watch's hash plus its share of the
  schedule's shared structures (due set, index sets, load hash), over the large set.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis.asyncio as aioredis

from bench._procs import redis_server
from bench.model import Baseline, Result, at_most
from bench.stats import Probe, interleave, median
from shared._awaitable import settle
from shared.state.keys import Keys
from shared.state.records import Origin
from shared.watch.schedule import Schedule, WatchClock
from shared.watch.scheduler import schedule_pass
from shared.watch.store import WatchBudget, WatchStore

PASS_TARGET_RATIO = 1.5
BYTES_TARGET = 1536
DUE = 10
_DESCRIPTION = "CTOs at fintech companies discussing cloud migration"
_SCHEDULES: tuple[Schedule, ...] = ("hourly", "daily", "weekly")


class _Clock:
    """A clock that stands still: the watches' own next slots stay ahead of it."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class _WatchSet:
    size: int
    store: WatchStore
    clock: _Clock
    due: list[str]
    passes: int = 0

    def probe(self) -> Probe:
        """Make 10 watches due (untimed), then time one pass claiming them."""

        async def queued(_run_id: str) -> None:
            return None

        async def probe() -> float:
            # Time stands still (no other watch falls due); each pass's due time differs
            # by a millisecond, so each claims fresh runs (as "Run now" would).
            self.passes += 1
            keys = self.store.keys
            due_at = self.clock.now - 1 - self.passes / 1000
            await self.store.redis.zadd(keys.watches_due, dict.fromkeys(self.due, due_at))
            await self.store.redis.delete(keys.watch_runs_open)
            started = time.perf_counter()
            claimed = await schedule_pass(self.store, queued)
            elapsed = time.perf_counter() - started
            if claimed != DUE:
                raise AssertionError(f"a pass claimed {claimed} runs, not {DUE}")
            return elapsed

        return probe


async def _fill(redis: aioredis.Redis, size: int) -> _WatchSet:
    clock = _Clock()
    store = WatchStore(
        redis,
        keys=Keys(prefix=f"bench-watch-{size}"),
        clock=WatchClock(now=clock),
        budget=WatchBudget(requests_per_hour=10**9),
        per_channel=10**9,
    )
    ids = []
    for n in range(size):
        channel = f"C{n % 50:08d}"  # 50 channels
        origin = Origin(front="slack", team_id="T0BENCH", channel_id=channel, user_id="U0B")
        watch = await store.create(f"{_DESCRIPTION} #{n}", _SCHEDULES[n % 3], origin)
        ids.append(watch.watch_id)
    return _WatchSet(size, store, clock, ids[:: max(1, size // DUE)][:DUE])


async def _bytes_per_watch(watches: _WatchSet) -> Result:
    redis, keys = watches.store.redis, watches.store.keys
    hashes = 0
    members: set[str] = await settle(redis.smembers(keys.watches_all))
    for watch_id in members:
        hashes += int(await redis.memory_usage(keys.watch(watch_id)) or 0)
    shared_keys = [keys.watches_all, keys.watches_due, keys.watches_load]
    shared_keys += [key async for key in redis.scan_iter(match=keys.watches_in("*"))]
    shared = sum([int(await redis.memory_usage(key, samples=0) or 0) for key in shared_keys])
    total = (hashes + shared) / watches.size
    return Result(
        "Redis bytes per watch",
        total,
        "B",
        target=at_most(BYTES_TARGET),
        note=(
            f"MEMORY USAGE over {watches.size:,} watches: its hash {hashes / watches.size:,.0f} "
            f"B, its share of the due set, index sets and load hash "
            f"{shared / watches.size:,.0f} B (a run's record, 7 days, and a channel-less "
            "watch's seen-set and log are extra)"
        ),
    )


async def run(quick: bool) -> list[Result]:
    """Fill two watch sets on a private redis-server and time passes over each."""
    small, large = (20, 400) if quick else (100, 10_000)
    rounds = 5 if quick else 300
    with redis_server() as server:
        redis = aioredis.Redis.from_url(server.url, decode_responses=True)
        try:
            sets = [await _fill(redis, small), await _fill(redis, large)]
            samples = await interleave(
                {str(s.size): s.probe() for s in sets}, rounds=rounds, warmup=3
            )
            baseline = median(samples[str(small)]) * 1e6
            results = [
                Result(
                    f"scheduler pass, {DUE} due of {large:,} watches",
                    median(samples[str(large)]) * 1e6,
                    "µs",
                    baseline=Baseline(f"{DUE} due of {small:,}", baseline),
                    target=at_most(PASS_TARGET_RATIO, ratio=True),
                    note=f"medians of {rounds} interleaved passes each (queueing stubbed)",
                ),
                await _bytes_per_watch(sets[1]),
            ]
        finally:
            await redis.aclose()
    return results
