"""SearchStore against a real redis-server: records, exactly-once completion, claims, TTLs."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from shared.models import Author, Lead
from shared.state.records import Origin, SearchRecord, SearchState
from shared.state.store import (
    CALLBACK_GRACE_SECONDS,
    MAX_LEADS_KEPT,
    Completion,
    SearchStore,
    token_digest,
)

RID = "a" * 64


@pytest.fixture
def store(redis: aioredis.Redis) -> SearchStore:
    return SearchStore(redis)


def record(request_id: str = RID, **changes: object) -> SearchRecord:
    now = datetime.now(UTC)
    base = SearchRecord(
        request_id=request_id,
        description="CTOs at fintech companies discussing cloud migration",
        origin=Origin(front="chat", team_id="T1", channel_id="C1", user_id="U1"),
        status=SearchState.QUEUED,
        created_at=now,
        phases={SearchState.QUEUED: now},
        has_callback=True,
    )
    return base.model_copy(update=changes)


def leads(count: int) -> list[Lead]:
    return [
        Lead(
            platform="linkedin",
            post_url=f"https://linkedin.example/p/{i}",
            post_content=f"post {i} about cloud migration",
            author=Author(name=f"Person {i}", username=f"p{i}"),
        )
        for i in range(count)
    ]


async def test_record_round_trips_through_redis(store: SearchStore) -> None:
    original = record()
    await store.create_search(original, first_poll_at=time.time() + 5, callback_token="tok")
    loaded = await store.get_search(RID)
    assert loaded is not None
    assert loaded.description == original.description
    assert loaded.origin == original.origin
    assert loaded.status is SearchState.QUEUED
    assert loaded.has_callback
    assert abs((loaded.created_at - original.created_at).total_seconds()) < 0.01
    assert await store.get_search("b" * 64) is None


async def test_phase_history_records_each_phase_once(store: SearchStore) -> None:
    await store.create_search(record(), first_poll_at=time.time(), callback_token=None)
    assert await store.set_status(RID, SearchState.ANALYZING, polled=True)
    assert not await store.set_status(RID, SearchState.ANALYZING, polled=True)
    assert await store.set_status(RID, SearchState.SEARCHING, polled=True)
    loaded = await store.get_search(RID)
    assert loaded is not None
    assert list(loaded.phases) == [SearchState.QUEUED, SearchState.ANALYZING, SearchState.SEARCHING]
    assert loaded.polls == 3
    assert loaded.rev == 2


async def test_completion_is_won_exactly_once_under_concurrency(store: SearchStore) -> None:
    await store.create_search(record(), first_poll_at=time.time(), callback_token=None)
    answers = await asyncio.gather(
        *(store.complete(RID, SearchState.COMPLETED, results=leads(3)) for _ in range(50))
    )
    outcomes = [outcome for outcome, _ in answers]
    (finished,) = [record for _, record in answers if record is not None]  # the winner's
    assert finished.status is SearchState.COMPLETED
    assert outcomes.count(Completion.WON) == 1
    assert outcomes.count(Completion.ALREADY_DONE) == 49
    results = await store.get_results(RID)
    assert results is not None
    assert [lead.author.name for lead in results] == ["Person 0", "Person 1", "Person 2"]
    assert await store.next_poll_at(RID) is None  # no more polls once done


async def test_a_finished_search_never_changes_again(store: SearchStore) -> None:
    await store.create_search(record(), first_poll_at=time.time(), callback_token=None)
    assert (await store.complete(RID, SearchState.FAILED, error="boom"))[0] is Completion.WON
    assert not await store.set_status(RID, SearchState.SEARCHING, polled=False)
    assert await store.complete(RID, SearchState.COMPLETED, results=leads(1)) == (
        Completion.ALREADY_DONE,
        None,
    )
    loaded = await store.get_search(RID)
    assert loaded is not None
    assert loaded.status is SearchState.FAILED
    assert loaded.error == "boom"
    assert await store.get_results(RID) is None


async def test_completing_an_unknown_search_says_so(store: SearchStore) -> None:
    assert await store.complete(RID, SearchState.COMPLETED) == (Completion.UNKNOWN, None)


async def test_only_due_polls_are_claimed_and_each_by_one_claimer(store: SearchStore) -> None:
    now = time.time()
    for i in range(10):
        rid = f"{i:064d}"
        due = now - 1 if i < 4 else now + 3600
        await store.create_search(record(rid), first_poll_at=due, callback_token=None)
    claims = await asyncio.gather(*(store.claim_due_polls(limit=10, lease=30) for _ in range(5)))
    claimed = [rid for batch in claims for rid in batch]
    assert sorted(claimed) == [f"{i:064d}" for i in range(4)]  # each due one, exactly once
    assert await store.claim_due_polls(limit=10, lease=30) == []
    assert not await store.claim_poll(f"{5:064d}", lease=30)


async def test_overdue_searches_are_claimed_by_score_each_by_one_claimer(
    store: SearchStore,
) -> None:
    now = time.time()
    for i in range(8):
        overdue_at = None if i == 7 else now - 1 if i < 3 else now + 3600
        await store.create_search(
            record(f"{i:064d}"), first_poll_at=now + 60, callback_token=None, overdue_at=overdue_at
        )
    claims = await asyncio.gather(*(store.claim_overdue(limit=10, lease=30) for _ in range(5)))
    claimed = [rid for batch in claims for rid in batch]
    assert sorted(claimed) == [f"{i:064d}" for i in range(3)]
    assert await store.claim_overdue(limit=10, lease=30) == []
    # An hour and more later every lease and overdue time has passed; the search created
    # without one is still never worth a spare poll.
    later = SearchStore(store.redis, clock=lambda: now + 7200)
    assert sorted(await later.claim_overdue(limit=10, lease=30)) == [f"{i:064d}" for i in range(7)]


class StepClock:
    """A store clock that moves only when a test sets ``now``."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def spare_due(store: SearchStore, clock: StepClock, at: float) -> list[str]:
    """What a spare pass would claim at ``at``, left as it was (a lease of nothing)."""
    clock.now = at
    return await store.claim_overdue(limit=10, lease=0)


