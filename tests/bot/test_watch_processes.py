"""Two real ``python -m bot.worker`` processes on one Redis run a watch on a scaled clock
(``LEADS_WATCH_TIME_SCALE``: an hour lasts 3.6 s): each slot runs once, one search each."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio as aioredis

from sandbox.embedded import RunningSandbox
from shared._awaitable import settle
from shared.state.records import Origin
from shared.watch.schedule import WatchClock
from shared.watch.store import WatchStore
from tests.bot.support import (
    DESCRIPTION,
    BotProcess,
    bot_processes,
    new_port,
    searches_made,
    subprocess_env,
)
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCALE = "0.001"


async def runs(redis: aioredis.Redis, watch_id: str) -> dict[str, dict[str, str]]:
    """Every run of the watch: its record, by run ID."""
    found = {}
    async for key in redis.scan_iter(match=f"leads:watchrun:{watch_id}:*"):
        found[key.rpartition(":watchrun:")[2]] = await settle(redis.hgetall(key))
    return found


async def test_two_worker_processes_run_each_scaled_slot_once(
    sandbox: RunningSandbox, redis_url: str, redis: aioredis.Redis, tmp_path: Path
) -> None:
    store = WatchStore(redis, clock=WatchClock(scale=float(SCALE)))
    watch = await store.create(DESCRIPTION, "hourly", Origin(front="mcp"))
    workers = [
        BotProcess(
            subprocess_env(sandbox, redis_url, new_port(), LEADS_WATCH_TIME_SCALE=SCALE),
            tmp_path / f"worker{n}.log",
            module="bot.worker",
        )
        for n in (1, 2)
    ]
    async with bot_processes(*workers):
        for worker in workers:
            await worker.wait_log("Leads worker running")

        async def three_done() -> bool:
            done = [r for r in (await runs(redis, watch.watch_id)).values() if r.get("done")]
            return len(done) >= 3

        await wait_until(three_done, timeout=60, interval=0.2, message="three runs")
        # No more slots, and the runs already started finish: then the searches made and
        # the runs recorded are counted at the same point (a fourth run may be under way).
        await store.pause(watch.watch_id)

        async def all_done() -> bool:
            return all(r.get("done") for r in (await runs(redis, watch.watch_id)).values())

        await wait_until(all_done, timeout=60, interval=0.2, message="the runs under way")
        found = await runs(redis, watch.watch_id)
    slots = sorted(int(run_id.partition(":")[2]) for run_id in found)
    assert slots == list(range(slots[0], slots[0] + len(slots)))  # consecutive, none twice
    submitted = [r["request_id"] for r in found.values() if r.get("request_id")]
    assert len(set(submitted)) == len(submitted)
    assert await searches_made(sandbox) == len(submitted)  # one search per slot, no more
    for worker in workers:
        assert "Traceback" not in worker.log()
