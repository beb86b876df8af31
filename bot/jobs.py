"""The bot's background work, on arq: Slack deliveries, the poll sweep, overdue deliveries.

Every bot process that runs background work (``python -m bot`` unless
``LEADS_RUN_SWEEP=false``, and ``python -m bot.worker``) runs one supervised arq worker
with three jobs, all sharing the :class:`BotServices` of the process:

* ``run_command(command_id)`` — a ``/leads`` command whose process died before it started
  the search (``bot/intake.py``); queued by the requeue pass;
* ``deliver(delivery_id)`` — queued whenever a search changes (:meth:`BotServices.on_change`
  hears it on the core's event bus), once per delivery and revision however often asked;
* ``sweep`` — a cron job, every second, once across all workers: the core's poll sweep
  (a few passes in that second against a fast sandbox);
* ``share_to_slack`` — queued by the MCP server's tool of that name (``bot/share.py``);
* ``create_watch`` — queued by the MCP server's ``create_watch`` for a channel
  (``bot/watching.py``);
* ``requeue_overdue`` — a cron job, every second, once across all workers: commands and
  deliveries past their deadline (a process died on them, a job or an event was lost) are
  queued again, so every Slack request is answered even across crashes and restarts;
* ``watch_pass`` — a cron job, every second, once across all workers: the watches'
  scheduler (``shared.watch.scheduler``) claims the runs due and queues ``run_watch`` for
  each, and again for runs left unfinished;
* ``run_watch(run_id)`` — one watch run, taken as far as it goes (``shared.watch.runner``),
  queued again when its search changes.

The supervisor restarts the arq worker whenever it stops (e.g. Redis went away): a process
that lost its worker during a blip would otherwise silently stop delivering.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arq import Retry, cron
from arq.connections import ArqRedis
from arq.worker import Worker, func
from slack_sdk.web.async_client import AsyncWebClient

from bot.deliveries import DeliveryStore
from bot.delivery import Deliverer, DeliveryOutcome
from bot.desk import DeskStore
from bot.intake import CommandStore, Intake, IntakeOutcome
from bot.share import SHARE_JOB, SHARE_RESULT_SECONDS, share_to_slack
from bot.spool import CommandSpool
from bot.watching import CREATE_JOB, WatchBusyError, Watching, create_watch_for_assistant
from shared._awaitable import stop_task
from shared.runtime import Runtime
from shared.state.connection import RedisConnections, dump_job, load_job
from shared.state.events import SearchChange
from shared.sweep import Sweeper
from shared.watch.runner import RunOutcome
from shared.watch.scheduler import schedule_pass

__all__ = [
    "BackgroundWorker",
    "BotServices",
    "build_worker",
    "deliver",
    "requeue_overdue",
    "run_command",
    "run_watch",
    "sweep",
    "watch_pass",
]

log = logging.getLogger(__name__)

QUEUE_TTL = 24 * 3600
_REQUEUE_BATCH = 50


@dataclass
class BotServices:
    """What the bot's jobs and handlers share in one process: commands, deliveries, the queue."""

    commands: CommandStore
    intake: Intake
    spool: CommandSpool
    deliveries: DeliveryStore
    desk: DeskStore
    deliverer: Deliverer
    sweeper: Sweeper
    queue: ArqRedis
    watching: Watching

    @classmethod
    def over(cls, runtime: Runtime, slack: AsyncWebClient) -> BotServices:
        """The bot's services on the core's runtime, posting with ``slack``.

        They hear of nothing until subscribed: ``await runtime.bus.subscribe(s.on_change)``.
        """
        deliveries = DeliveryStore(
            runtime.connections.redis, runtime.store.keys, ttl=runtime.store.pending_ttl
        )
        desk = DeskStore(
            runtime.connections.redis,
            runtime.store.keys.prefix,
            retention=runtime.settings.leads_desk_retention_days * 24 * 3600,
        )
        prefix = runtime.store.keys.prefix
        commands = CommandStore(runtime.connections.redis, prefix)
        spool_dir = runtime.settings.leads_spool_dir or (
            Path(tempfile.gettempdir()) / f"leads-spool-{prefix}"
        )
        queue = runtime.connections.arq
        queue_name = deliveries.keys.jobs

        async def enqueue_delivery(delivery_id: str, revision: str) -> None:
            await _enqueue_delivery(queue, queue_name, delivery_id, revision)

        deliverer = Deliverer(deliveries, runtime.store, desk, slack)
        return cls(
            commands=commands,
            intake=Intake(
                commands,
                deliveries,
                runtime.service,
                slack,
                enqueue_delivery,
                sandbox=runtime.endpoint.sandbox,
            ),
            spool=CommandSpool(spool_dir),
            deliveries=deliveries,
            desk=desk,
            deliverer=deliverer,
            sweeper=Sweeper(runtime.service),
            queue=queue,
            watching=Watching.build(runtime.watches, runtime.service, deliverer, slack),
        )

    @property
    def queue_name(self) -> str:
        """The arq queue of this key prefix."""
        return self.deliveries.keys.jobs

    async def enqueue(self, delivery_id: str, revision: str) -> None:
        """Queue ``deliver(delivery_id)`` under a job ID naming the revision (idempotent)."""
        await _enqueue_delivery(self.queue, self.queue_name, delivery_id, revision)

    async def enqueue_command(self, command_id: str, attempt: str, *, defer: float = 0) -> None:
        """Queue ``run_command(command_id)`` under a job ID naming the attempt (idempotent)."""
        await self.queue.enqueue_job(
            "run_command",
            command_id,
            _job_id=f"command:{command_id}:{attempt}",
            _queue_name=self.queue_name,
            _defer_by=defer or None,
        )

    async def on_change(self, change: SearchChange) -> None:
        """The core's event bus: a search changed, so bring its Slack answers up to date."""
        for delivery_id in await self.deliveries.ids_of(change.request_id):
            await self.enqueue(delivery_id, str(change.rev))
        run_id = await self.watching.store.run_of(change.request_id)
        if run_id is not None:
            await self.enqueue_watch_run(run_id, str(change.rev))

    async def enqueue_watch_run(self, run_id: str, revision: str = "due") -> None:
        """Queue ``run_watch(run_id)`` under a job ID naming why (idempotent)."""
        await self.queue.enqueue_job(
            "run_watch",
            run_id,
            _job_id=f"watch:{run_id}:{revision}",
            _queue_name=self.queue_name,
        )