async def test_a_scheduled_poll_only_puts_the_next_spare_poll_off(redis: aioredis.Redis) -> None:
    now = float(int(time.time()))  # whole seconds: the claim sends its time to 6 places
    clock = StepClock(now)
    store = SearchStore(redis, clock=clock)
    await store.create_search(record(), first_poll_at=now, callback_token=None, overdue_at=now)
    await store.schedule_spare(RID, now + 2)
    await store.schedule_poll(RID, now + 60, no_spare_before=now + 5)
    assert await spare_due(store, clock, now + 4.9) == []  # put off from 2 s to 5 s
    await store.schedule_poll(RID, now + 60, no_spare_before=now + 1)  # never brought forward
    assert await spare_due(store, clock, now + 4.9) == []
    assert await spare_due(store, clock, now + 5) == [RID]
    assert await store.next_poll_at(RID) == pytest.approx(now + 60)


async def test_a_finished_search_gets_no_more_polls_of_either_kind(
    redis: aioredis.Redis,
) -> None:
    now = float(int(time.time()))  # whole seconds: the claim sends its time to 6 places
    clock = StepClock(now)
    store = SearchStore(redis, clock=clock)
    for rid in ("a" * 64, "b" * 64):
        await store.create_search(
            record(rid), first_poll_at=now, callback_token=None, overdue_at=now
        )
    await store.complete("a" * 64, SearchState.COMPLETED, polled=True, spare=True)
    await store.stop_polling("b" * 64)
    for rid in ("a" * 64, "b" * 64):
        await store.schedule_spare(rid, now + 2)  # too late: nothing comes back
        assert await store.next_poll_at(rid) is None
    assert await spare_due(store, clock, now + 3600) == []
    assert await store.claim_due_polls(limit=10, lease=30) == []


async def test_spare_polls_are_counted_apart_from_the_schedule(store: SearchStore) -> None:
    await store.create_search(record(), first_poll_at=time.time(), callback_token=None)
    await store.set_status(RID, SearchState.SEARCHING, polled=True)
    await store.set_status(RID, SearchState.SEARCHING, polled=True, spare=True)
    await store.complete(RID, SearchState.COMPLETED, polled=True, spare=True)
    loaded = await store.get_search(RID)
    assert loaded is not None
    assert (loaded.polls, loaded.spare_polls, loaded.scheduled_polls) == (3, 2, 1)


async def test_the_store_writes_times_from_its_clock(redis: aioredis.Redis) -> None:
    store = SearchStore(redis, clock=lambda: 1_000_000.0)
    await store.create_search(
        record(), first_poll_at=999_999.0, callback_token=None, overdue_at=1_000_001.0
    )
    assert await store.claim_due_polls(limit=5, lease=30) == [RID]
    assert await store.next_poll_at(RID) == 1_000_030.0  # the lease, on that clock
    assert await store.claim_overdue(limit=5, lease=30) == []  # due a second later
    await store.complete(RID, SearchState.COMPLETED)
    loaded = await store.get_search(RID)
    assert loaded is not None
    assert loaded.completed_at is not None
    assert loaded.completed_at.timestamp() == 1_000_000.0


async def test_callback_tokens_are_stored_hashed_and_resolve(
    store: SearchStore, redis: aioredis.Redis
) -> None:
    token = store.new_callback_token()
    assert len(token) >= 43  # 256 bits, URL-safe base64
    await store.create_search(record(), first_poll_at=time.time(), callback_token=token)
    assert await store.resolve_token(token) == RID
    assert await store.resolve_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert await store.resolve_token("") is None
    assert await store.resolve_token("x" * 500) is None
    assert [key async for key in redis.scan_iter(match=f"*{token}*")] == []
    assert await redis.exists(store.keys.token(token_digest(token)))
    assert store.same_request_id(RID, RID)
    assert not store.same_request_id(RID, "b" * 64)


