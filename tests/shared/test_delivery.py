"""DeliveryRunner against a real redis-server: one run at a time, heartbeats, lost locks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from shared.delivery import DeliveryOutcome, DeliveryProgress, DeliveryRunner
from shared.state.records import Delivery, SearchRecord, SearchState, SlackOrigin
from shared.state.store import SearchStore, StoreTimings

RID = "d" * 64
ORIGIN = SlackOrigin(team_id="T1", channel_id="C1", user_id="U1", parent_ts="1.0")


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[SearchStore]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    # Short lease: the heartbeat renews every lease / 3 = 0.2 s.
    yield SearchStore(client, timings=StoreTimings(delivery_lease=1, delivery_grace=2))
    await client.aclose()


async def finished_search(store: SearchStore) -> str:
    now = datetime.now(UTC)
    record = SearchRecord(
        request_id=RID,
        description="d" * 20,
        origin=ORIGIN,
        status=SearchState.QUEUED,
        created_at=now,
    )
    await store.create_search(record, first_poll_at=time.time() + 60, callback_token=None)
    delivery = await store.add_delivery(RID, ORIGIN)
    assert delivery is not None
    await store.complete(RID, SearchState.COMPLETED)
    return delivery.delivery_id


class SlowDeliverer:
    """Posts three parts, each taking longer than the lock's lease (a slow Slack)."""

    def __init__(self, seconds_per_part: float) -> None:
        self.seconds = seconds_per_part
        self.posted: list[int] = []
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.wait_for_release = False

    async def deliver(
        self, delivery: Delivery, search: SearchRecord, progress: DeliveryProgress
    ) -> bool:
        self.started.set()
        if self.wait_for_release:
            await self.release.wait()
        for part in range(progress.parts_posted, 3):
            await asyncio.sleep(self.seconds)  # the Slack call
            self.posted.append(part)
            await progress.part_posted(part + 1)
        return True


async def test_a_run_longer_than_its_lease_keeps_the_delivery_to_itself(
    store: SearchStore,
) -> None:
    delivery_id = await finished_search(store)
    slow = SlowDeliverer(seconds_per_part=0.8)  # 2.4 s in all; the lease is 1 s
    first = asyncio.create_task(DeliveryRunner(store, slow).run(delivery_id))
    await slow.started.wait()
    rival = DeliveryRunner(store, SlowDeliverer(0))
    outcomes = []
    while not first.done():
        outcomes.append(await rival.run(delivery_id))  # another replica's job
        assert await store.overdue_deliveries(limit=10) == []  # the heartbeat holds it open
        await asyncio.sleep(0.1)
    assert await first is DeliveryOutcome.FINISHED
    assert set(outcomes) == {DeliveryOutcome.BUSY}
    assert slow.posted == [0, 1, 2]  # each part once
    assert await rival.run(delivery_id) is DeliveryOutcome.GONE


async def test_a_run_that_loses_its_lock_stops_before_posting(store: SearchStore) -> None:
    delivery_id = await finished_search(store)
    stuck = SlowDeliverer(seconds_per_part=0)
    stuck.wait_for_release = True
    run = asyncio.create_task(DeliveryRunner(store, stuck).run(delivery_id))
    await stuck.started.wait()
    await store.redis.delete(store.keys.delivery_lock(delivery_id))  # e.g. a failover
    assert await asyncio.wait_for(run, timeout=10) is DeliveryOutcome.BUSY
    assert stuck.posted == []
    delivery = await store.get_delivery(delivery_id)
    assert delivery is not None
    assert not delivery.done  # the next run will do it


async def test_a_delivery_whose_data_expired_leaves_the_open_set(store: SearchStore) -> None:
    delivery_id = await finished_search(store)
    await store.redis.delete(store.keys.delivery(delivery_id))
    assert await store.redis.zscore(store.keys.open_deliveries, delivery_id) is not None
    outcome = await DeliveryRunner(store, SlowDeliverer(0)).run(delivery_id)
    assert outcome is DeliveryOutcome.GONE
    assert await store.redis.zscore(store.keys.open_deliveries, delivery_id) is None