async def _enqueue_delivery(
    queue: ArqRedis, queue_name: str, delivery_id: str, revision: str
) -> None:
    await queue.enqueue_job(
        "deliver", delivery_id, _job_id=f"deliver:{delivery_id}:{revision}", _queue_name=queue_name
    )


async def run_command(ctx: dict[str, Any], command_id: str) -> str:
    """arq job: take a recorded ``/leads`` command as far as it goes."""
    services: BotServices = ctx["services"]
    tries = int(ctx.get("job_try", 1))
    try:
        outcome = await services.intake.run(command_id)
    except Exception as err:
        log.exception("command failed (try %d)", tries, extra={"command_id": command_id})
        raise Retry(defer=min(2.0**tries, 30.0)) from err
    if outcome is IntakeOutcome.BUSY:
        raise Retry(defer=min(0.2 * 2 ** (tries - 1), 5.0))
    return str(outcome.value)


async def deliver(ctx: dict[str, Any], delivery_id: str) -> str:
    """arq job: bring one delivery up to date."""
    services: BotServices = ctx["services"]
    tries = int(ctx.get("job_try", 1))
    try:
        outcome = await services.deliverer.run(delivery_id)
    except Exception as err:
        log.exception("delivery failed (try %d)", tries, extra={"delivery_id": delivery_id})
        raise Retry(defer=min(2.0**tries, 60.0)) from err
    if outcome is DeliveryOutcome.BUSY:
        # Another run holds the delivery (up to a slow Slack call): back off, 0.2 s to 15 s.
        raise Retry(defer=min(0.2 * 2 ** (tries - 1), 15.0))
    return str(outcome.value)


async def sweep(ctx: dict[str, Any]) -> None:
    """arq cron job: a second's passes of the core's poll sweep (``Sweeper.run_second``)."""
    services: BotServices = ctx["services"]
    # arq's queue is a sorted set with no TTL of its own; keep one on it so that, should
    # every worker vanish for good, it does not linger forever. Any live worker renews it.
    await ctx["redis"].expire(services.queue_name, QUEUE_TTL)
    polled = await services.sweeper.run_second()
    if polled:
        log.debug("sweep polled %d search(es)", polled)


async def requeue_overdue(ctx: dict[str, Any]) -> None:
    """arq cron job: queue again the commands and deliveries that missed their deadline."""
    services: BotServices = ctx["services"]
    for command_id in await services.commands.overdue(limit=_REQUEUE_BATCH):
        log.info("re-queueing an overdue command", extra={"command_id": command_id})
        await services.enqueue_command(command_id, f"overdue-{time.time():.0f}")
    for delivery_id in await services.deliveries.overdue(limit=_REQUEUE_BATCH):
        log.info("re-queueing an overdue delivery", extra={"delivery_id": delivery_id})
        await services.enqueue(delivery_id, f"overdue-{time.time():.0f}")


