"""The shared rate limiter against a real redis-server, across real OS processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from shared.errors import RateLimitError
from shared.state.limiter import RateLimiter, RateWindow

ROOT = Path(__file__).resolve().parents[3]


def most_in_any_window(times: list[float], window: float) -> int:
    """The largest number of grants inside any window of ``window`` seconds."""
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_grants_never_exceed_the_window(redis: aioredis.Redis) -> None:
    limiter = RateLimiter(redis, "leads:ratelimit:{t}", windows=[RateWindow(5, 0.5)], margin=0)
    granted = [await limiter.acquire("submit") for _ in range(12)]
    assert most_in_any_window(granted, 0.5) <= 5
    assert granted[-1] - granted[0] >= 1.0  # 12 grants at 5 per 0.5 s need two full waits


async def test_both_windows_count_at_once(redis: aioredis.Redis) -> None:
    limiter = RateLimiter(
        redis, "leads:ratelimit:{t}", windows=[RateWindow(3, 60), RateWindow(4, 3600)], margin=0
    )
    began = time.monotonic()
    assert [await limiter.try_acquire("submit") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = await limiter.try_acquire("submit")
    # The minute window is full: free when the first request leaves it, however long
    # a busy machine took to make the four.
    assert 60 - (time.monotonic() - began) - 0.05 <= wait <= 60
    assert (await limiter.usage()) == {"60s": 3, "3600s": 3}  # the refusal counted nothing


async def test_submissions_overtake_polls(redis: aioredis.Redis) -> None:
    limiter = RateLimiter(
        redis, "leads:ratelimit:{t}", windows=[RateWindow(10, 60)], margin=0, poll_reserve=0.3
    )
    for _ in range(7):
        assert await limiter.try_acquire("poll") == 0
    assert await limiter.try_acquire("poll") > 0  # polls leave the last 3 slots alone
    for _ in range(3):
        assert await limiter.try_acquire("submit") == 0  # a person's search still goes
    assert await limiter.try_acquire("submit") > 0


async def test_spare_polls_only_use_the_idle_half_of_every_window(
    redis: aioredis.Redis,
) -> None:
    limiter = RateLimiter(
        redis, "leads:ratelimit:{t}", windows=[RateWindow(10, 60), RateWindow(16, 3600)], margin=0
    )
    for _ in range(5):
        assert await limiter.try_acquire("spare") == 0
    wait = await limiter.try_acquire("spare")
    assert 59 < wait <= 60  # half the minute is used: spare polls stop, nothing counted
    assert await limiter.usage() == {"60s": 5, "3600s": 5}
    for _ in range(3):
        assert await limiter.try_acquire("poll") == 0  # scheduled polls still go (to 8)
    assert await limiter.try_acquire("submit") == 0  # and a person's search, to the end
    assert await limiter.try_acquire("submit") == 0
    assert await limiter.try_acquire("spare") > 0


async def test_the_hour_window_stops_spare_polls_too(redis: aioredis.Redis) -> None:
    limiter = RateLimiter(
        redis, "leads:ratelimit:{t}", windows=[RateWindow(60, 60), RateWindow(6, 3600)], margin=0
    )
    for _ in range(3):
        assert await limiter.try_acquire("spare") == 0
    assert 3590 < await limiter.try_acquire("spare") <= 3600  # half the hour: not idle


async def test_a_waiting_submission_means_no_spare_polls(redis: aioredis.Redis) -> None:
    limiter = RateLimiter(redis, "leads:ratelimit:{t}", windows=[RateWindow(4, 0.5)], margin=0)
    for _ in range(4):
        await limiter.acquire("submit")
    heard = asyncio.Event()

    async def on_wait(seconds: float) -> None:
        heard.set()

    waiting = asyncio.create_task(limiter.acquire("submit", on_wait=on_wait))
    await heard.wait()  # a submission is waiting for the window to slide
    assert await limiter.try_acquire("spare") > 0
    await waiting


async def test_spare_polls_never_wait_for_the_budget(redis: aioredis.Redis) -> None:
    limiter = RateLimiter(redis, "leads:ratelimit:{t}", windows=[RateWindow(2, 60)], margin=0)
    await limiter.acquire("spare")
    with pytest.raises(RateLimitError, match=r"retry in 60 s") as refused:
        await limiter.acquire("spare")  # at once: a spare poll is never worth waiting for
    assert refused.value.retry_after == 60
    assert await limiter.usage() == {"60s": 1}


async def test_a_window_too_small_for_headroom_gets_no_spare_polls(
    redis: aioredis.Redis,
) -> None:
    limiter = RateLimiter(redis, "leads:ratelimit:{t}", windows=[RateWindow(1, 60)], margin=0)
    assert await limiter.try_acquire("spare") == 60  # its one slot is kept for a submission
    assert await limiter.usage() == {"60s": 0}
    assert await limiter.try_acquire("submit") == 0


@pytest.mark.parametrize("headroom", [0.0, 1.0, -0.5])
def test_spare_headroom_is_a_share_of_the_window(redis: aioredis.Redis, headroom: float) -> None:
    with pytest.raises(ValueError, match="spare_headroom is a share of each window"):
        RateLimiter(redis, "leads:ratelimit:{t}", spare_headroom=headroom)


async def test_watch_runs_leave_room_for_polls_and_people(redis: aioredis.Redis) -> None:
    limiter = RateLimiter(
        redis,
        "leads:ratelimit:{t}",
        windows=[RateWindow(10, 60)],
        margin=0,
        poll_reserve=0.2,
        watch_reserve=0.4,
    )
    for _ in range(6):
        assert await limiter.try_acquire("watch") == 0
    assert await limiter.try_acquire("watch") > 0  # watches stop at 6 of 10
    for _ in range(2):
        assert await limiter.try_acquire("poll") == 0  # polls still get theirs, up to 8
    assert await limiter.try_acquire("poll") > 0
    for _ in range(2):
        assert await limiter.try_acquire("submit") == 0  # and a person's search the rest
    assert await limiter.try_acquire("watch") > 0


async def test_a_wait_past_the_bound_raises_with_retry_after(redis: aioredis.Redis) -> None:
    limiter = RateLimiter(
        redis,
        "leads:ratelimit:{t}",
        windows=[RateWindow(2, 60)],
        margin=0,
        max_wait={"submit": 1.0},
    )
    await limiter.acquire("submit")
    await limiter.acquire("submit")
    with pytest.raises(RateLimitError, match=r"retry in 60 s") as caught:
        await limiter.acquire("submit")
    assert caught.value.retry_after == 60


async def test_waits_are_announced_to_the_caller_before_they_start(
    redis: aioredis.Redis,
) -> None:
    # A 1 s window: the second request comes within it even after a stall of the machine.
    limiter = RateLimiter(redis, "leads:ratelimit:{t}", windows=[RateWindow(1, 1.0)], margin=0)
    heard: list[float] = []

    async def on_wait(seconds: float) -> None:
        heard.append(seconds)

    await limiter.acquire("submit", on_wait=on_wait)
    assert heard == []  # no wait, nothing to announce
    await limiter.acquire("submit", on_wait=on_wait)
    assert heard
    assert 0 < heard[0] <= 1.0
    await limiter.acquire("submit")  # another caller's waits are its own business
    assert len(heard) == 1


def test_max_wait_is_fixed_when_the_limiter_is_built(redis: aioredis.Redis) -> None:
    limiter = RateLimiter(redis, "leads:ratelimit:{t}", max_wait={"submit": 10.0})
    assert dict(limiter.max_wait) == {"submit": 10.0, "queued": 5.0, "poll": 60.0, "watch": 30.0}
    with pytest.raises(TypeError):
        limiter.max_wait["submit"] = 1.0  # type: ignore[index]


def spawn(
    url: str, key: str, kind: str, count: int, limit: int, window: float
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.limiter_hammer",
            url,
            key,
            kind,
            str(count),
            str(limit),
            str(window),
        ],
        cwd=ROOT,
    )


@pytest.mark.slow
async def test_several_processes_never_exceed_the_budget_together(
    redis: aioredis.Redis, redis_url: str
) -> None:
    key = "leads:ratelimit:{multi}"
    processes = [spawn(redis_url, key, "poll", 8, 6, 0.5) for _ in range(4)]
    await asyncio.to_thread(lambda: [p.wait(timeout=60) for p in processes])
    assert [p.returncode for p in processes] == [0, 0, 0, 0]
    lines: list[str] = await redis.lrange(f"{key}:granted", 0, -1)  # type: ignore[misc]
    granted = [float(line.split()[0]) for line in lines]
    assert len(granted) == 32
    # Polls may use 6 - floor(6 * 0.2) = 5 slots a window; all processes together too.
    assert most_in_any_window(granted, 0.5) <= 5


@pytest.mark.slow
async def test_a_submission_gets_through_while_processes_flood_polls(
    redis: aioredis.Redis, redis_url: str
) -> None:
    key = "leads:ratelimit:{flood}"
    floods = [spawn(redis_url, key, "poll", 20, 10, 0.5) for _ in range(3)]
    limiter = RateLimiter(redis, key, windows=[RateWindow(10, 0.5)], margin=0)
    try:
        # Wait until the pollers have filled their share of the window.
        async def polls_blocked() -> bool:
            return await limiter.try_acquire("poll") > 0

        from tests.support.waiting import wait_until

        await wait_until(polls_blocked, timeout=20, message="pollers to saturate the window")
        for _ in range(2):
            assert await limiter.try_acquire("submit") == 0
    finally:
        await asyncio.to_thread(lambda: [p.wait(timeout=60) for p in floods])


async def test_queued_searches_use_the_whole_window_but_never_go_before_a_waiting_person(
    redis: aioredis.Redis,
) -> None:
    limiter = RateLimiter(redis, "leads:ratelimit:{t}", windows=[RateWindow(4, 60)], margin=0)
    for _ in range(4):
        assert await limiter.try_acquire("queued") == 0  # no reserve: every slot
    assert await limiter.try_acquire("queued") > 0
    # A person's search now waits for a slot, and says so for as long as it waits...
    assert 59 < await limiter.try_acquire("submit") <= 60
    assert 59 < await redis.pttl(limiter.waiting_key) / 1000 <= 61
    # ...so when a slot frees, a queued search holds back and the person's goes first.
    await redis.zremrangebyrank(limiter.key, 0, 0)
    assert await limiter.try_acquire("queued") > 0
    assert await limiter.usage() == {"60s": 3}
    assert await limiter.try_acquire("submit") == 0
    await redis.delete(limiter.waiting_key)  # it went: the queue's turn again
    await redis.zremrangebyrank(limiter.key, 0, 0)
    assert await limiter.try_acquire("queued") == 0


async def test_a_queued_search_goes_before_polls_and_watches(redis: aioredis.Redis) -> None:
    limiter = RateLimiter(
        redis, "leads:ratelimit:{t}", windows=[RateWindow(10, 60)], margin=0, poll_reserve=0.3
    )
    for _ in range(7):
        assert await limiter.try_acquire("poll") == 0
    assert await limiter.try_acquire("poll") > 0
    assert await limiter.try_acquire("watch") > 0
    for _ in range(3):
        assert await limiter.try_acquire("queued") == 0


async def test_the_expected_wait_of_a_queue_follows_both_windows(redis: aioredis.Redis) -> None:
    limiter = RateLimiter(
        redis, "leads:ratelimit:{t}", windows=[RateWindow(2, 10), RateWindow(5, 100)], margin=0
    )
    assert await limiter.expected_wait(ahead=0) == 0  # a free slot now
    assert await limiter.expected_wait(ahead=1) == 0
    began = time.time()
    await limiter.acquire("submit")
    await limiter.acquire("submit")
    # The minute window is full: the next goes when the first request leaves it (~10 s);
    # the one after that too (the second leaves), the third a window later still.
    first = await limiter.expected_wait(ahead=0)
    assert 10 - (time.time() - began) - 0.05 <= first <= 10
    assert first - 0.5 <= await limiter.expected_wait(ahead=1) <= 10  # (time goes on)
    assert 19 < await limiter.expected_wait(ahead=2) <= 20
    # The hour window allows 3 more: the 4th one waits for the first to leave the hour.
    assert 99 < await limiter.expected_wait(ahead=3) <= 100
