"""Heartbeat against a real redis-server: it stops when its work does, even if asked twice."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from shared.state.lease import Heartbeat


async def test_the_heartbeat_stops_even_when_a_cancellation_is_lost_inside_a_beat(
    redis: aioredis.Redis,
) -> None:
    # A cancellation that lands in a Redis call can be lost (Python 3.11's timeouts turn
    # one into a TimeoutError, which the retry policy retries). Here the beat's own call
    # swallows it: the heartbeat must still stop, and with it the lock's renewals; once
    # it kept a finished delivery's lock for good.
    lock = redis.lock("lease-test", timeout=3, blocking=False)
    assert await lock.acquire()
    beating = asyncio.Event()
    swallowed = 0

    async def keep_open() -> None:
        nonlocal swallowed
        if beating.is_set():
            return
        beating.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            swallowed += 1  # lost, as inside the library call

    work = asyncio.create_task(beating.wait())
    heartbeat = Heartbeat(lock, 3, keep_open, work, {"what": "test"})  # a beat a second

    async def run() -> None:
        async with heartbeat:
            await work

    running = asyncio.create_task(run())
    await asyncio.wait({running}, timeout=15)
    stopped = running.done()
    running.cancel()  # the old heartbeat waited on for good: don't leave it behind
    assert stopped
    assert swallowed == 1
    assert not heartbeat.lost
    assert await lock.owned()
