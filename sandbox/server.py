"""The sandbox's root application: the Person Leads API, its admin routes and the Slack stand-in.

Routes: ``/person/leads`` (the spec), ``/sandbox/…`` (non-spec admin, see
:mod:`sandbox.api.admin`) and ``/slack/api/<method>`` (:mod:`sandbox.slack`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from sandbox.api.admin import add_admin_routes
from sandbox.api.app import SERVICE, add_api_routes
from sandbox.api.auth import Authenticator
from sandbox.api.callbacks import CallbackDispatcher, HttpSender
from sandbox.api.clock import Clock, SystemClock
from sandbox.api.engine import LeadFinder, load_default_engine
from sandbox.api.faults import Faults
from sandbox.api.middleware import error_middleware
from sandbox.api.ratelimit import SlidingWindowLimiter, Window
from sandbox.api.service import SandboxSearchService
from sandbox.api.store import SandboxSearchStore
from sandbox.api.timing import DEFAULT_PHASE_SECONDS, Timing
from sandbox.api.validation import MAX_BODY_BYTES
from sandbox.slack import SlackState, create_slack_app

__all__ = [
    "CONFIG",
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "SLACK_APP",
    "SandboxConfig",
    "create_app",
]

log = logging.getLogger(__name__)

DEFAULT_API_KEY = "sandbox-key"
DEFAULT_API_SECRET = "sandbox-secret"  # noqa: S105 - the published local default
SLACK_PREFIX = "/slack"


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """How to run a sandbox. Every duration is divided by ``speed``."""

    host: str = "127.0.0.1"
    port: int = 0
    """0 picks a free port."""
    speed: float = 1.0
    """Divides every duration: phases, callback delays and timeouts, rate-limit windows."""
    api_key: str = DEFAULT_API_KEY
    api_secret: str = field(default=DEFAULT_API_SECRET, repr=False)
    extra_credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    """More accepted ``key: secret`` pairs (each key has its own searches, limits, credits)."""
    faults: Mapping[str, object] = field(default_factory=dict)
    """Faults in force from the start, by name (see :mod:`sandbox.api.faults`)."""
    fault_seed: int | None = None
    """Seeds the draws of percentage faults (``"30%"``); ``None`` draws differently each run."""
    rate_limit_per_minute: int = 60
    """Requests per key per (scaled) minute; 0 turns the limit off."""
    rate_limit_per_hour: int = 1000
    """Requests per key per (scaled) hour; 0 turns the limit off."""
    phase_seconds: tuple[float, ...] = DEFAULT_PHASE_SECONDS
    """Seconds (before scaling) in queued, pending, analyzing, searching, aggregating."""
    max_searches: int = 10_000
    """Searches kept in memory; the oldest are forgotten past this."""

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError("speed must be greater than 0")
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be between 0 and 65535")
        if self.rate_limit_per_minute < 0 or self.rate_limit_per_hour < 0:
            raise ValueError("rate limits cannot be negative (0 turns a limit off)")
        if not self.api_key or not self.api_secret:
            raise ValueError("api_key and api_secret cannot be empty")
        if self.max_searches < 1:
            raise ValueError("max_searches must be at least 1")
        Timing(phase_seconds=tuple(self.phase_seconds))  # validates the phases
        Faults().update(self.faults)  # validates the faults (raises FaultError)

    @property
    def credentials(self) -> dict[str, str]:
        """Every accepted ``key: secret`` pair."""
        return {**self.extra_credentials, self.api_key: self.api_secret}


CONFIG = web.AppKey("sandbox_config", SandboxConfig)
"""The root app's :class:`SandboxConfig`."""
SLACK_APP = web.AppKey("sandbox_slack_app", web.Application)
"""The Slack Web API stand-in, mounted at ``/slack`` (its state: ``[SLACK_STATE]``)."""


def create_app(
    config: SandboxConfig | None = None,
    *,
    engine: LeadFinder | None = None,
    clock: Clock | None = None,
    slack_state: SlackState | None = None,
) -> web.Application:
    """Build the root application (nothing is loaded or opened until it starts).

    Args:
        config: how to run; defaults to :class:`SandboxConfig()`.
        engine: the search engine; ``None`` loads the bundled corpus at startup.
        clock: the time source; ``None`` is the real clock. Tests inject a
            :class:`~sandbox.api.clock.ManualClock`.
        slack_state: the Slack stand-in's workspace; ``None`` is a fresh seeded one.
    """
    config = config or SandboxConfig()
    clock = clock or SystemClock()
    timing = Timing(phase_seconds=tuple(config.phase_seconds)).scaled(config.speed)
    faults = Faults()
    if config.fault_seed is not None:
        faults.seed(config.fault_seed)
    faults.update(config.faults)
    service = SandboxSearchService(
        clock=clock,
        timing=timing,
        faults=faults,
        authenticator=Authenticator(config.credentials),
        limiter=SlidingWindowLimiter(
            [
                Window("minute", config.rate_limit_per_minute, timing.minute_window),
                Window("hour", config.rate_limit_per_hour, timing.hour_window),
            ],
            clock,
        ),
        store=SandboxSearchStore(max_searches=config.max_searches),
        callbacks=CallbackDispatcher(
            clock=clock, timing=timing, faults=faults, max_logs=config.max_searches
        ),
        engine=engine,
        speed=float(config.speed),
    )
    app = web.Application(
        middlewares=[error_middleware(clock, passthrough_prefixes=(f"{SLACK_PREFIX}/",))],
        client_max_size=MAX_BODY_BYTES,
    )
    app[CONFIG] = config
    app[SERVICE] = service
    add_api_routes(app)
    add_admin_routes(app)
    app.cleanup_ctx.append(_search_engine)
    app.cleanup_ctx.append(_callback_sender)
    slack = create_slack_app(slack_state)
    app[SLACK_APP] = slack
    app.add_subapp(SLACK_PREFIX, slack)
    return app


async def _search_engine(app: web.Application) -> AsyncIterator[None]:
    """One worker thread runs engine searches (and the initial corpus load) off the loop."""
    service = app[SERVICE]
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-search")
    if service.engine is None:
        loop = asyncio.get_running_loop()
        service.engine = await loop.run_in_executor(executor, load_default_engine)
    service.executor = executor
    try:
        yield
    finally:
        service.executor = None
        executor.shutdown(wait=False, cancel_futures=True)


async def _callback_sender(app: web.Application) -> AsyncIterator[None]:
    """One HTTP client session for every callback, closed after pending deliveries stop."""
    service = app[SERVICE]
    async with aiohttp.ClientSession(trust_env=False) as session:
        service.callbacks.start(HttpSender(session))
        try:
            yield
        finally:
            await service.callbacks.aclose()
