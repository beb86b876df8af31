"""Background work on arq, a Redis job queue: deliveries and the sweep.

Why arq: it is asyncio-native (our whole stack is), keeps its queue in the Redis we
already run, gives per-job IDs (a delivery revision is queued at most once however many
processes ask), retries with deferral, job time-outs, and cron jobs that run once per tick
across any number of workers (``unique``). RQ and Celery are sync-first; Dramatiq and
Taskiq would add a broker layer we don't need.

Any process may queue a delivery; processes that can deliver (the bot, ``worker``) run
an arq :class:`~arq.worker.Worker` in-process under a :class:`BackgroundWorker`, which
restarts it after a Redis outage: arq's worker loop ends at the first Redis error, and a
process that lost its worker during a blip would silently stop delivering.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import arq.worker
from arq import Retry, cron
from arq.connections import ArqRedis
from arq.worker import Worker, func

from shared.delivery import DeliveryOutcome, DeliveryRunner
from shared.state.connection import RedisConnections
from shared.state.keys import Keys
from shared.sweep import Sweeper

__all__ = [
    "QUEUE_NAME",
    "ArqDeliveryQueue",
    "BackgroundWorker",
    "build_worker",
    "running_worker",
]

log = logging.getLogger(__name__)

QUEUE_NAME = Keys().jobs
"""The job queue of the default key prefix (``leads:jobs``)."""
QUEUE_TTL = 24 * 3600


class ArqDeliveryQueue:
    """Queues delivery jobs; one job per (delivery, revision) however often asked."""

    def __init__(self, arq_redis: ArqRedis, *, queue_name: str = QUEUE_NAME) -> None:
        self._arq = arq_redis
        self._queue_name = queue_name

    async def enqueue_delivery(self, delivery_id: str, revision: str) -> None:
        """Queue ``deliver(delivery_id)`` under a job ID naming the revision."""
        await self._arq.enqueue_job(
            "deliver",
            delivery_id,
            _job_id=f"deliver:{delivery_id}:{revision}",
            _queue_name=self._queue_name,
        )


async def deliver(ctx: dict[str, Any], delivery_id: str) -> str:
    """arq job: bring one delivery up to date."""
    runner: DeliveryRunner = ctx["delivery_runner"]
    try:
        outcome = await runner.run(delivery_id)
    except Exception as err:
        tries = int(ctx.get("job_try", 1))
        log.exception("delivery failed (try %d)", tries, extra={"delivery_id": delivery_id})
        raise Retry(defer=min(2.0**tries, 60.0)) from err
    if outcome is DeliveryOutcome.BUSY:
        # Another run holds the delivery (up to a slow Slack call): back off, 0.2 s to 15 s.
        tries = int(ctx.get("job_try", 1))
        raise Retry(defer=min(0.2 * 2 ** (tries - 1), 15.0))
    return str(outcome.value)


async def sweep(ctx: dict[str, Any]) -> None:
    """arq cron job: one sweep pass."""
    sweeper: Sweeper = ctx["sweeper"]
    # arq's queue is a sorted set with no TTL of its own; keep one on it so that, should
    # every worker vanish for good, it does not linger forever. Any live worker renews it.
    await ctx["redis"].expire(ctx["queue_name"], QUEUE_TTL)
    report = await sweeper.run_once()
    if report.polled or report.deliveries_requeued:
        log.debug("sweep: %s", report)


async def _skip_redis_info(*_args: object, **_kwargs: object) -> None:
    """The in-process store has no INFO command; arq only logs its output at start."""


def build_worker(
    arq_redis: ArqRedis,
    *,
    runner: DeliveryRunner | None,
    sweeper: Sweeper | None,
    embedded: bool = False,
    poll_delay: float = 0.05,
    queue_name: str = QUEUE_NAME,
) -> Worker:
    """An arq worker running deliveries (with ``runner``) and the sweep (with ``sweeper``).

    The worker closes ``arq_redis`` when it stops: give it a client of its own
    (``RedisConnections.new_arq()``). :class:`BackgroundWorker` does all of that.
    """
    if embedded:
        arq.worker.log_redis_info = _skip_redis_info  # type: ignore[attr-defined]
    functions = [func(deliver, name="deliver", max_tries=20, timeout=300)] if runner else []
    cron_jobs = (
        # Named after the queue: arq's cron job IDs are global, and two prefixes sharing one
        # Redis must not skip each other's sweeps.
        [cron(sweep, name=f"sweep:{queue_name}", second=set(range(60)), unique=True, timeout=55)]
        if sweeper
        else []
    )
    context: dict[str, Any] = {
        "delivery_runner": runner,
        "sweeper": sweeper,
        "queue_name": queue_name,
    }

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx.update(context)

    return Worker(
        functions=functions,
        cron_jobs=cron_jobs,
        redis_pool=arq_redis,
        queue_name=queue_name,
        on_startup=on_startup,
        handle_signals=False,
        poll_delay=poll_delay,
        max_jobs=20,
        keep_result=0,
        job_timeout=300,
        health_check_interval=60,
        log_results=False,
    )


# The supervisor's pacing: restart after a failure, backing off while Redis stays away.
_FIRST_DELAY = 1.0
_MAX_DELAY = 30.0
# A worker that ran this long before failing was healthy: restart it at the first delay.
_HEALTHY_RUN = 60.0
_STOP_PATIENCE = 1.0


class BackgroundWorker:
    """Runs deliveries (``runner``) and/or the sweep (``sweeper``) in this process."""

    def __init__(
        self,
        connections: RedisConnections,
        *,
        runner: DeliveryRunner | None,
        sweeper: Sweeper | None,
        poll_delay: float = 0.05,
        queue_name: str = QUEUE_NAME,
    ) -> None:
        self.connections = connections
        self.runner = runner
        self.sweeper = sweeper
        self.poll_delay = poll_delay
        self.queue_name = queue_name
        self.running = False
        """True while an arq worker is up (False while it waits to restart)."""
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start in the background (returns at once)."""
        self._task = asyncio.create_task(self._supervise(), name="leads-background-worker")

    async def stop(self) -> None:
        """Stop the worker; jobs in flight are cancelled (their progress is recorded)."""
        task, self._task = self._task, None
        if task is None:
            return
        # Cancelled while it starts up, arq's worker can swallow the cancellation (seen with
        # arq 0.28 / redis-py 5.3, when cancelled within milliseconds of starting): ask again.
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=_STOP_PATIENCE)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _supervise(self) -> None:
        delay = _FIRST_DELAY
        while True:
            arq_redis = self.connections.new_arq()
            worker = build_worker(
                arq_redis,
                runner=self.runner,
                sweeper=self.sweeper,
                embedded=self.connections.embedded,
                poll_delay=self.poll_delay,
                queue_name=self.queue_name,
            )
            started = time.monotonic()
            self.running = True
            try:
                await worker.main()
            except Exception as err:
                if time.monotonic() - started > _HEALTHY_RUN:
                    delay = _FIRST_DELAY
                log.warning(
                    "background worker stopped (%s); restarting in %.0f s",
                    type(err).__name__,
                    delay,
                )
            finally:
                self.running = False
                # Closing cancels its jobs and releases its Redis client. With Redis down, or
                # a job cancelled mid-way, arq's close() raises before closing the client:
                # gathered so nothing escapes, then the client is closed in any case.
                await asyncio.gather(worker.close(), return_exceptions=True)
                await asyncio.gather(arq_redis.aclose(), return_exceptions=True)
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_DELAY)


@asynccontextmanager
async def running_worker(
    connections: RedisConnections,
    *,
    runner: DeliveryRunner | None,
    sweeper: Sweeper | None,
    poll_delay: float = 0.05,
    queue_name: str = QUEUE_NAME,
) -> AsyncIterator[BackgroundWorker]:
    """Run a supervised arq worker in this process for the duration of the block."""
    worker = BackgroundWorker(
        connections, runner=runner, sweeper=sweeper, poll_delay=poll_delay, queue_name=queue_name
    )
    await worker.start()
    try:
        yield worker
    finally:
        await worker.stop()
