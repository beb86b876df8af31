"""WatchStore on a real redis-server: cap and budget refusals, slots claimed once, cursors."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from shared.models import Author, Lead
from shared.state.records import Origin
from shared.watch.schedule import WatchClock
from shared.watch.store import (
    LastRun,
    WatchBudget,
    WatchNotFoundError,
    WatchRefusedError,
    WatchStore,
    check_watch_id,
)

CHANNEL = Origin(front="slack", team_id="T1", channel_id="C1", user_id="U1")
OTHER = Origin(front="slack", team_id="T1", channel_id="C2", user_id="U1")
DESCRIPTION = "CTOs at fintech companies discussing cloud migration"


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(redis: aioredis.Redis, clock: ManualClock) -> WatchStore:
    return WatchStore(redis, clock=WatchClock(now=clock), per_channel=5)


def lead(n: int) -> Lead:
    return Lead(
        platform="twitter",
        post_url=f"https://x.com/p/{n}",
        author=Author(name=f"P{n}", profile_url=f"https://x.com/u{n}"),
    )


async def test_create_then_list_get_and_delete(store: WatchStore) -> None:
    watch = await store.create(DESCRIPTION, "daily", CHANNEL)
    assert check_watch_id(watch.watch_id.upper()) == watch.watch_id
    assert watch.next_at is not None
    assert watch.next_at > store.clock.now()
    listed = await store.in_scope(watch.scope)
    assert [w.watch_id for w in listed] == [watch.watch_id]
    assert listed[0].description == DESCRIPTION
    assert listed[0].next_at == watch.next_at
    assert await store.in_scope("T1:C2") == []
    with pytest.raises(WatchNotFoundError, match="No watch"):
        await store.delete(watch.watch_id, scope="T1:C2")  # not from another channel
    await store.delete(watch.watch_id, scope=watch.scope)
    assert await store.get(watch.watch_id) is None
    assert await store.in_scope(watch.scope) == []


def test_a_malformed_watch_id_says_what_they_look_like() -> None:
    with pytest.raises(WatchNotFoundError, match=r"'nope' is not a watch ID .*w1a2b3c4d"):
        check_watch_id("nope")


async def test_every_key_has_a_ttl(
    store: WatchStore, redis: aioredis.Redis, clock: ManualClock
) -> None:
    watch = await store.create(DESCRIPTION, "hourly", CHANNEL)
    assert watch.next_at is not None
    clock.now = watch.next_at + 1
    [run_id] = await store.claim_due(limit=10, recheck=30)
    await store.log_new(watch.watch_id, run_id, [lead(1)])
    await store.count_credit(watch.watch_id, run_id)
    await store.mark_seen(watch.watch_id, [lead(1)])
    for key in await redis.keys("*"):
        assert await redis.ttl(key) > 0, key


async def test_the_channel_cap_refuses_with_the_setting(store: WatchStore) -> None:
    for _ in range(5):
        await store.create(DESCRIPTION, "weekly", CHANNEL)
    with pytest.raises(WatchRefusedError) as refused:
        await store.create(DESCRIPTION, "weekly", CHANNEL)
    assert "already has 5 watches" in refused.value.message
    assert "LEADS_WATCHES_PER_CHANNEL=5" in refused.value.message
    await store.create(DESCRIPTION, "weekly", OTHER)  # another channel still may


async def test_creating_past_the_budget_is_refused_with_the_numbers(
    redis: aioredis.Redis, clock: ManualClock
) -> None:
    # 100 requests an hour, half for watches, 10 a run: 5 hourly runs.
    store = WatchStore(
        redis, clock=WatchClock(now=clock), budget=WatchBudget(requests_per_hour=100)
    )
    assert store.budget.hourly_runs == 5
    for _ in range(3):
        await store.create(DESCRIPTION, "hourly", CHANNEL)
    for _ in range(2):
        await store.create(DESCRIPTION, "hourly", OTHER)
    with pytest.raises(WatchRefusedError) as refused:
        await store.create(DESCRIPTION, "weekly", CHANNEL)
    assert refused.value.message == (
        "Not enough API budget for a weekly watch: this key sustains about 5 hourly runs; "
        "the channel's watches already use 3 (all watches on this key: 5). Choose a slower "
        "schedule or delete a watch."
    )
    assert len(await store.in_scope("T1:C1")) == 3  # nothing was created


async def test_a_due_slot_is_claimed_once_and_the_next_counted_from_now(
    store: WatchStore, clock: ManualClock
) -> None:
    watch = await store.create(DESCRIPTION, "hourly", CHANNEL)
    assert watch.next_at is not None
    assert await store.claim_due(limit=10, recheck=30) == []  # not due yet
    clock.now = watch.next_at + 5 * 3600 + 1  # five more slots missed while down
    claims = await asyncio.gather(*(store.claim_due(limit=10, recheck=30) for _ in range(8)))
    claimed = [run_id for found in claims for run_id in found]
    slot = store.clock.slot_of(watch.watch_id, "hourly", watch.next_at)
    assert claimed == [f"{watch.watch_id}:{slot}"]  # once, for the first missed slot
    after = await store.get(watch.watch_id)
    assert after is not None
    assert after.next_at is not None
    assert clock.now < after.next_at <= clock.now + 3600


async def test_open_runs_come_back_after_recheck_until_finished(
    store: WatchStore, clock: ManualClock
) -> None:
    watch = await store.create(DESCRIPTION, "hourly", CHANNEL)
    assert watch.next_at is not None
    clock.now = watch.next_at
    [run_id] = await store.claim_due(limit=10, recheck=30)
    assert await store.overdue_runs(limit=10, recheck=30) == []
    clock.now += 31
    assert await store.overdue_runs(limit=10, recheck=30) == [run_id]
    assert await store.overdue_runs(limit=10, recheck=30) == []  # pushed back once handed out
    await store.finish_run(watch, run_id, LastRun(clock.now, "nothing_new", 0, 4))
    clock.now += 31
    assert await store.overdue_runs(limit=10, recheck=30) == []
    shown = await store.get(watch.watch_id)
    assert shown is not None
    assert shown.last is not None
    assert (shown.last.status, shown.last.new, shown.last.seen) == ("nothing_new", 0, 4)


async def test_pause_removes_from_the_schedule_and_resume_restores(
    store: WatchStore, clock: ManualClock
) -> None:
    watch = await store.create(DESCRIPTION, "hourly", CHANNEL)
    await store.pause(watch.watch_id, "3 runs in a row failed")
    paused = await store.get(watch.watch_id)
    assert paused is not None
    assert paused.paused
    assert paused.next_at is None
    clock.now += 10 * 3600
    assert await store.claim_due(limit=10, recheck=30) == []
    resumed = await store.resume(watch.watch_id)
    assert not resumed.paused
    assert resumed.next_at is not None
    assert resumed.next_at > clock.now


async def test_credits_and_failures_count_once_per_run(store: WatchStore) -> None:
    watch = await store.create(DESCRIPTION, "daily", CHANNEL)
    for _ in range(3):
        await store.count_credit(watch.watch_id, f"{watch.watch_id}:1")
    await store.count_credit(watch.watch_id, f"{watch.watch_id}:2")
    assert await store.credits(watch.watch_id) == 2
    assert await store.count_failure(watch.watch_id, f"{watch.watch_id}:1") == 1
    assert await store.count_failure(watch.watch_id, f"{watch.watch_id}:1") == 1
    assert await store.count_failure(watch.watch_id, f"{watch.watch_id}:2") == 2


async def test_new_leads_are_logged_once_and_read_by_cursor(store: WatchStore) -> None:
    watch = await store.create(DESCRIPTION, "daily", Origin(front="mcp"))
    wid = watch.watch_id
    await store.log_new(wid, f"{wid}:1", [lead(1), lead(2)])
    await store.log_new(wid, f"{wid}:1", [lead(1), lead(2)])  # a retried run: no repeat
    first, cursor = await store.new_leads(wid, None, limit=10)
    assert [found.lead.author.name for found in first] == ["P1", "P2"]
    assert await store.new_leads(wid, cursor, limit=10) == ([], cursor)
    await store.log_new(wid, f"{wid}:2", [lead(3)])
    later, _ = await store.new_leads(wid, cursor, limit=10)
    assert [(found.run_id, found.lead.author.name) for found in later] == [(f"{wid}:2", "P3")]


async def test_unseen_leaves_out_what_the_watch_reported_and_repeats(store: WatchStore) -> None:
    watch = await store.create(DESCRIPTION, "daily", Origin(front="mcp"))
    assert await store.unseen(watch.watch_id, [lead(1), lead(2), lead(1)]) == [0, 1]
    await store.mark_seen(watch.watch_id, [lead(1)])
    assert await store.unseen(watch.watch_id, [lead(1), lead(2)]) == [1]


async def test_deleting_a_watch_gives_its_budget_back(
    redis: aioredis.Redis, clock: ManualClock
) -> None:
    store = WatchStore(redis, clock=WatchClock(now=clock), budget=WatchBudget(requests_per_hour=20))
    watch = await store.create(DESCRIPTION, "hourly", CHANNEL)
    with pytest.raises(WatchRefusedError):
        await store.create(DESCRIPTION, "weekly", OTHER)
    await store.delete(watch.watch_id)
    await store.create(DESCRIPTION, "hourly", OTHER)  # room again
