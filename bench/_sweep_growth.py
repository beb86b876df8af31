"""Sweep cost against the number of pending searches, with a fixed number of them due.

Each size gets its own key prefix in one Redis, filled with real records through the stores
(search, callback token, poll schedule and spare-poll plan, a Slack delivery with its deadline
a day away).
Before every timed call the same ``due`` searches are made due and the same ``due``
deliveries overdue (not timed), so every call does the same work and only the number of
pending searches around it differs. A sweep pass is what the bot's worker runs every
second: the core's sweep, then the requeue pass over overdue deliveries
(:func:`bot.jobs.requeue_overdue`). Polling and re-queueing are stubbed out: what is timed
is the sweep finding its work.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from bench._lifecycle import PARENT_TS, SLACK
from bench.stats import Probe
from bot.deliveries import DeliveryStore
from bot.delivery import Deliverer
from bot.desk import DeskStore
from bot.intake import CommandStore, Intake
from bot.jobs import BotServices, requeue_overdue
from bot.spool import CommandSpool
from bot.watching import Watching
from shared.runtime import Runtime
from shared.service import LeadsService
from shared.state.events import EventBus
from shared.state.keys import Keys
from shared.state.records import SearchRecord, SearchState
from shared.state.store import SearchStore
from shared.sweep import Sweeper
from shared.watch.store import WatchStore

__all__ = ["PendingSet", "fill"]

_FAR = 24 * 3600.0


class _StubService(LeadsService):
    """The real service with polling stubbed out."""

    async def poll_claimed(self, request_id: str) -> None:
        """Contact nobody: the poll itself is not what is measured."""

    async def poll_spare(self, request_id: str) -> float:
        """Contact nobody (none is overdue here: the pass only looks for them)."""
        return 0.0


@dataclass
class _StubServices(BotServices):
    """The bot's services with delivery queueing stubbed out (counted instead)."""

    requeued: int = 0

    async def enqueue(self, delivery_id: str, revision: str) -> None:
        """Queue nothing."""
        self.requeued += 1


async def _never(delivery_id: str, revision: str) -> None:
    raise AssertionError("no command runs in this benchmark")


@dataclass
class PendingSet:
    """``size`` pending searches under one key prefix, ``due`` of them to be found."""

    size: int
    store: SearchStore
    due_searches: list[str]
    overdue_deliveries: list[str]
    services: _StubServices

    async def _make_due(self) -> None:
        now = time.time() - 1
        open_deliveries = self.services.deliveries.keys.open_deliveries
        async with self.store.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self.store.keys.polls, dict.fromkeys(self.due_searches, now))
            pipe.zadd(open_deliveries, dict.fromkeys(self.overdue_deliveries, now))
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
        """Times a whole pass, ``Sweeper.run_once`` then ``requeue_overdue`` (both stubbed)."""
        services = self.services

        async def probe() -> float:
            await self._make_due()
            services.requeued = 0
            started = time.perf_counter()
            polled = await services.sweeper.run_once()
            await requeue_overdue({"services": services})
            elapsed = time.perf_counter() - started
            expected = (len(self.due_searches), len(self.overdue_deliveries))
            if (polled, services.requeued) != expected:
                found = (polled, services.requeued)
                raise RuntimeError(f"sweep found {found} (polled, requeued), expected {expected}")
            return elapsed

        return probe


async def _add(store: SearchStore, deliveries: DeliveryStore, *, due_at: float) -> tuple[str, str]:
    request_id = secrets.token_hex(32)
    now = datetime.now(UTC)
    record = SearchRecord(
        request_id=request_id,
        description=f"CTOs at fintech companies discussing cloud migration {request_id[:6]}",
        origin=SLACK.origin,
        status=SearchState.QUEUED,
        created_at=now,
        phases={SearchState.QUEUED: now},
        has_callback=True,
    )
    await store.create_search(
        record,
        first_poll_at=due_at,
        callback_token=store.new_callback_token(),
        overdue_at=due_at,
    )
    delivery = await deliveries.add(request_id, asker=SLACK, parent_ts=PARENT_TS, reused=False)
    assert delivery is not None  # the search was just created
    return request_id, delivery.delivery_id


async def fill(runtime: Runtime, size: int, due: int) -> PendingSet:
    """``size`` pending searches with Slack deliveries, under the prefix ``bench-sweep-<size>``.

    On ``runtime``'s Redis, with its API client (never called: polls are stubbed).
    """
    redis = runtime.connections.redis
    keys = Keys(prefix=f"bench-sweep-{size}")
    store = SearchStore(redis, keys=keys)
    # Deliveries a day from their deadline: none turns overdue while the benchmark runs.
    deliveries = DeliveryStore(redis, keys, ttl=store.pending_ttl, grace=int(_FAR))
    ids: list[tuple[str, str]] = []
    batch = 50
    for first in range(0, size, batch):
        ids += await asyncio.gather(
            *(
                _add(store, deliveries, due_at=time.time() + _FAR)
                for _ in range(min(batch, size - first))
            )
        )
    service = _StubService(client=runtime.client, store=store, bus=EventBus(redis, keys.events))
    desk = DeskStore(redis, keys.prefix, retention=3600)
    slack = AsyncWebClient()
    commands = CommandStore(redis, keys.prefix)  # none recorded: the requeue finds none
    deliverer = Deliverer(deliveries, store, desk, slack)
    services = _StubServices(
        commands=commands,
        intake=Intake(commands, deliveries, service, slack, _never, sandbox=True),
        spool=CommandSpool(Path(tempfile.gettempdir()) / "leads-bench-spool"),  # never used
        deliveries=deliveries,
        desk=desk,
        deliverer=deliverer,
        sweeper=Sweeper(service, batch=50),
        queue=runtime.connections.arq,  # never used: enqueue is stubbed
        watching=Watching.build(WatchStore(redis, keys=keys), service, deliverer, slack),
    )
    return PendingSet(
        size=size,
        store=store,
        due_searches=[request_id for request_id, _ in ids[:due]],
        overdue_deliveries=[delivery_id for _, delivery_id in ids[:due]],
        services=services,
    )
