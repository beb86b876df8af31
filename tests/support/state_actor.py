"""A separate OS process acting on the shared state, for multi-process tests.

    python -m tests.support.state_actor ACTION REDIS_URL API_URL [ARGS...]

Actions:
  complete RID N      wait until N actors are ready (a Redis barrier), then fetch the
                      search from the API, apply it and run every delivery once, with a
                      deliverer that counts finished deliveries in Redis
  submit DESCRIPTION  submit a Slack-origin search, print its request ID, then sleep
                      (the test kills it mid-search)
  sweep RID SECONDS   run the sweep and a delivery worker until RID is delivered (or time
                      runs out); exit 0 when delivered
"""

from __future__ import annotations

import asyncio
import sys
import time
from contextlib import AbstractAsyncContextManager

import redis.asyncio as aioredis

from shared.delivery import DeliveryProgress, DeliveryRunner
from shared.jobs import running_worker
from shared.runtime import ApiEndpoint, Runtime, open_runtime
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from shared.state.records import Delivery, SearchRecord, SlackOrigin
from shared.sweep import Sweeper


class CountingDeliverer:
    """Counts, in Redis, each delivery it finishes (and each thread part it 'posts')."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def deliver(
        self, delivery: Delivery, search: SearchRecord, progress: DeliveryProgress
    ) -> bool:
        if not search.is_terminal:
            return False
        for part in range(progress.parts_posted, 2):
            await self.redis.incr(f"test:posted:{delivery.delivery_id}:{part}")
            await progress.part_posted(part + 1)
        await self.redis.incr(f"test:delivered:{search.request_id}")
        return True


def _runtime(redis_url: str, api_url: str) -> AbstractAsyncContextManager[Runtime]:
    settings = Settings(_env_file=None)
    endpoint = ApiEndpoint(api_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True)
    return open_runtime(settings, endpoint, redis_url=redis_url)


async def complete(redis_url: str, api_url: str, request_id: str, actors: int) -> None:
    async with _runtime(redis_url, api_url) as runtime:
        redis = runtime.connections.redis
        search = await runtime.client.get_search(request_id)
        await redis.incr(f"test:ready:{request_id}")
        while int(await redis.get(f"test:ready:{request_id}") or 0) < actors:
            await asyncio.sleep(0.001)
        await runtime.service.apply(search, polled=True)
        runner = DeliveryRunner(runtime.store, CountingDeliverer(redis))
        for delivery_id in await runtime.store.deliveries_of(request_id):
            await runner.run(delivery_id)


async def submit(redis_url: str, api_url: str, description: str) -> None:
    async with _runtime(redis_url, api_url) as runtime:
        origin = SlackOrigin(team_id="T1", channel_id="C1", user_id="U1", parent_ts="1.0")
        result = await runtime.service.submit(description, origin, fresh=True)
        print(result.search.request_id, flush=True)
        await asyncio.Event().wait()  # until the test kills this process


async def sweep(redis_url: str, api_url: str, request_id: str, seconds: float) -> int:
    async with _runtime(redis_url, api_url) as runtime:
        redis = runtime.connections.redis
        runner = DeliveryRunner(runtime.store, CountingDeliverer(redis))
        sweeper = Sweeper(runtime.service)
        async with running_worker(runtime.connections, runner=runner, sweeper=sweeper):
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                if await redis.get(f"test:delivered:{request_id}"):
                    return 0
                await asyncio.sleep(0.05)
            return 1


def main(argv: list[str]) -> int:
    action, redis_url, api_url, *rest = argv
    if action == "complete":
        asyncio.run(complete(redis_url, api_url, rest[0], int(rest[1])))
    elif action == "submit":
        asyncio.run(submit(redis_url, api_url, rest[0]))
    elif action == "sweep":
        return asyncio.run(sweep(redis_url, api_url, rest[0], float(rest[1])))
    else:
        raise SystemExit(f"unknown action {action}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
