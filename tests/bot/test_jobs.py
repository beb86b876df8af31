"""The bot's arq worker: only JSON jobs run (a planted pickle is dropped), and a stopped
worker leaves no job exception unretrieved."""

from __future__ import annotations

import asyncio
import logging
import pickle
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from arq import Retry
from arq.worker import Worker
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.jobs import BackgroundWorker, _settle_jobs
from sandbox.embedded import RunningSandbox
from shared.runtime import ApiEndpoint, open_runtime
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from tests.support.state_actor import bot_services
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


class _Planted:
    """Unpickling this touches ``marker``: what an attacker's payload would run instead."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


async def test_a_pickled_job_planted_in_redis_is_dropped_not_run(
    sandbox: RunningSandbox, redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"t": 1, "f": "deliver", "a": (_Planted(marker),), "k": {}, "et": 0})
    endpoint = ApiEndpoint(sandbox.base_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True)
    caplog.set_level(logging.ERROR, logger="arq.worker")
    async with (
        open_runtime(Settings(_env_file=None), endpoint=endpoint, redis_url=redis_url) as runtime,
        bot_services(runtime) as services,
    ):
        redis = runtime.connections.redis
        job_key = "arq:job:deliver:planted:1"
        await redis.set(job_key, payload)
        await redis.zadd(services.queue_name, {"deliver:planted:1": time.time() * 1000})
        worker = BackgroundWorker(runtime.connections, services)
        await worker.start()
        try:

            async def dropped() -> bool:
                queued = await redis.zscore(services.queue_name, "deliver:planted:1")
                return queued is None and not await redis.exists(job_key)

            await wait_until(dropped, message="the worker to drop the planted job")
            # The worker lives on: its sweep still runs (it keeps a TTL on the queue).
            await redis.persist(services.queue_name)
            await wait_until(
                lambda: _has_ttl(redis, services.queue_name), message="a sweep after the drop"
            )
            assert worker.running
        finally:
            await worker.stop()
    assert not marker.exists()
    assert "deserializing job deliver:planted:1 failed" in caplog.text


async def _has_ttl(redis: Any, key: str) -> bool:
    return bool(await redis.ttl(key) > 0)


async def test_a_stopped_workers_failed_jobs_are_all_retrieved(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # arq's close() stops gathering at the first job runner that raises; the rest would be
    # logged by asyncio at exit as "Task exception was never retrieved".
    async def fails(error: BaseException) -> None:
        raise error

    async def runs() -> None:
        await asyncio.Event().wait()

    runners = {"a": asyncio.create_task(fails(RedisConnectionError("gone")))}
    jobs = {"b": asyncio.create_task(fails(Retry(defer=2))), "c": asyncio.create_task(runs())}
    await asyncio.sleep(0)  # let them start (and fail)
    await _settle_jobs(cast(Worker, SimpleNamespace(tasks=runners, job_tasks=jobs)))
    for task in [*runners.values(), *jobs.values()]:
        assert task.done()
        assert not task._log_traceback  # retrieved: asyncio would not log it at exit
    assert "1 job(s) ended with the worker: ConnectionError" in caplog.text
