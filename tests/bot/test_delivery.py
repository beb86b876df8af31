"""Deliverer against a real redis-server: one run at a time, heartbeats, lost locks.

The runner is the real one; a subclass replaces only the Slack calls with slow steps, so
a run can outlive its lock's lease.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import cast

import pytest
import redis.asyncio as aioredis
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.deliveries import Delivery, DeliveryStore, SlackRequest
from bot.delivery import Deliverer, DeliveryOutcome
from bot.desk import DeskStore
from shared.state.records import SearchRecord, SearchState
from shared.state.store import SearchStore

RID = "d" * 64
ASKER = SlackRequest(team_id="T1", channel_id="C1", user_id="U1")


LEASE = 2
"""A short lease: the heartbeat renews it every 0.67 s, so only a stall of the whole process
longer than 1.3 s (not a busy machine's 100–500 ms) could let it lapse."""


@pytest.fixture
def deliveries(redis: aioredis.Redis, searches: SearchStore) -> DeliveryStore:
    return DeliveryStore(redis, searches.keys, ttl=600, lease=LEASE, grace=2 * LEASE)


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
    """Posts three parts through a Slack that the test holds up.

    With ``wait_for_release`` set, the run stops before its first part until ``release`` is
    set — as long as the test needs, however slow the machine.
    """

    def __init__(self, deliveries: DeliveryStore, searches: SearchStore) -> None:
        desk = DeskStore(deliveries.redis, searches.keys.prefix, retention=600)
        super().__init__(deliveries, searches, desk, AsyncWebClient())
        self.posted: list[int] = []
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.wait_for_release = False

    async def bring_up_to_date(self, delivery: Delivery, search: SearchRecord) -> bool:
        self.started.set()
        if self.wait_for_release:
            await self.release.wait()
        for part in range(delivery.parts_posted, 3):
            await asyncio.sleep(0)  # the Slack call
            self.posted.append(part)
            await self.deliveries.record(delivery.delivery_id, parts_posted=part + 1)
        return True


async def test_a_run_longer_than_its_lease_keeps_the_delivery_to_itself(
    searches: SearchStore, deliveries: DeliveryStore, redis: aioredis.Redis
) -> None:
    delivery_id = await finished_search(searches, deliveries)
    slow = SlowDeliverer(deliveries, searches)
    slow.wait_for_release = True  # a Slack call that lasts until the test says so
    first = asyncio.create_task(slow.run(delivery_id))
    await slow.started.wait()
    began = time.monotonic()
    lock_key = deliveries.keys.delivery_lock(delivery_id)
    rival = SlowDeliverer(deliveries, searches)  # another replica's job
    outcomes = []
    # Hold the run until it has outlived its lease by half again (a lower bound: a busy
    # machine only makes it longer); only the heartbeat can have kept the lock alive.
    while time.monotonic() - began < 1.5 * LEASE:
        outcomes.append(await rival.run(delivery_id))
        assert await deliveries.overdue(limit=10) == []  # the heartbeat holds it open
        assert 0 < await redis.pttl(lock_key) <= LEASE * 1000
        await asyncio.sleep(0.1)  # a rival's job every so often
    assert await redis.exists(lock_key)
    slow.release.set()
    assert await asyncio.wait_for(first, timeout=10) is DeliveryOutcome.FINISHED
    assert set(outcomes) == {DeliveryOutcome.BUSY}  # at least one rival, all refused
    assert slow.posted == [0, 1, 2]  # each part once
    assert rival.posted == []
    assert await rival.run(delivery_id) is DeliveryOutcome.GONE


async def test_a_run_that_loses_its_lock_stops_before_posting(
    searches: SearchStore, deliveries: DeliveryStore, redis: aioredis.Redis
) -> None:
    delivery_id = await finished_search(searches, deliveries)
    stuck = SlowDeliverer(deliveries, searches)
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
    outcome = await SlowDeliverer(deliveries, searches).run(delivery_id)
    assert outcome is DeliveryOutcome.GONE
    assert await redis.zscore(deliveries.keys.open_deliveries, delivery_id) is None


class PhaseThenFinish(Deliverer):
    """Shows a phase through a Slack call the test holds up, then finishes (no Slack)."""

    def __init__(self, deliveries: DeliveryStore, searches: SearchStore) -> None:
        desk = DeskStore(deliveries.redis, searches.keys.prefix, retention=600)
        super().__init__(deliveries, searches, desk, AsyncWebClient())
        self.in_phase = asyncio.Event()
        self.release = asyncio.Event()
        self.shown: list[str] = []

    async def bring_up_to_date(self, delivery: Delivery, search: SearchRecord) -> bool:
        self.shown.append(search.status.value)
        if not search.is_terminal:
            self.in_phase.set()
            await self.release.wait()  # a phase edit sleeping through Slack's 429
            return False
        return True


async def test_a_search_that_finishes_during_a_phase_edit_is_finished_by_the_same_run(
    searches: SearchStore, deliveries: DeliveryStore
) -> None:
    record = SearchRecord(
        request_id=RID,
        description="d" * 20,
        origin=ASKER.origin,
        status=SearchState.SEARCHING,
        created_at=datetime.now(UTC),
    )
    await searches.create_search(record, first_poll_at=time.time() + 60, callback_token=None)
    delivery = await deliveries.add(RID, asker=ASKER, parent_ts="1.0", reused=False)
    assert delivery is not None
    deliverer = PhaseThenFinish(deliveries, searches)
    run = asyncio.create_task(deliverer.run(delivery.delivery_id))
    await deliverer.in_phase.wait()
    await searches.complete(RID, SearchState.COMPLETED)  # while the edit is under way
    # The completion's own job finds the delivery taken...
    assert await deliverer.run(delivery.delivery_id) is DeliveryOutcome.BUSY
    deliverer.release.set()
    # ...and the run holding it goes on to the answer rather than leave it to that job's
    # back-off.
    assert await run is DeliveryOutcome.FINISHED
    assert deliverer.shown == ["searching", "completed"]


class _Slack:
    """The two calls a thread's link may take: auth.test (failing, or answering ``url``)
    and chat.getPermalink."""

    def __init__(self, url: str | None = None, *, fails: bool = False) -> None:
        self.url, self.fails = url, fails
        self.asked: list[str] = []

    async def auth_test(self) -> dict[str, str]:
        self.asked.append("auth.test")
        if not self.fails:
            return {"url": self.url} if self.url is not None else {}
        answer = AsyncSlackResponse(
            client=None,
            http_verb="POST",
            api_url="https://slack.example/api/auth.test",
            req_args={},
            data={"ok": False, "error": "ratelimited"},
            headers={},
            status_code=429,
        )
        raise SlackApiError("refused", answer)  # type: ignore[no-untyped-call]

    async def chat_getPermalink(self, *, channel: str, message_ts: str) -> dict[str, str]:
        self.asked.append("chat.getPermalink")
        return {"permalink": f"https://t.slack.example/archives/{channel}/p1?from=slack"}


ASKED = "https://t.slack.example/archives/C1/p1?from=slack"
MADE = "https://t.slack.example/archives/C1/p1700000000000100"


@pytest.mark.parametrize(
    ("slack", "link", "asked"),
    [
        # The workspace URL, asked once: no Slack call for the links after it.
        (_Slack("https://t.slack.example"), MADE, ["auth.test"]),
        # auth.test failing is asked again next time; meanwhile each link is asked for.
        (_Slack(fails=True), ASKED, ["auth.test", "chat.getPermalink"] * 2),
        # An answer without a URL is kept: the links are asked for, auth.test not again.
        (_Slack(None), ASKED, ["auth.test", "chat.getPermalink", "chat.getPermalink"]),
    ],
)
async def test_a_threads_link_is_made_from_the_workspace_url_or_asked_of_slack(
    deliveries: DeliveryStore, searches: SearchStore, slack: _Slack, link: str, asked: list[str]
) -> None:
    desk = DeskStore(deliveries.redis, searches.keys.prefix, retention=600)
    deliverer = Deliverer(deliveries, searches, desk, cast(AsyncWebClient, slack))
    delivery = Delivery(
        delivery_id="x:1",
        request_id=RID,
        team_id="T1",
        channel_id="C1",
        user_id="U1",
        parent_ts="1700000000.000100",
        created_at=datetime.now(UTC),
    )
    assert await deliverer._permalink(delivery) == link
    assert await deliverer._permalink(delivery) == link
    assert slack.asked == asked
