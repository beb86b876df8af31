"""Footprint: RSS of the bot (idle, 10,000 pending searches) and MCP server, and start-up times.

The processes are the real entry points as a platform runs them — ``python -m bot`` (HTTP
mode, the background worker in-process: a complete deployment) and ``python -m mcp_server
--transport streamable-http`` (bearer token) — configured only by their environment, as
against the real API: ``NYNE_API_KEY`` and ``NYNE_BASE_URL`` point at the sandbox running
in this process (so neither loads a sandbox corpus of its own), ``SLACK_API_URL`` at its
Slack stand-in, ``REDIS_URL`` at a private redis-server.

* **Start-up**: from just before the process is spawned until its first healthy answer,
  probed every 10 ms — ``GET /healthz`` answered 200 by the bot (it pings Redis), an
  MCP ``initialize`` answered by the MCP server. The baselines are the bare frameworks
  served the same way (:mod:`bench._bare_apps`): an ``AsyncApp`` behind slack_bolt's
  aiohttp adapter with a ``/healthz`` route, run by ``web.run_app``; an ``MCPServer`` with
  one tool, stateless streamable HTTP under uvicorn. Interpreter start and imports are most
  of both: what the ratio shows is what our imports and our start (Redis, the Slack token
  check, the worker) add.
* **RSS, idle**: ``VmRSS`` a few seconds after that first healthy answer (the bot's worker
  has run its first sweep and requeue passes by then), against the bare framework's.
* **RSS with 10,000 pending searches**: the bot started on a Redis that already holds
  10,000 Slack searches waiting for their callback, each recorded as a ``/leads`` leaves it
  — the search through the store's own API (:mod:`bench._pending`) and the answer owed
  through the bot's :meth:`DeliveryStore.add` — with first polls and delivery deadlines an
  hour away, so the bot idles among them (no poll or requeued delivery runs while it is
  measured). The baseline is the idle bot of the same round: pending searches live in
  Redis, never in the process, so its memory must not grow with them.

Each round starts every process once, in a rotated order, one at a time; medians over the
rounds.

Targets, and why they are honest for today's code. A full run on the 2-CPU development
machine (load average about 8) measured: bot 100 MB vs bare Bolt 44.6 MB (2.25×), the same
with 10,000 pending searches (1.00×); MCP server 116 MB vs bare MCPServer 74 MB (1.57×);
start-up 1.8 s vs 0.77 s (2.4×) and 3.3 s vs 1.7 s (2.0×), single quick runs up to 5×
for the bot. RSS barely moves between starts (a few hundred kB), so its targets leave about
10% over today's; start-up times swing with the machine's load, so theirs leave more:

* bot RSS ≤ 2.5× the bare Bolt app's: the bot carries pydantic models, redis-py, arq,
  httpx, the worker and the desk on top of Bolt; beyond that, something was loaded that
  need not be.
* MCP server RSS ≤ 1.8× the bare MCPServer's: it adds the product core (redis-py, httpx,
  the models, its tools' schemas) to the same SDK.
* bot RSS with 10,000 pending searches ≤ 1.1× idle: nothing per search is held in memory.
* start-up ≤ 4× the bare Bolt app's for the bot, ≤ 3× the bare MCPServer's for the MCP
  server: imports are most of it (on this machine ``import bot.__main__`` alone took
  1.6–2.6 s against 0.4–0.6 s for Bolt and aiohttp, depending on the load); a platform
  restarts a process rarely, but a crash-looping or scaled-out one should serve within
  seconds.

Found while measuring, left for a product change: both processes import
``sandbox.embedded`` — the whole sandbox API, its search engine and numpy — at module level
(``bot/resources.py``, ``mcp_server/server.py``), though a deployment with ``NYNE_API_KEY``
never starts it. On this machine that import added about 19 MB to the bot's RSS and 29 MB
to the MCP server's (of their 55 MB and 42 MB over the bare frameworks) and 0.3–0.8 s to
their start-up. Importing it only when the sandbox is started (inside
``embedded_sandbox``, or lazily in ``sandbox/embedded.py``) would reclaim both; the bot
also imports the Socket Mode adapter in HTTP mode (0.2 s of imports, little memory).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis

from bench._callbacks import DROP_CALLBACKS
from bench._lifecycle import PARENT_TS, SLACK
from bench._pending import record_pending_searches
from bench._procs import redis_server
from bench._served import Served, child_env, healthz, mcp_initialize, serve
from bench._spec import SPEC_DESCRIPTIONS
from bench.model import Baseline, Result, at_most
from bench.stats import median
from bot.deliveries import DeliveryStore
from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from sandbox.slack import DEFAULT_TOKEN
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET
from shared.state.keys import Keys
from shared.state.store import SearchStore
from tests.support.servers import free_port

BOT_RSS_TARGET_RATIO = 2.5
MCP_RSS_TARGET_RATIO = 1.8
PENDING_RSS_TARGET_RATIO = 1.1
BOT_STARTUP_TARGET_RATIO = 4.0
MCP_STARTUP_TARGET_RATIO = 3.0
TOKEN = "bench-footprint-token-0123456789abcdef"  # noqa: S105 - a throwaway value
SIGNING_SECRET = "bench-footprint-signing-secret"  # noqa: S105 - a throwaway value
MB = 1_000_000
PENDING_DELIVERY_GRACE = 3600
"""Seconds until the recorded deliveries are overdue (the bot's own: 20 s after a run)."""
SUBJECTS = ("bot", "bot_pending", "bare_bolt", "mcp", "bare_mcp")


@dataclass(frozen=True)
class _Plan:
    rounds: int
    pending: int
    settle: float
    """Seconds between the first healthy answer and reading RSS."""


QUICK = _Plan(rounds=1, pending=50, settle=0.5)
FULL = _Plan(rounds=5, pending=10_000, settle=3.0)


@dataclass(frozen=True)
class _Sample:
    startup: float
    rss: int


@dataclass
class _Rig:
    sandbox: RunningSandbox
    redis_url: str
    """Empty: the idle processes' Redis."""
    pending_url: str
    """Another database of the same server: the one with the pending searches."""
    workdir: Path

    def bot_env(self, redis_url: str, port: int) -> dict[str, str]:
        return child_env(
            NYNE_API_KEY=SANDBOX_API_KEY,
            NYNE_API_SECRET=SANDBOX_API_SECRET,
            NYNE_BASE_URL=self.sandbox.base_url,
            REDIS_URL=redis_url,
            SLACK_BOT_TOKEN=DEFAULT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=self.sandbox.slack_api_url,
            PORT=str(port),
            LEADS_LOG_LEVEL="WARNING",
        )

    def mcp_env(self) -> dict[str, str]:
        return child_env(
            NYNE_API_KEY=SANDBOX_API_KEY,
            NYNE_API_SECRET=SANDBOX_API_SECRET,
            NYNE_BASE_URL=self.sandbox.base_url,
            REDIS_URL=self.redis_url,
            MCP_AUTH_TOKEN=TOKEN,
            LEADS_LOG_LEVEL="WARNING",
        )

    @asynccontextmanager
    async def start(self, subject: str) -> AsyncIterator[Served]:
        """Start ``subject`` on a free port; yield it once it answers healthy."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        if subject in ("bot", "bot_pending"):
            redis_url = self.pending_url if subject == "bot_pending" else self.redis_url
            args, env, probe = ["-m", "bot"], self.bot_env(redis_url, port), healthz(url)
        elif subject == "bare_bolt":
            args = ["-m", "bench._bare_apps", "bolt", "--port", str(port)]
            args += ["--slack-api-url", self.sandbox.slack_api_url]
            env, probe = child_env(), healthz(url)
        elif subject == "mcp":
            args = ["-m", "mcp_server", "--transport", "streamable-http", "--port", str(port)]
            env, probe = self.mcp_env(), mcp_initialize(url, TOKEN)
        elif subject == "bare_mcp":
            args = ["-m", "bench._bare_apps", "mcp", "--port", str(port)]
            env, probe = child_env(), mcp_initialize(url)
        else:
            raise ValueError(f"unknown subject {subject!r}")
        async with serve(args, env, probe, workdir=self.workdir, name=subject) as served:
            yield served


async def _record_pending(redis_url: str, count: int) -> None:
    """``count`` pending Slack searches, each with the answer the bot owes for it."""
    redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        store = SearchStore(redis, keys=Keys())
        # Deadlines an hour out: past one, the requeue pass would re-run 50 deliveries a
        # second against a Slack channel that does not exist here, and the bot not be idle.
        deliveries = DeliveryStore(
            redis, store.keys, ttl=store.pending_ttl, grace=PENDING_DELIVERY_GRACE
        )
        pending = await record_pending_searches(
            store,
            count,
            description=SPEC_DESCRIPTIONS[1],
            origin=SLACK.origin,
            first_poll_in=3600,
            sandbox=False,
        )
        batch = 100
        for first in range(0, count, batch):
            await asyncio.gather(
                *(
                    deliveries.add(
                        search.request_id, asker=SLACK, parent_ts=PARENT_TS, reused=False
                    )
                    for search in pending[first : first + batch]
                )
            )
        if await redis.zcard(store.keys.polls) != count:
            raise RuntimeError(f"{count} pending searches were not all recorded")
    finally:
        await redis.aclose()


async def _measure(rig: _Rig, plan: _Plan) -> dict[str, list[_Sample]]:
    samples: dict[str, list[_Sample]] = {subject: [] for subject in SUBJECTS}
    for number in range(plan.rounds):
        shift = number % len(SUBJECTS)
        for subject in SUBJECTS[shift:] + SUBJECTS[:shift]:
            async with rig.start(subject) as served:
                await asyncio.sleep(plan.settle)  # idle: the measurement is of doing nothing
                samples[subject].append(_Sample(served.startup_seconds, served.rss))
    return samples


def _results(samples: dict[str, list[_Sample]], plan: _Plan) -> list[Result]:
    def rss(subject: str) -> float:
        return median([float(sample.rss) for sample in samples[subject]]) / MB

    def startup(subject: str) -> float:
        return median([sample.startup for sample in samples[subject]]) * 1000

    def spread(subject: str) -> str:
        values = [sample.rss / MB for sample in samples[subject]]
        return f"{min(values):.1f}–{max(values):.1f} MB"

    how = (
        f"median of {plan.rounds} starts each, {plan.settle:g} s after the first healthy "
        "answer; all five processes started one at a time, in a rotated order each round"
    )
    pending = f"{plan.pending:,} pending searches"
    # metric, subject, baseline subject, baseline label, target ratio, note
    memory = (
        (
            "bot RSS, idle",
            "bot",
            "bare_bolt",
            "bare Bolt app (aiohttp)",
            BOT_RSS_TARGET_RATIO,
            f"python -m bot, worker in-process, empty Redis; {how}; range bot "
            f"{spread('bot')}, bare {spread('bare_bolt')}",
        ),
        (
            f"bot RSS, {pending}",
            "bot_pending",
            "bot",
            "the same bot idle",
            PENDING_RSS_TARGET_RATIO,
            f"{pending}: Slack searches waiting for their callback, each with the delivery "
            "the bot owes, first polls an hour away (recorded through "
            f"SearchStore.create_search and DeliveryStore.add); range {spread('bot_pending')}",
        ),
        (
            "MCP server RSS, idle",
            "mcp",
            "bare_mcp",
            "bare MCPServer, one tool",
            MCP_RSS_TARGET_RATIO,
            "python -m mcp_server --transport streamable-http (bearer token) after one "
            f"initialize; {how}; range server {spread('mcp')}, bare {spread('bare_mcp')}",
        ),
    )
    start_up = (
        (
            "bot start-up to first healthy answer",
            "bot",
            "bare_bolt",
            "bare Bolt app",
            BOT_STARTUP_TARGET_RATIO,
            "from spawning the process to GET /healthz answering 200 (probed every 10 ms); "
            f"with {pending}: {startup('bot_pending'):.0f} ms",
        ),
        (
            "MCP server start-up to first healthy answer",
            "mcp",
            "bare_mcp",
            "bare MCPServer",
            MCP_STARTUP_TARGET_RATIO,
            "from spawning the process to an MCP initialize answered (probed every 10 ms)",
        ),
    )
    return [
        Result(
            metric,
            measure(subject),
            unit,
            baseline=Baseline(label, measure(base)),
            target=at_most(limit, ratio=True),
            note=note,
        )
        for rows, measure, unit in ((memory, rss, "MB"), (start_up, startup, "ms"))
        for metric, subject, base, label, limit, note in rows
    ]


async def run(quick: bool) -> list[Result]:
    """Record the pending searches, then start and weigh every process, round by round."""
    plan = QUICK if quick else FULL
    config = SandboxConfig(rate_limit_per_minute=0, rate_limit_per_hour=0, faults=DROP_CALLBACKS)
    with (
        redis_server() as server,
        tempfile.TemporaryDirectory(prefix="leads-footprint-") as workdir,
    ):
        async with start_sandbox(config) as sandbox:
            pending_url = f"redis://127.0.0.1:{server.port}/1"
            rig = _Rig(sandbox, server.url, pending_url, Path(workdir))
            await _record_pending(pending_url, plan.pending)
            samples = await _measure(rig, plan)
    return _results(samples, plan)