async def test_a_finished_searchs_token_lives_only_through_the_apis_retries(
    store: SearchStore, redis: aioredis.Redis
) -> None:
    # Before: the token kept the search's TTL, valid for a week after its search was done.
    token = store.new_callback_token()
    await store.create_search(record(), first_poll_at=time.time(), callback_token=token)
    key = store.keys.token(token_digest(token))
    assert await redis.ttl(key) > 7 * 24 * 3600  # while it runs: as long as the search

    outcome, _ = await store.complete(RID, SearchState.COMPLETED, results=leads(1), polled=True)
    assert outcome is Completion.WON
    assert 0 < await redis.ttl(key) <= CALLBACK_GRACE_SECONDS <= 400
    assert CALLBACK_GRACE_SECONDS > 1 + 5 + 15 + 60 + 300  # every retry of the API fits
    assert await store.resolve_token(token) == RID  # a late retry is still recognised

    # A second completion (a duplicate callback) does not lengthen it again.
    await redis.expire(key, 5)
    outcome, _ = await store.complete(RID, SearchState.COMPLETED, results=leads(1))
    assert outcome is Completion.ALREADY_DONE
    assert await redis.ttl(key) <= 5


async def test_completing_a_search_without_a_token_touches_no_token_key(
    store: SearchStore, redis: aioredis.Redis
) -> None:
    await store.create_search(record(), first_poll_at=time.time(), callback_token=None)
    outcome, _ = await store.complete(RID, SearchState.FAILED, error="boom")
    assert outcome is Completion.WON
    assert [key async for key in redis.scan_iter(match="leads:token:*")] == []


async def test_a_search_keeps_its_first_100_leads_and_the_apis_count(
    store: SearchStore,
) -> None:
    # Before: every lead was kept, and one callback with 1,000 became 63 chat messages.
    await store.create_search(record(), first_poll_at=time.time(), callback_token=None)
    sent = leads(150)
    outcome, finished = await store.complete(
        RID, SearchState.COMPLETED, results=sent, results_count=1000
    )
    assert outcome is Completion.WON
    assert finished is not None
    assert finished.results_count == 1000  # as the API said
    assert MAX_LEADS_KEPT == 100
    assert await store.get_results(RID) == sent[:MAX_LEADS_KEPT]


async def test_reuse_claims_let_one_submitter_through(store: SearchStore) -> None:
    first, second = await asyncio.gather(store.claim_reuse("fp"), store.claim_reuse("fp"))
    winners = [claim for claim in (first, second) if claim.claim]
    assert len(winners) == 1
    loser = second if winners[0] is first else first
    assert loser.request_id is None
    assert loser.claim is None  # told to wait for the winner
    await store.finish_reuse("fp", winners[0].claim or "", RID, window=60)
    assert (await store.claim_reuse("fp")).request_id == RID


async def test_a_resumed_request_takes_over_its_own_claim_and_no_one_else_does(
    store: SearchStore,
) -> None:
    # A run of command "c1" claimed the description, then its process died.
    died = await store.claim_reuse("fp", "c1")
    assert died.claim == "claim:c1"
    # Another request with the same description waits for it, as for any claim...
    other = await store.claim_reuse("fp", "c2")
    assert (other.claim, other.request_id) == (None, None)
    # ...but the resumed run of c1 takes it over at once instead of waiting for it to lapse.
    resumed = await store.claim_reuse("fp", "c1")
    assert resumed.claim == "claim:c1"
    await store.finish_reuse("fp", resumed.claim or "", RID, window=60)
    assert (await store.claim_reuse("fp", "c1")).request_id == RID


async def test_every_key_written_has_a_ttl(store: SearchStore, redis: aioredis.Redis) -> None:
    token = store.new_callback_token()
    await store.create_search(record(), first_poll_at=time.time(), callback_token=token)
    claim = await store.claim_reuse("fingerprint")
    await store.finish_reuse("fingerprint", claim.claim or "", RID, window=3600)
    await store.set_status(RID, SearchState.SEARCHING, polled=True)
    await store.complete(RID, SearchState.COMPLETED, results=leads(2))
    other = record("c" * 64, origin=Origin(front="cli"))
    await store.create_search(
        other, first_poll_at=time.time() + 60, callback_token=None, overdue_at=time.time() + 110
    )

    keys = [key async for key in redis.scan_iter(match="leads:*")]
    assert len(keys) >= 7
    for key in keys:
        assert await redis.ttl(key) > 0, f"{key} has no TTL"


async def test_a_pending_search_record_stays_compact(
    store: SearchStore, redis: aioredis.Redis
) -> None:
    token = "t" * 43
    await store.create_search(record(), first_poll_at=time.time(), callback_token=token)
    # Short values only, so Redis keeps the hash in its compact encoding...
    encoding = await redis.object("encoding", store.keys.search(RID))
    assert encoding in ("listpack", "ziplist")
    # ...and the search's own keys stay small. (The whole cost per pending search, shared
    # sorted-set entries and a front's answer included, is measured by `make bench`.)
    own = [
        store.keys.search(RID),
        store.keys.description(RID),
        store.keys.token(token_digest(token)),
    ]
    sizes = [await redis.memory_usage(key) for key in own]
    assert all(size is not None for size in sizes)
    assert sum(size or 0 for size in sizes) <= 1024
