"""Bytes of Redis memory a pending search costs, key by key (``MEMORY USAGE``, exact).

Pending searches are submitted through the real service with a callback URL (a Slack
request writes the most: the bot records a delivery too, and queues its first run), then
every key in the private Redis is measured and sorted into what it is for by the key
schemas in :mod:`shared.state.keys` and :mod:`bot.keys`. The descriptions are the
spec's examples with a number appended (55–73 characters).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass

import redis.asyncio as aioredis

from bench._lifecycle import Rig
from bench._spec import SPEC_DESCRIPTIONS
from bot.deliveries import SlackRequest
from bot.keys import BotKeys
from shared.state.keys import Keys
from shared.state.records import Origin

__all__ = ["MemoryUse", "measure_pending_searches"]

TRANSIENT = frozenset({"queued delivery job", "job queue entry"})
"""Gone as soon as a worker runs the job (within a second when workers run)."""
NOT_PER_SEARCH = frozenset({"rate-limit log", "recent-searches entry"})
"""Capped whatever the number of searches: the rate-limit log (one entry per API request in
the last hour, capped by the budget) and the recent-searches set (the last 500 searches,
for listing). Measured over 500 searches they would read as a cost of each."""


@dataclass(frozen=True)
class MemoryUse:
    """Bytes per pending search, by kind of key."""

    searches: int
    per_search: dict[str, float]
    """Kind → bytes per search, every kind found."""

    def total(
        self, *, kinds: frozenset[str] | None = None, exclude: frozenset[str] = frozenset()
    ) -> float:
        """Bytes per search over ``kinds`` (default: all) minus ``exclude``."""
        return sum(
            value
            for kind, value in self.per_search.items()
            if (kinds is None or kind in kinds) and kind not in exclude
        )


def _classify(key: str, keys: Keys) -> str:
    bot = BotKeys(keys.prefix)
    exact = {
        keys.polls: "poll schedule entry",
        keys.recent: "recent-searches entry",
        keys.overdue: "spare-poll schedule entry",
        bot.open_deliveries: "open-deliveries entry",
        bot.jobs: "job queue entry",
    }
    if key in exact:
        return exact[key]
    by_prefix = (
        ("search record", keys.search("")),
        ("results", keys.results("")),
        ("callback token", keys.token("")),
        ("reuse entry", keys.reuse("")),
        ("description", keys.description("")),
        ("delivery", bot.delivery(":").partition("{")[0] + "{}"),
        ("delivery count", bot.delivery_count("")),
        ("delivery lock", bot.delivery_lock(":").partition("{")[0] + "{}"),
        ("rate-limit log", keys.rate_limit("")),
        ("queued delivery job", "arq:job:"),
    )
    for kind, template in by_prefix:
        if key.startswith(template.removesuffix("}")):
            return kind
    return f"other ({key.split(':')[0]}:…)"


async def _bytes_by_kind(redis: aioredis.Redis, keys: Keys) -> dict[str, int]:
    found: defaultdict[str, int] = defaultdict(int)
    async for key in redis.scan_iter(count=1000):
        size = await redis.memory_usage(key, samples=0)
        found[_classify(key, keys)] += int(size or 0)
    return dict(found)


async def measure_pending_searches(
    rig: Rig, searches: int, asker: SlackRequest | Origin
) -> MemoryUse:
    """Empty Redis, start ``searches`` searches (left pending), measure every key.

    ``asker``: a Slack request (a delivery each, as the bot records it) or another origin.
    """
    redis, store = rig.runtime.connections.redis, rig.runtime.store
    await redis.flushall()
    batch = 25
    for first in range(0, searches, batch):
        await asyncio.gather(
            *(
                rig.start_search(f"{SPEC_DESCRIPTIONS[i % len(SPEC_DESCRIPTIONS)]} #{i}", asker)
                for i in range(first, min(searches, first + batch))
            )
        )
    by_kind = await _bytes_by_kind(redis, store.keys)
    return MemoryUse(searches, {kind: size / searches for kind, size in by_kind.items()})
