"""A separate OS process acting on the shared state, for multi-process tests.

    python -m tests.support.state_actor ACTION REDIS_URL API_URL [ARGS...]

Actions:
  complete RID N      wait until N actors are ready (a Redis barrier), then fetch the
                      search from the API, apply it and run every delivery once, with a
                      deliverer that counts finished deliveries in Redis
  submit DESCRIPTION  submit a search and owe a Slack answer for it, print its request
                      ID, then sleep (the test kills it mid-search)
  sweep RID SECONDS   run the bot's background worker (sweep, deliveries, requeue) until
                      RID is delivered (or time runs out); exit 0 when delivered
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from slack_sdk.web.async_client import AsyncWebClient

from bot.deliveries import Delivery, SlackRequest
from bot.delivery import Deliverer
from bot.jobs import BackgroundWorker, BotServices
from shared.runtime import ApiEndpoint, Runtime, open_runtime
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from shared.state.records import SearchRecord

ASKER = SlackRequest(team_id="T1", channel_id="C1", user_id="U1")


class CountingDeliverer(Deliverer):
    """The real runner (lock, heartbeat, recorded steps); instead of posting to Slack, it
    counts in Redis each delivery it finishes and each thread part it 'posts'."""

    async def bring_up_to_date(self, delivery: Delivery, search: SearchRecord) -> bool:
        if not search.is_terminal:
            return False
        redis = self.deliveries.redis
        for part in range(delivery.parts_posted, 2):
            await redis.incr(f"test:posted:{delivery.delivery_id}:{part}")
            await self.deliveries.record(delivery.delivery_id, parts_posted=part + 1)
        await redis.incr(f"test:delivered:{search.request_id}")
        return True


@asynccontextmanager
async def bot_services(runtime: Runtime) -> AsyncIterator[BotServices]:
    """The bot's services over ``runtime``, with a :class:`CountingDeliverer`."""
    services = BotServices.over(runtime, AsyncWebClient())
    services.deliverer = CountingDeliverer(
        services.deliveries, runtime.store, services.desk, AsyncWebClient()
    )
    await runtime.bus.subscribe(services.on_change)
    yield services


@asynccontextmanager
async def _runtime(redis_url: str, api_url: str) -> AsyncIterator[tuple[Runtime, BotServices]]:
    settings = Settings(_env_file=None)
    endpoint = ApiEndpoint(api_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True)
    async with (
        open_runtime(settings, endpoint=endpoint, redis_url=redis_url) as runtime,
        bot_services(runtime) as services,
    ):
        yield runtime, services


async def complete(redis_url: str, api_url: str, request_id: str, actors: int) -> None:
    async with _runtime(redis_url, api_url) as (runtime, services):
        redis = runtime.connections.redis
        search = await runtime.client.get_search(request_id)
        await redis.incr(f"test:ready:{request_id}")
        while int(await redis.get(f"test:ready:{request_id}") or 0) < actors:
            await asyncio.sleep(0.001)
        await runtime.service.apply(search, polled=True)
        for delivery_id in await services.deliveries.ids_of(request_id):
            await services.deliverer.run(delivery_id)


async def submit(redis_url: str, api_url: str, description: str) -> None:
    async with _runtime(redis_url, api_url) as (runtime, services):
        result = await runtime.service.submit(description, ASKER.origin, fresh=True)
        await services.deliveries.add(
            result.search.request_id, asker=ASKER, parent_ts="1.0", reused=result.reused
        )
        print(result.search.request_id, flush=True)
        await asyncio.Event().wait()  # until the test kills this process


async def sweep(redis_url: str, api_url: str, request_id: str, seconds: float) -> int:
    async with _runtime(redis_url, api_url) as (runtime, services):
        redis = runtime.connections.redis
        worker = BackgroundWorker(runtime.connections, services)
        await worker.start()
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                if await redis.get(f"test:delivered:{request_id}"):
                    return 0
                await asyncio.sleep(0.05)
            return 1
        finally:
            await worker.stop()


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
