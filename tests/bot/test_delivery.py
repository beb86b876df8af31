"""Deliverer against a real redis-server: one run at a time, heartbeats, lost locks.

The runner is the real one; a subclass replaces only the Slack calls with slow steps, so
a run can outlive its lock's lease.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis
from slack_sdk.web.async_client import AsyncWebClient

from bot.deliveries import Delivery, DeliveryStore, SlackRequest
from bot.delivery import Deliverer, DeliveryOutcome
from bot.desk import DeskStore
from shared.state.records import SearchRecord, SearchState
from shared.state.store import SearchStore

RID = "d" * 64
ASKER = SlackRequest(team_id="T1", channel_id="C1", user_id="U1")


@pytest.fixture
def deliveries(redis: aioredis.Redis, searches: SearchStore) -> DeliveryStore:
    # Short lease: the heartbeat renews every lease / 3 = 0.33 s.
    return DeliveryStore(redis, searches.keys, ttl=600, lease=1, grace=2)


async def finished_search(searches: SearchStore, deliveries: DeliveryStore) -> str:
    record = SearchRecord(
        request_id=RID,
        description="d" * 20,
        origin=ASKER.origin,
        status=SearchState.QUEUED,
        created_at=datetime.now(UTC),
    )
    await searches.create_search(record, first_poll_at=time.time() + 60, callback_token=None)
    delivery = await deliveries.add(RID, asker=ASKER, parent_ts="1.0", reused=False)
    assert delivery is not None
    await searches.complete(RID, SearchState.COMPLETED)
    return delivery.delivery_id


class SlowDeliverer(Deliverer):
    """Posts three parts, each taking ``seconds_per_part`` (a slow Slack)."""

    def __init__(
        self, deliveries: DeliveryStore, searches: SearchStore, seconds_per_part: float
    ) -> None:
        desk = DeskStore(deliveries.redis, searches.keys.prefix, retention=600)
        super().__init__(deliveries, searches, desk, AsyncWebClient())
        self.seconds = seconds_per_part
        self.posted: list[int] = []
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.wait_for_release = False

    async def bring_up_to_date(self, delivery: Delivery, search: SearchRecord) -> bool:
        self.started.set()
        if self.wait_for_release:
            await self.release.wait()
        for part in range(delivery.parts_posted, 3):
            await asyncio.sleep(self.seconds)  # the Slack call
            self.posted.append(part)
            await self.deliveries.record(delivery.delivery_id, parts_posted=part + 1)
        return True


async def test_a_run_longer_than_its_lease_keeps_the_delivery_to_itself(
    searches: SearchStore, deliveries: DeliveryStore
) -> None:
    delivery_id = await finished_search(searches, deliveries)
    slow = SlowDeliverer(deliveries, searches, seconds_per_part=0.8)  # 2.4 s; lease 1 s
    first = asyncio.create_task(slow.run(delivery_id))
    await slow.started.wait()
    rival = SlowDeliverer(deliveries, searches, 0)  # another replica's job
    outcomes = []
    while not first.done():
        outcomes.append(await rival.run(delivery_id))
        assert await deliveries.overdue(limit=10) == []  # the heartbeat holds it open
        await asyncio.sleep(0.1)
    assert await first is DeliveryOutcome.FINISHED
    assert set(outcomes) == {DeliveryOutcome.BUSY}
    assert slow.posted == [0, 1, 2]  # each part once
    assert rival.posted == []
    assert await rival.run(delivery_id) is DeliveryOutcome.GONE


async def test_a_run_that_loses_its_lock_stops_before_posting(
    searches: SearchStore, deliveries: DeliveryStore, redis: aioredis.Redis
) -> None:
    delivery_id = await finished_search(searches, deliveries)
    stuck = SlowDeliverer(deliveries, searches, seconds_per_part=0)
    stuck.wait_for_release = True
    run = asyncio.create_task(stuck.run(delivery_id))
    await stuck.started.wait()
    await redis.delete(deliveries.keys.delivery_lock(delivery_id))  # e.g. a failover
    assert await asyncio.wait_for(run, timeout=10) is DeliveryOutcome.BUSY
    assert stuck.posted == []
    delivery = await deliveries.get(delivery_id)
    assert delivery is not None
    assert not delivery.done  # the next run will do it


async def test_a_delivery_whose_data_expired_leaves_the_open_set(
    searches: SearchStore, deliveries: DeliveryStore, redis: aioredis.Redis
) -> None:
    delivery_id = await finished_search(searches, deliveries)
    await redis.delete(deliveries.keys.delivery(delivery_id))
    assert await redis.zscore(deliveries.keys.open_deliveries, delivery_id) is not None
    outcome = await SlowDeliverer(deliveries, searches, 0).run(delivery_id)
    assert outcome is DeliveryOutcome.GONE
    assert await redis.zscore(deliveries.keys.open_deliveries, delivery_id) is None