async def watch_pass(ctx: dict[str, Any]) -> None:
    """arq cron job: one pass of the watches' scheduler."""
    services: BotServices = ctx["services"]
    await schedule_pass(services.watching.store, services.enqueue_watch_run)


async def run_watch(ctx: dict[str, Any], run_id: str) -> str:
    """arq job: take one watch run as far as it goes now."""
    services: BotServices = ctx["services"]
    tries = int(ctx.get("job_try", 1))
    try:
        watching = services.watching
        outcome = await watching.runner.run(run_id, watching.delivery)
    except WatchBusyError:
        outcome = RunOutcome.BUSY
    except Exception as err:
        log.exception("watch run failed (try %d)", tries, extra={"run_id": run_id})
        raise Retry(defer=min(2.0**tries, 60.0)) from err
    if outcome is RunOutcome.BUSY:
        raise Retry(defer=min(0.2 * 2 ** (tries - 1), 15.0))
    return str(outcome.value)


def build_worker(arq_redis: ArqRedis, services: BotServices, *, poll_delay: float) -> Worker:
    """An arq worker running the bot's jobs.

    The worker closes ``arq_redis`` when it stops: give it a client of its own
    (``RedisConnections.new_arq()``). :class:`BackgroundWorker` does all of that.
    """
    queue_name = services.queue_name

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["services"] = services

    # Cron job IDs are global in arq: named after the queue, so that two key prefixes
    # sharing one Redis don't skip each other's passes.
    every_second = set(range(60))
    return Worker(
        functions=[
            func(run_command, name="run_command", max_tries=20, timeout=300),
            func(deliver, name="deliver", max_tries=20, timeout=300),
            # Its outcome is what the MCP tool that queued it answers: kept 10 minutes.
            func(
                share_to_slack,
                name=SHARE_JOB,
                max_tries=3,
                timeout=60,
                keep_result=SHARE_RESULT_SECONDS,
            ),
            func(run_watch, name="run_watch", max_tries=20, timeout=300),
            # Its outcome is what the MCP tool that queued it answers: kept 10 minutes.
            func(
                create_watch_for_assistant,
                name=CREATE_JOB,
                max_tries=1,
                timeout=60,
                keep_result=600,
            ),
        ],
        cron_jobs=[
            cron(sweep, name=f"sweep:{queue_name}", second=every_second, unique=True, timeout=55),
            cron(
                requeue_overdue,
                name=f"requeue:{queue_name}",
                second=every_second,
                unique=True,
                timeout=55,
            ),
            cron(
                watch_pass,
                name=f"watches:{queue_name}",
                second=every_second,
                unique=True,
                timeout=55,
            ),
        ],
        redis_pool=arq_redis,
        # JSON, as every client of the queue: a pickle planted in Redis is dropped, not run.
        job_serializer=dump_job,
        job_deserializer=load_job,
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


async def _settle_jobs(worker: Worker) -> None:
    """Wait out every job task of a stopped worker and retrieve what each raised.

    arq's ``close()`` gathers its job runners and gives up at the first that raises (a
    ConnectionError with Redis gone): the others — e.g. a delivery whose ``Retry`` nobody
    awaited — would otherwise end as "Task exception was never retrieved" at exit. Their
    work is safe: each is recorded step by step and re-queued by the requeue pass.
    """
    leftovers = [*worker.tasks.values(), *worker.job_tasks.values()]
    for task in leftovers:
        task.cancel()
    outcomes = await asyncio.gather(*leftovers, return_exceptions=True)
    failed = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, Retry)]
    if failed:
        log.warning("%d job(s) ended with the worker: %s", len(failed), type(failed[0]).__name__)


class BackgroundWorker:
    """Runs the bot's jobs in this process, restarting the arq worker whenever it stops."""

    def __init__(
        self, connections: RedisConnections, services: BotServices, *, poll_delay: float = 0.05
    ) -> None:
        self.connections = connections
        self.services = services
        self.poll_delay = poll_delay
        self.running = False
        """True while an arq worker is up (False while it waits to restart)."""
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start in the background (returns at once)."""
        self._task = asyncio.create_task(self._supervise(), name="leads-background-worker")

    async def stop(self) -> None:
        """Stop the worker; jobs in flight are cancelled (their progress is recorded)."""
        task, self._task = self._task, None
        await stop_task(task)

    async def _supervise(self) -> None:
        delay = _FIRST_DELAY
        while True:
            arq_redis = self.connections.new_arq()
            worker = build_worker(arq_redis, self.services, poll_delay=self.poll_delay)
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
                await _settle_jobs(worker)
                await asyncio.gather(arq_redis.aclose(), return_exceptions=True)
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_DELAY)
