"""Wiring: everything a front needs, built once per process from the settings.

Fronts call :func:`open_runtime` in their start-up (aiohttp ``cleanup_ctx``, the MCP
lifespan, the CLI's main) and pass the :class:`Runtime` down. Nothing here runs at import.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from shared.client import NyneClient
from shared.polling import PollSchedule
from shared.queue import QueueRunner, SearchQueue
from shared.service import LeadsService
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from shared.state.connection import RedisConnections, connect_redis
from shared.state.events import EventBus
from shared.state.keys import Keys
from shared.state.limiter import RateLimiter, RateWindow, RequestKind
from shared.state.store import SearchStore, StoreTimings
from shared.watch.schedule import WatchClock
from shared.watch.store import WatchBudget, WatchStore

__all__ = ["MIN_MARGIN", "ApiEndpoint", "Runtime", "open_runtime"]

log = logging.getLogger(__name__)

MIN_MARGIN = 0.25
"""Seconds the limiter's margin never drops below. The margin covers the time between a
slot being granted and the API counting the request (latency, a busy event loop) and clock
differences; a faster sandbox shortens its windows, not that time. At 10x a scaled margin
would be 0.1 s, and a burst from every front on a busy machine was seen to delay requests
by ~0.2 s more than the ones that reused their slots a window later: the API answered 429."""


@dataclass(frozen=True)
class ApiEndpoint:
    """Which Person Leads API to talk to, and with which credentials."""

    base_url: str
    api_key: str
    api_secret: str
    sandbox: bool = False

    def __repr__(self) -> str:
        return f"ApiEndpoint(base_url={self.base_url!r}, sandbox={self.sandbox})"

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiEndpoint:
        """The configured API (callers start the sandbox when ``settings.uses_sandbox``)."""
        if settings.nyne_api_key is None or settings.nyne_api_secret is None:
            raise ValueError("no API credentials configured; start the sandbox instead")
        return cls(
            base_url=settings.nyne_base_url,
            api_key=settings.nyne_api_key.get_secret_value(),
            api_secret=settings.nyne_api_secret.get_secret_value(),
        )


@dataclass
class Runtime:
    """One process's long-lived resources."""

    settings: Settings
    endpoint: ApiEndpoint
    connections: RedisConnections
    limiter: RateLimiter
    client: NyneClient
    store: SearchStore
    bus: EventBus
    service: LeadsService
    watches: WatchStore
    queue: SearchQueue


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    endpoint: ApiEndpoint | None = None,
    sandbox_url: str | None = None,
    limiter_max_wait: Mapping[RequestKind, float] | None = None,
    redis_url: str | None = None,
    callback_base_url: str | None = None,
    keys: Keys | None = None,
    timings: StoreTimings | None = None,
    schedule: PollSchedule | None = None,
    run_queue: bool = False,
) -> AsyncIterator[Runtime]:
    """Open Redis, the limiter, the API client and the service; close them on exit.

    Args:
        settings: the product's settings.
        endpoint: the API to use; by default the one the settings name.
        sandbox_url: a local sandbox the front started because no API key is set
            (``sandbox.embedded``). It is announced in the log, polled on a schedule
            scaled to its speed, and its searches are kept apart from other processes'.
        limiter_max_wait: how long a request of each kind may wait for the shared budget
            in this process (the MCP server keeps tool calls short).
        redis_url: defaults to ``REDIS_URL``.
        callback_base_url: defaults to ``PUBLIC_BASE_URL``.
        keys, timings, schedule: the key prefix, retention and poll timing.
        run_queue: run a :class:`QueueRunner` in this process (long-running processes do:
            the bot's and the MCP server's; a CLI command does not).
    """
    # A sandbox faster than the real API has its rate windows shortened as much (a minute
    # lasts 60/speed s): the limiter keeps its budget in the same time (1 for the real API).
    pace = 1.0
    if endpoint is None and sandbox_url is not None:
        endpoint, schedule, keys = _embedded_sandbox(settings, sandbox_url, schedule, keys)
        pace = settings.leads_sandbox_speed
    elif endpoint is None:
        endpoint = ApiEndpoint.from_settings(settings)
        if _stated_sandbox_speed(settings, endpoint):
            pace = settings.leads_sandbox_speed
            schedule = schedule or PollSchedule().scaled(1 / pace)
    if redis_url is None and settings.redis_url is not None:
        redis_url = settings.redis_url.get_secret_value()
    if callback_base_url is None:
        callback_base_url = settings.public_base_url
    keys = keys or Keys()
    connections = connect_redis(
        redis_url,
        ssl_cert_reqs=settings.redis_ssl_cert_reqs,
        ssl_ca_certs=settings.redis_ssl_ca_certs,
    )
    # One budget per API key: processes sharing a key share it, whatever they are.
    budget = hashlib.sha256(endpoint.api_key.encode()).hexdigest()[:16]
    limiter = RateLimiter(
        connections.redis,
        keys.rate_limit(budget),
        windows=(
            RateWindow(settings.leads_rate_limit_per_minute, 60.0 / pace),
            RateWindow(settings.leads_rate_limit_per_hour, 3600.0 / pace),
        ),
        margin=max(1.0 / pace, MIN_MARGIN),
        max_wait=limiter_max_wait,
    )
    client = NyneClient(
        api_key=endpoint.api_key,
        api_secret=endpoint.api_secret,
        base_url=endpoint.base_url,
        gate=limiter,
        schedule=schedule,
    )
    store = SearchStore(connections.redis, keys=keys, timings=timings)
    bus = EventBus(connections.redis, keys.events)
    service = LeadsService(
        client=client,
        store=store,
        bus=bus,
        callback_base_url=callback_base_url,
        reuse_window=settings.leads_reuse_window_seconds,
        sandbox=endpoint.sandbox,
        schedule=schedule,
    )
    watches = WatchStore(
        connections.redis,
        keys=keys,
        clock=WatchClock(scale=settings.leads_watch_time_scale),
        budget=WatchBudget(
            requests_per_hour=settings.leads_rate_limit_per_hour,
            share=settings.leads_watch_budget_share,
        ),
        per_channel=settings.leads_watches_per_channel,
    )
    queue = SearchQueue(
        connections.redis,
        keys=keys,
        limiter=limiter,
        max_wait=settings.leads_queue_max_wait_seconds,
    )
    runtime = Runtime(
        settings, endpoint, connections, limiter, client, store, bus, service, watches, queue
    )
    runner = QueueRunner(queue, service) if run_queue else None
    try:
        if runner is not None:
            await runner.start()
        yield runtime
    finally:
        if runner is not None:
            await runner.stop()
        await bus.aclose()
        await client.aclose()
        await connections.aclose()


