"""A shortened chaos run, asserting its targets (``make chaos`` is the full one).

About 60 signed ``/leads`` (one every 2 s), one SIGKILL of each process, one Redis restart
of 10 s, callbacks dropped (30%), sent three times (10%) and misrouted (10%), API 500
bursts and Slack 429s: nothing lost or duplicated, no extra API search, nobody told to
retry for a Redis blip, and no unexplained error line in any process's log (the p99 target
is printed, not asserted: see ``NOT_ASSERTED_IN_CI``). On failure the message is the run's
own report: which command missed, and its trace through the logs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bench.chaos.rig import AofRedis
from bench.chaos.run import run_chaos
from bench.chaos.scenario import Scenario
from tests.support.servers import redis_server_binary

pytestmark = pytest.mark.integration

# 60 commands over 120 s, the faults in the first half: the commands of the last minute or so
# are touched by none, and measure the p99 target (a few samples would make it the maximum).
# One command every 2 s leaves the spare polls of overdue searches room in the budget (they
# stop at half of it); at 1-2 a second they yield, and a lost callback waits for the next
# scheduled poll instead: `make chaos` reports that load.
SHORT = Scenario(
    commands=60, rate=0.5, redis_down_seconds=10.0, seed=1, drain_seconds=75.0, fault_share=0.5
)


async def test_the_runs_redis_keeps_what_it_was_told_across_a_shutdown(tmp_path: Path) -> None:
    redis_server_binary()
    server = AofRedis(tmp_path / "redis")
    await asyncio.to_thread(server.start)
    try:
        client = aioredis.Redis.from_url(server.url, decode_responses=True)
        await client.set("acknowledged", "yes")
        await client.aclose()
        await asyncio.to_thread(server.stop)
        await asyncio.to_thread(server.start)  # same port, same AOF
        client = aioredis.Redis.from_url(server.url, decode_responses=True)
        assert await client.get("acknowledged") == "yes"
        await client.aclose()
    finally:
        await asyncio.to_thread(server.stop)


# Not asserted here: the p99 of untouched commands. A latency bound is a benchmark's to
# judge (`make chaos`, which exits 1 on it), not a test's on a busy 2-core CI machine, where
# a few dozen commands measure it. The run prints it.
NOT_ASSERTED_IN_CI = {"delivery p99, commands no fault touched (s)"}


@pytest.mark.slow
async def test_a_short_chaos_run_loses_duplicates_and_tells_nothing(tmp_path: Path) -> None:
    redis_server_binary()  # fails under CI (REQUIRE_REDIS), skips elsewhere, when missing
    summary = await run_chaos(SHORT, tmp_path)
    report = summary.render()
    assert len(summary.outcomes) == SHORT.commands, report
    targets = {t.name for t in summary.targets()}
    assert targets >= NOT_ASSERTED_IN_CI  # the name still means what this file says
    missed = [
        f"{t.name}: {t.value} (goal {t.goal})"
        for t in summary.targets()
        if not t.met and t.name not in NOT_ASSERTED_IN_CI
    ]
    assert missed == [], report
    print(report)  # the p99 too, for whoever reads the CI log
