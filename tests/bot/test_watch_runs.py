"""Watch runs across workers and crashes: two arq workers on one real Redis, the sandbox
API, the Slack stand-in, and a clock the test moves (``WatchClock(now=…)``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery import Deliverer
from bot.jobs import BackgroundWorker, BotServices
from bot.watching import Watching
from sandbox.embedded import RunningSandbox
from sandbox.slack import DEFAULT_TOKEN
from shared._awaitable import settle
from shared.runtime import ApiEndpoint, Runtime, open_runtime
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET
from shared.state.records import Origin
from shared.watch.runner import RunOutcome
from shared.watch.schedule import WatchClock
from shared.watch.store import WatchStore
from tests.bot.support import (
    CHANNEL,
    DESCRIPTION,
    FAST_POLLS,
    USER,
    bot_settings,
    message_text,
    searches_made,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


class ManualClock:
    """Unix time as the test sets it."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def worker(
    sandbox: RunningSandbox, redis_url: str, clock: ManualClock
) -> AsyncIterator[Runtime]:
    """One bot worker (its own runtime, arq worker, cron passes) on the shared Redis."""
    settings = bot_settings(sandbox, redis_url)
    endpoint = ApiEndpoint(sandbox.base_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True)
    async with open_runtime(
        settings, endpoint=endpoint, redis_url=redis_url, schedule=FAST_POLLS
    ) as runtime:
        runtime.watches = WatchStore(runtime.connections.redis, clock=WatchClock(now=clock))
        slack = AsyncWebClient(token=DEFAULT_TOKEN, base_url=sandbox.slack_api_url)
        services = BotServices.over(runtime, slack)
        await runtime.bus.subscribe(services.on_change)
        background = BackgroundWorker(runtime.connections, services)
        await background.start()
        try:
            yield runtime
        finally:
            await background.stop()


async def runs_done(runtime: Runtime, watch_id: str) -> list[str]:
    """The IDs of the watch's finished runs."""
    redis = runtime.connections.redis
    done = []
    async for key in redis.scan_iter(match=f"leads:watchrun:{watch_id}:*"):
        if await settle(redis.hget(key, "done")) == "1":
            done.append(key.rpartition(":watchrun:")[2])
    return sorted(done)


