"""Sweep cost against the number of pending searches, with a fixed number of them due.

Each size gets its own key prefix in one Redis, filled with real records through the store
(search, callback token, poll schedule, a Slack delivery with its deadline a day away).
Before every timed call the same ``due`` searches are made due and the same ``due``
deliveries overdue (not timed), so every call does the same work and only the number of
pending searches around it differs. Polling and re-queueing are stubbed out: what is timed
is the sweep finding its work.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import redis.asyncio as aioredis

from bench._lifecycle import SLACK
from bench.stats import Probe
from shared.client import NyneClient
from shared.service import LeadsService
from shared.state.events import EventBus
from shared.state.keys import Keys
from shared.state.records import SearchRecord, SearchState
from shared.state.store import SearchStore, StoreTimings
from shared.sweep import Sweeper

__all__ = ["PendingSet", "fill"]

_FAR = 24 * 3600.0


class _StubService(LeadsService):
    """The real service with polling and delivery queueing stubbed out."""

    async def poll_claimed(self, request_id: str) -> None:
        """Contact nobody: the poll itself is not what is measured."""

    async def queue_delivery(self, delivery_id: str, revision: str) -> None:
        """Queue nothing."""


@dataclass
class PendingSet:
    """``size`` pending searches under one key prefix, ``due`` of them to be found."""

    size: int
    store: SearchStore
    due_searches: list[str]
    overdue_deliveries: list[str]
    sweeper: Sweeper

    async def _make_due(self) -> None:
        now = time.time() - 1
        async with self.store.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self.store.keys.polls, dict.fromkeys(self.due_searches, now))
            pipe.zadd(self.store.keys.open_deliveries, dict.fromkeys(self.overdue_deliveries, now))
            await pipe.execute()

    def claim_probe(self) -> Probe:
        """Times ``claim_due_polls`` (batch 50) with exactly ``due`` searches due."""

        async def probe() -> float:
            await self._make_due()
            started = time.perf_counter()
            claimed = await self.store.claim_due_polls(limit=50, lease=60.0)
            elapsed = time.perf_counter() - started
            if len(claimed) != len(self.due_searches):
                raise RuntimeError(f"claimed {len(claimed)}, expected {len(self.due_searches)}")
            return elapsed

        return probe

    def sweep_probe(self) -> Probe:
        """Times a whole ``Sweeper.run_once`` pass (polls and re-queues stubbed)."""

        async def probe() -> float:
            await self._make_due()
            started = time.perf_counter()
            report = await self.sweeper.run_once()
            elapsed = time.perf_counter() - started
            expected = (len(self.due_searches), len(self.overdue_deliveries))
            if (report.polled, report.deliveries_requeued) != expected:
                raise RuntimeError(f"sweep found {report}, expected {expected}")
            return elapsed

        return probe


async def _add(store: SearchStore, *, due_at: float) -> tuple[str, str]:
    request_id = secrets.token_hex(32)
    now = datetime.now(UTC)
    record = SearchRecord(
        request_id=request_id,
        description=f"CTOs at fintech companies discussing cloud migration {request_id[:6]}",
        origin=SLACK,
        status=SearchState.QUEUED,
        created_at=now,
        phases={SearchState.QUEUED: now},
        has_callback=True,
    )
    await store.create_search(
        record, first_poll_at=due_at, callback_token=store.new_callback_token()
    )
    delivery = await store.add_delivery(request_id, SLACK)
    assert delivery is not None  # the search was just created
    return request_id, delivery.delivery_id


async def fill(redis: aioredis.Redis, client: NyneClient, size: int, due: int) -> PendingSet:
    """``size`` pending searches with Slack deliveries, under the prefix ``bench-sweep-<size>``."""
    keys = Keys(prefix=f"bench-sweep-{size}")
    # Deliveries a day from their deadline: none turns overdue while the benchmark runs.
    store = SearchStore(redis, keys=keys, timings=StoreTimings(delivery_grace=int(_FAR)))
    ids: list[tuple[str, str]] = []
    batch = 50
    for first in range(0, size, batch):
        ids += await asyncio.gather(
            *(_add(store, due_at=time.time() + _FAR) for _ in range(min(batch, size - first)))
        )
    service = _StubService(client=client, store=store, bus=EventBus(redis, keys.events))
    return PendingSet(
        size=size,
        store=store,
        due_searches=[request_id for request_id, _ in ids[:due]],
        overdue_deliveries=[delivery_id for _, delivery_id in ids[:due]],
        sweeper=Sweeper(service, batch=50),
    )