def _stated_sandbox_speed(settings: Settings, endpoint: ApiEndpoint) -> bool:
    """True for a sandbox someone runs at a speed they told us (``LEADS_SANDBOX_SPEED``,
    with the sandbox's key): polls and the rate windows then keep pace with it, as with the
    embedded one."""
    return (
        endpoint.api_key == SANDBOX_API_KEY and "leads_sandbox_speed" in settings.model_fields_set
    )


def _embedded_sandbox(
    settings: Settings, base_url: str, schedule: PollSchedule | None, keys: Keys | None
) -> tuple[ApiEndpoint, PollSchedule, Keys | None]:
    """The endpoint, poll schedule and keys for a sandbox this process started itself."""
    speed = settings.leads_sandbox_speed
    log.warning(
        "NYNE_API_KEY is not set: searching the local sandbox at %s (synthetic people, %gx "
        "faster than the real API); results say they came from the sandbox. Set "
        "NYNE_API_KEY and NYNE_API_SECRET for real leads.",
        base_url,
        speed,
    )
    endpoint = ApiEndpoint(base_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True)
    if settings.redis_url is not None and keys is None:
        # This sandbox is private to this process: keep its searches apart from the other
        # processes on this Redis, whose API (or sandbox) never heard of them.
        keys = Keys(prefix=f"leads-sandbox-{secrets.token_hex(4)}")
        log.warning("with a local sandbox, this process keeps its state apart (%s:*)", keys.prefix)
    return endpoint, schedule or PollSchedule().scaled(1 / speed), keys
