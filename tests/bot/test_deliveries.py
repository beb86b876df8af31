"""DeliveryStore against a real redis-server: numbering, progress, deadlines, TTLs."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from bot.deliveries import DeliveryStore, SlackRequest
from shared.state.keys import Keys
from shared.state.records import SearchRecord, SearchState
from shared.state.store import SearchStore

RID = "a" * 64
ASKER = SlackRequest(team_id="T1", channel_id="C1", user_id="U1")


@pytest.fixture
def deliveries(redis: aioredis.Redis, searches: SearchStore) -> DeliveryStore:
    return DeliveryStore(redis, Keys(), ttl=searches.pending_ttl)


async def a_search(searches: SearchStore) -> None:
    now = datetime.now(UTC)
    record = SearchRecord(
        request_id=RID,
        description="CTOs at fintech companies discussing cloud migration",
        origin=ASKER.origin,
        status=SearchState.QUEUED,
        created_at=now,
    )
    await searches.create_search(record, first_poll_at=time.time(), callback_token=None)


async def test_deliveries_are_numbered_per_search_and_need_the_search(
    searches: SearchStore, deliveries: DeliveryStore
) -> None:
    assert await deliveries.add(RID, asker=ASKER, parent_ts="1.0", reused=False) is None
    await a_search(searches)
    first, second = await asyncio.gather(
        deliveries.add(RID, asker=ASKER, parent_ts="1.0", reused=False),
        deliveries.add(RID, asker=ASKER, parent_ts="2.0", reused=True),
    )
    assert first is not None
    assert second is not None
    assert {first.delivery_id, second.delivery_id} == {f"{RID}:1", f"{RID}:2"}
    assert await deliveries.ids_of(RID) == [f"{RID}:1", f"{RID}:2"]
    loaded = await deliveries.get(second.delivery_id)
    assert loaded is not None
    assert loaded.model_dump(exclude={"created_at"}) == second.model_dump(exclude={"created_at"})
    assert abs((loaded.created_at - second.created_at).total_seconds()) < 0.01
    assert (loaded.channel_id, loaded.user_id, loaded.request_id) == ("C1", "U1", RID)
    assert (loaded.parent_ts, loaded.reused) == ("2.0", True)


async def test_deliveries_track_progress_and_finish(
    searches: SearchStore, deliveries: DeliveryStore
) -> None:
    await a_search(searches)
    delivery = await deliveries.add(RID, asker=ASKER, parent_ts="1.0", reused=False)
    assert delivery is not None
    await deliveries.record(delivery.delivery_id, parts_posted=2, status_shown="completed")
    loaded = await deliveries.get(delivery.delivery_id)
    assert loaded is not None
    assert (loaded.parts_posted, loaded.status_shown, loaded.done) == (2, "completed", False)
    await deliveries.finish(delivery.delivery_id)
    loaded = await deliveries.get(delivery.delivery_id)
    assert loaded is not None
    assert loaded.done
    assert await deliveries.overdue(limit=10) == []


async def test_deliveries_past_their_deadline_come_back(
    redis: aioredis.Redis, searches: SearchStore
) -> None:
    deliveries = DeliveryStore(redis, Keys(), ttl=60, grace=0)
    await a_search(searches)
    delivery = await deliveries.add(RID, asker=ASKER, parent_ts="1.0", reused=False)
    assert delivery is not None
    assert await deliveries.overdue(limit=10) == [delivery.delivery_id]


async def test_every_delivery_key_has_a_ttl(
    redis: aioredis.Redis, searches: SearchStore, deliveries: DeliveryStore
) -> None:
    await a_search(searches)
    delivery = await deliveries.add(RID, asker=ASKER, parent_ts="1.0", reused=False)
    assert delivery is not None
    lock = deliveries.lock(delivery.delivery_id)
    assert await lock.acquire()
    await deliveries.record(delivery.delivery_id, parts_posted=1)
    keys = [
        deliveries.keys.delivery(delivery.delivery_id),
        deliveries.keys.delivery_count(RID),
        deliveries.keys.delivery_lock(delivery.delivery_id),
        deliveries.keys.open_deliveries,
    ]
    for key in keys:
        assert await redis.ttl(key) > 0, f"{key} has no TTL"
    await lock.release()


async def test_a_request_adds_one_delivery_however_often_it_asks_and_no_key_for_it(
    deliveries: DeliveryStore, searches: SearchStore, redis: aioredis.Redis
) -> None:
    await a_search(searches)
    # A /leads command resumed after a crash adds its delivery again: the same one comes back.
    tries = await asyncio.gather(
        *(
            deliveries.add(RID, asker=ASKER, parent_ts="1.0", reused=False, once="cmd-1")
            for _ in range(3)
        )
    )
    assert {d.delivery_id for d in tries if d is not None} == {f"{RID}:1"}
    other = await deliveries.add(RID, asker=ASKER, parent_ts="2.0", reused=True, once="cmd-2")
    assert other is not None
    assert other.delivery_id == f"{RID}:2"
    assert await deliveries.ids_of(RID) == [f"{RID}:1", f"{RID}:2"]
    # The request is a field of its delivery: no key of its own (memory per search).
    assert [key async for key in redis.scan_iter("*delivery-once*")] == []


async def test_a_once_key_an_earlier_version_wrote_is_still_honoured(
    deliveries: DeliveryStore, searches: SearchStore, redis: aioredis.Redis
) -> None:
    await a_search(searches)
    first = await deliveries.add(RID, asker=ASKER, parent_ts="1.0", reused=False)
    assert first is not None
    await redis.set(deliveries.keys.delivery_once(RID, "cmd-old"), 1, ex=600)
    again = await deliveries.add(RID, asker=ASKER, parent_ts="1.0", reused=False, once="cmd-old")
    assert again is not None
    assert again.delivery_id == first.delivery_id
    assert await deliveries.ids_of(RID) == [f"{RID}:1"]