async def test_two_workers_run_each_slot_once_and_a_missed_slot_once_on_recovery(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    clock = ManualClock(1_800_000_000.0)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(worker(sandbox, redis_url, clock))
        await stack.enter_async_context(worker(sandbox, redis_url, clock))
        watch = await first.watches.create(DESCRIPTION, "hourly", Origin(front="mcp"))
        assert watch.next_at is not None
        clock.now = watch.next_at + 1  # the slot falls due: both workers' passes see it
        await wait_until(
            lambda: _count(first, watch.watch_id, 1), timeout=30, message="the first run"
        )
        slot = WatchClock().slot_of(watch.watch_id, "hourly", watch.next_at)
        assert await runs_done(first, watch.watch_id) == [f"{watch.watch_id}:{slot}"]
    # Everything was down for five hours and a half: five slots missed.
    clock.now += 5.5 * 3600
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(worker(sandbox, redis_url, clock))
        await stack.enter_async_context(worker(sandbox, redis_url, clock))
        await wait_until(
            lambda: _count(first, watch.watch_id, 2), timeout=30, message="the recovery run"
        )
        # Nothing else is left to run: no open run, and the next slot is ahead of now.
        redis = first.connections.redis
        assert await redis.zcard("leads:watches:open") == 0
        assert len(await runs_done(first, watch.watch_id)) == 2
        assert await searches_made(sandbox) == 2  # one search per run, no more
        after = await first.watches.get(watch.watch_id)
        assert after is not None
        assert after.next_at is not None
        assert clock.now < after.next_at <= clock.now + 3600


async def _count(runtime: Runtime, watch_id: str, expected: int) -> bool:
    return len(await runs_done(runtime, watch_id)) >= expected


class CrashingSlack(AsyncWebClient):
    """The Slack client of a process that dies after its ``survive``-th post — before the
    next post reaches Slack, or (``taken``) once Slack has taken it, before its answer."""

    def __init__(self, survive: int, *, taken: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.survive = survive
        self.taken = taken

    async def chat_postMessage(self, **kwargs: Any) -> Any:
        if self.survive == 0:
            if self.taken:
                await super().chat_postMessage(**kwargs)
            raise ConnectionError("the process died here")
        self.survive -= 1
        return await super().chat_postMessage(**kwargs)


@asynccontextmanager
async def one_run(sandbox: RunningSandbox, redis_url: str) -> AsyncIterator[tuple[Runtime, str]]:
    """A runtime and the ID of one run claimed of a new daily watch of #leads."""
    settings = bot_settings(sandbox, redis_url)
    endpoint = ApiEndpoint(sandbox.base_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True)
    async with open_runtime(settings, endpoint=endpoint, redis_url=redis_url) as runtime:
        team = sandbox.slack.team_id
        origin = Origin(front="slack", team_id=team, channel_id=CHANNEL, user_id=USER)
        watch = await runtime.watches.create(DESCRIPTION, "daily", origin)
        await runtime.watches.run_now(watch.watch_id)
        [run_id] = await runtime.watches.claim_due(limit=10, recheck=30)
        yield runtime, run_id


def watching(runtime: Runtime, slack: AsyncWebClient) -> Watching:
    """A process's watch runs, posting with ``slack``."""
    services = BotServices.over(runtime, slack)
    deliverer = Deliverer(services.deliveries, runtime.store, services.desk, slack)
    return Watching.build(runtime.watches, runtime.service, deliverer, slack)


def slack_of(sandbox: RunningSandbox) -> AsyncWebClient:
    """A healthy process's Slack client."""
    return AsyncWebClient(token=DEFAULT_TOKEN, base_url=sandbox.slack_api_url)


async def test_a_crash_mid_run_then_recovery_posts_nothing_twice(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    async with one_run(sandbox, redis_url) as (runtime, run_id):
        # The first process posts the parent and one thread reply, then dies.
        crashing = CrashingSlack(2, token=DEFAULT_TOKEN, base_url=sandbox.slack_api_url)
        doomed = watching(runtime, crashing)
        await _finish_search(runtime, doomed, run_id)
        with pytest.raises(ConnectionError):
            await doomed.runner.run(run_id, doomed.delivery)
        assert len(sandbox.slack.history(CHANNEL)) == 1
        # Its lock would lapse with it; here it was released on the way out. Recovery:
        healthy = watching(runtime, slack_of(sandbox))
        assert await healthy.runner.run(run_id, healthy.delivery) is RunOutcome.DONE
        assert await healthy.runner.run(run_id, healthy.delivery) is RunOutcome.GONE
        [parent] = sandbox.slack.history(CHANNEL)
        replies = sandbox.slack.thread(CHANNEL, parent.ts)[1:]
        headings = [reply.text.split("· ")[-1] for reply in replies]
        assert len(headings) == len(set(headings))  # each reply once
        leads = await runtime.service.results(
            (await runtime.watches.progress(run_id))["request_id"]
        )
        posted = "\n".join(message_text(reply) for reply in replies)
        for lead in leads:
            assert posted.count(lead.author.profile_url or "") >= 1
        assert f"{len(leads)} new people · 0 seen before" in message_text(parent)
        assert await searches_made(sandbox) == 1


async def test_a_crash_as_slack_takes_the_runs_parent_posts_it_once(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    # The process dies after Slack took the run's parent, before its ts was recorded: the
    # next run finds it in the channel's history (by the run's ID in its metadata).
    async with one_run(sandbox, redis_url) as (runtime, run_id):
        crashing = CrashingSlack(0, taken=True, token=DEFAULT_TOKEN, base_url=sandbox.slack_api_url)
        doomed = watching(runtime, crashing)
        await _finish_search(runtime, doomed, run_id)
        with pytest.raises(ConnectionError):
            await doomed.runner.run(run_id, doomed.delivery)
        [up] = sandbox.slack.history(CHANNEL)
        assert "parent_ts" not in await runtime.watches.progress(run_id)
        healthy = watching(runtime, slack_of(sandbox))
        assert await healthy.runner.run(run_id, healthy.delivery) is RunOutcome.DONE
        [parent] = sandbox.slack.history(CHANNEL)
        assert parent.ts == up.ts
        assert "new people · 0 seen before" in message_text(parent)
        assert sandbox.slack.thread(CHANNEL, parent.ts)[1:]  # the cards, under that parent
        assert await searches_made(sandbox) == 1


async def _finish_search(runtime: Runtime, process: Watching, run_id: str) -> None:
    """Submit the run's search and wait for it to finish (the sweep's part, done here)."""
    assert await process.runner.run(run_id, process.delivery) is RunOutcome.WAITING
    request_id = (await runtime.watches.progress(run_id))["request_id"]
    await runtime.service.wait(request_id, timeout=15)
