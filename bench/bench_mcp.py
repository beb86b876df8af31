"""MCP server: a tool call's cost over a direct call, and how soon a waiting call sees completion.

Everything runs on a private redis-server and the sandbox API (in this process, 1000x fast,
rate limits off, no callback ever sent by it — see :mod:`bench._callbacks`), with the
shared API budget (``LEADS_RATE_LIMIT_PER_MINUTE`` / ``_PER_HOUR``) set to a million.

* **Added latency of a tool call**: ``get_search_status`` (``wait_seconds=0``, all 25
  leads asked for) on a completed search, through the official client — in memory, and
  over streamable HTTP to the server in another process (``python -m mcp_server``'s app,
  bearer token included). The baseline is what a Python caller of ``shared`` does for the
  same data: ``LeadsService.lookup`` and ``results`` on the same Redis. The API's own
  answer (``NyneClient.get_search``, one HTTP GET to the sandbox) is shown beside it, and
  so is the official client's re-validation of a result against the tool's output schema
  (it does that to every result; timed alone here, on a result already received). All
  five are interleaved call by call; medians.
* **Completion to tool return, by callback elsewhere**: a ``get_search_status`` call
  (``wait_seconds=45``) waits on a search that another OS process started, whose polls are
  an hour away — so only the cross-process wake-up (Redis pub/sub) can end the wait. Once
  the call is waiting (its first progress notification has arrived), that other process
  (:mod:`bench._replica`, a bot replica's callback path) takes the search's callback. The
  time is from the completion being written — ``completed_at``, stamped by that process
  as it writes the completion (the same host clock, 1 ms resolution) — to the tool call
  returning here. The baseline is the same call on a search that is already complete.
* **Completion to tool return, by polling**: the server as it runs without
  ``NYNE_API_KEY`` or ``PUBLIC_BASE_URL`` — its embedded sandbox at a high speed, no
  callbacks, the poll schedule scaled to the speed, as the product does it —
  ``search_leads`` waits for a fresh search (a few side by side, their starts staggered so
  their polls never coincide). The lag is from the moment the API finished (submission +
  the sandbox's 105 s ÷ speed) to the return; the baseline is the lag the schedule
  predicts. The number of GETs the search cost is the record's poll count. The speed is
  only 10x in a full run, so that the polls' own few milliseconds stay small against the
  scaled gaps between them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from itertools import accumulate, count, takewhile
from typing import Any

import httpx2
import redis.asyncio as aioredis
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from bench._callbacks import DROP_CALLBACKS, callback_for
from bench._procs import Helper, redis_server, start_helper
from bench._replica import replica_settings
from bench._spec import SPEC_DESCRIPTIONS
from bench.model import Baseline, Result, at_most
from bench.stats import interleave, median, percentile, timed
from mcp_server.server import create_server
from sandbox.api.timing import DEFAULT_PHASE_SECONDS
from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from shared.polling import PollSchedule
from shared.runtime import ApiEndpoint, Runtime, open_runtime
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET
from shared.state.keys import Keys
from shared.state.records import Origin, SearchRecord
from shared.state.store import SearchStore

SANDBOX_SPEED = 1000.0
WAKE_TARGET_MS = 100.0
TOKEN = "bench-mcp-token-0123456789abcdef"  # noqa: S105 - a throwaway value for this run
ALL_LEADS = 25
WAIT_SECONDS = 45
API_SEARCH_SECONDS = sum(DEFAULT_PHASE_SECONDS)
"""The sandbox's (and the spec's example) search: 105 s at speed 1."""
DESCRIPTION = SPEC_DESCRIPTIONS[4]
"""Finds 25 leads in the shipped corpus."""
STAGGER_SECONDS = 3.7
"""Between the starts of the polled searches, in API seconds: off every poll offset's beat."""
FAST_POLLS = PollSchedule(without_callback=(0.01,), with_callback=(0.01,))
"""For setting up a completed search quickly (the direct runtime has no callback URL)."""


@dataclass(frozen=True)
class _Plan:
    calls: int
    call_warmup: int
    wakes: int
    polled: int
    polled_speed: float


QUICK = _Plan(calls=3, call_warmup=1, wakes=2, polled=1, polled_speed=100.0)
FULL = _Plan(calls=200, call_warmup=20, wakes=40, polled=4, polled_speed=10.0)


def _structured(result: CallToolResult) -> dict[str, Any]:
    if result.is_error or result.structured_content is None:
        text = " ".join(getattr(block, "text", "") for block in result.content)
        raise RuntimeError(f"the tool call failed: {text[:300]}")
    return dict(result.structured_content)


# -- 1. added latency of a tool call ----------------------------------------------------


async def _added_latency(
    direct: Runtime, memory: Client, http: Client, plan: _Plan
) -> tuple[list[Result], float]:
    service = direct.service
    origin = Origin(front="mcp", client="bench-direct")
    submitted = await service.submit(f"{DESCRIPTION} (direct)", origin)
    request_id = submitted.search.request_id
    record = await service.wait(request_id, timeout=30)
    if not record.is_terminal:
        raise RuntimeError("the setup search did not complete within 30 s")
    arguments = {"request_id": request_id, "wait_seconds": 0, "max_results": ALL_LEADS}
    answer = await memory.call_tool("get_search_status", arguments)
    page = _structured(answer)
    over_http = _structured(await http.call_tool("get_search_status", arguments))
    if page != over_http or page["status"] != "completed":
        raise RuntimeError("the in-memory and HTTP answers differ, or the search is not done")

    async def lookup() -> None:
        await service.lookup(request_id, origin, caller="bench")
        await service.results(request_id)

    def tool(client: Client) -> Callable[[], Awaitable[object]]:
        return lambda: client.call_tool("get_search_status", arguments)

    async def client_check() -> None:
        # What the official client does to every result, after it has arrived.
        await memory.session.validate_tool_result("get_search_status", answer)

    samples = await interleave(
        {
            "direct": timed(lookup),
            "memory": timed(tool(memory)),
            "http": timed(tool(http)),
            "api": timed(lambda: direct.client.get_search(request_id)),
            "client_check": timed(client_check),
        },
        rounds=plan.calls,
        warmup=plan.call_warmup,
    )
    ms = {name: median(values) * 1000 for name, values in samples.items()}
    baseline = Baseline("LeadsService lookup + results", ms["direct"])
    sampling = (
        f"medians of {plan.calls} calls each, all five interleaved call by call after "
        f"{plan.call_warmup} warm-up rounds"
    )
    results = [
        Result(
            "get_search_status, completed search, in-memory client",
            ms["memory"],
            "ms",
            baseline=baseline,
            note=(
                f"+{ms['memory'] - ms['direct']:.2f} ms over the direct call; the page holds "
                f"{page['returned']} of {page['results_count']} leads "
                f"(truncated: {page['truncated']}); {sampling}"
            ),
        ),
        Result(
            "get_search_status, completed search, streamable HTTP",
            ms["http"],
            "ms",
            baseline=baseline,
            note=(
                f"+{ms['http'] - ms['direct']:.2f} ms; the server in another process "
                "(uvicorn, stateless, bearer token), the official client with legacy "
                "(handshake-era) sessions"
            ),
        ),
        Result(
            "of which: the Python client re-validating that result",
            ms["client_check"],
            "ms",
            baseline=baseline,
            note=(
                "mcp's ClientSession checks every structuredContent against the tool's "
                "outputSchema with jsonschema (nested $refs, anyOf for each optional field, "
                f"{page['returned']} leads): a cost of the Python client, not of this server, "
                "which hosts validating otherwise (or not at all) do not pay. Without it, "
                f"in memory: {ms['memory'] - ms['client_check']:.2f} ms, over HTTP: "
                f"{ms['http'] - ms['client_check']:.2f} ms"
            ),
        ),
        Result(
            "NyneClient.get_search of the same search (API GET)",
            ms["api"],
            "ms",
            baseline=baseline,
            note="the sandbox API in this process: what asking the API instead would cost",
        ),
    ]
    return results, ms["memory"]


# -- 2. completion by callback elsewhere -------------------------------------------------


async def _woken(
    sandbox: RunningSandbox, store: SearchStore, memory: Client, replica: Helper, number: int
) -> tuple[float, float]:
    """One run: (completion written → return, callback taken → return), in seconds."""
    started = await replica.request({"submit": f"{DESCRIPTION} (wake {number})"}, timeout=30)
    request_id = str(started["request_id"])
    pending = await callback_for(sandbox, request_id)
    waiting = asyncio.Event()

    async def progress(progress: float, total: float | None, message: str | None) -> None:
        waiting.set()  # the tool is inside its wait: watching the bus, polls far off

    call = asyncio.create_task(
        memory.call_tool(
            "get_search_status",
            {"request_id": request_id, "wait_seconds": WAIT_SECONDS, "max_results": ALL_LEADS},
            progress_callback=progress,
        )
    )
    try:
        async with asyncio.timeout(30):
            await waiting.wait()
        if call.done():
            raise RuntimeError("get_search_status returned before the search completed")
        taken = await replica.request(
            {"callback": {"token": pending.token, "body": pending.body.decode()}}, timeout=30
        )
        result = await call
        returned = time.time()
    finally:
        call.cancel()  # only if something above failed: the call has returned otherwise
    if taken["outcome"] != "ACCEPTED":
        raise RuntimeError(f"the replica answered the callback {taken['outcome']}")
    outcome = _structured(result)
    if outcome["status"] != "completed" or outcome["results_count"] != ALL_LEADS:
        raise RuntimeError(f"the call returned {outcome['status']}, {outcome['results_count']}")
    record = await store.get_search(request_id)
    if record is None or record.completed_at is None:
        raise RuntimeError(f"search {request_id} has no completion in Redis")
    return returned - record.completed_at.timestamp(), returned - float(taken["called_at"])


async def _wake_up(
    sandbox: RunningSandbox,
    store: SearchStore,
    memory: Client,
    replica: Helper,
    plan: _Plan,
    immediate_ms: float,
) -> list[Result]:
    written, called = [], []
    for number in range(plan.wakes):
        since_written, since_called = await _woken(sandbox, store, memory, replica, number)
        written.append(since_written * 1000)
        called.append(since_called * 1000)
    return [
        Result(
            "completion by callback elsewhere → tool return, p50",
            median(written),
            "ms",
            baseline=Baseline("same call on a completed search", immediate_ms),
            note=(
                f"{plan.wakes} runs: get_search_status waiting (polls an hour away) in this "
                "process, the callback taken by another OS process on the same Redis; from "
                "completed_at (stamped there as the completion is written; 1 ms resolution) "
                "to the call's return here, the Python client's re-validation of the result "
                "included (see above). From the other process starting to take the callback "
                f"(its validation included): p50 {median(called):.1f} ms"
            ),
        ),
        Result(
            "completion by callback elsewhere → tool return, p99",
            percentile(written, 99),
            "ms",
            target=at_most(WAKE_TARGET_MS),
            note=f"p99 of {plan.wakes} runs (the slowest: {max(written):.1f} ms)",
        ),
    ]


# -- 3. completion by polling ------------------------------------------------------------


def _schedule_cost(schedule: PollSchedule, *, has_callback: bool) -> tuple[list[float], float]:
    """Poll offsets up to and including the one that sees a 105 s search done; its lag."""

    def done(at: float) -> bool:
        return at >= API_SEARCH_SECONDS

    def offsets() -> Iterator[float]:
        """Seconds after submission of each poll."""
        return accumulate(schedule.delay(n, has_callback=has_callback) for n in count())

    before = list(takewhile(lambda at: not done(at), offsets()))
    seen = next(at for at in offsets() if done(at))
    return [*before, seen], seen - API_SEARCH_SECONDS


@dataclass(frozen=True)
class _Polled:
    """One search that only polling could finish, in milliseconds after the API finished."""

    seen: float
    """When the poll that saw it completed wrote the completion."""
    returned: float
    """When search_leads returned."""
    polls: int


async def _record_under_any_prefix(redis: aioredis.Redis, request_id: str) -> SearchRecord | None:
    """A search's record wherever it is: a server with a private sandbox has its own prefix."""
    for key in await redis.keys(f"*:search:{{{request_id}}}"):
        prefix = str(key).removesuffix(f":search:{{{request_id}}}")
        return await SearchStore(redis, keys=Keys(prefix=prefix)).get_search(request_id)
    return None


async def _polled_searches(redis_url: str, plan: _Plan) -> list[_Polled]:
    speed = plan.polled_speed
    settings = replica_settings(redis_url).model_copy(update={"leads_sandbox_speed": speed})
    # No API key: the server starts its own sandbox, scales the schedule by 1/speed and keeps
    # its state under a key prefix of its own. It warns about both: the point here, not news.
    quiet = logging.getLogger("shared.runtime")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    redis = aioredis.Redis.from_url(redis_url, decode_responses=True)

    async def search(client: Client, number: int) -> _Polled:
        # Staggered starts, so that no two searches poll (or return) at the same moment.
        await asyncio.sleep(number * STAGGER_SECONDS / speed)
        outcome = _structured(
            await client.call_tool(
                "search_leads",
                {
                    "description": f"{DESCRIPTION} (polled {number})",
                    "wait_seconds": WAIT_SECONDS,
                    "max_results": ALL_LEADS,
                },
            )
        )
        returned = time.time()
        record = await _record_under_any_prefix(redis, outcome["request_id"])
        if outcome["status"] != "completed" or record is None or record.completed_at is None:
            raise RuntimeError(f"search_leads returned {outcome}, the record is {record}")
        finished = record.created_at.timestamp() + API_SEARCH_SECONDS / speed
        return _Polled(
            seen=(record.completed_at.timestamp() - finished) * 1000,
            returned=(returned - finished) * 1000,
            polls=record.polls,
        )

    try:
        async with Client(create_server(settings), mode="legacy") as client:
            # Together: each waits as long as the schedule says, long at a low speed.
            polled = await asyncio.gather(*(search(client, n) for n in range(plan.polled)))
    finally:
        quiet.setLevel(level)
        await redis.aclose()
    return list(polled)


async def _polling(redis_url: str, plan: _Plan) -> list[Result]:
    speed = plan.polled_speed
    polled = await _polled_searches(redis_url, plan)
    schedule = PollSchedule()
    offsets, lag = _schedule_cost(schedule, has_callback=False)
    with_callback, callback_lag = _schedule_cost(schedule, has_callback=True)
    predicted = lag / speed * 1000
    seen = median([p.seen for p in polled])
    returned = median([p.returned for p in polled])
    polls = [p.polls for p in polled]
    drift = seen - predicted
    return [
        Result(
            "GET polls per 105 s search, polling only (PollSchedule)",
            len(offsets),
            "GETs",
            note=(
                f"polls at {', '.join(f'{at:g}' for at in offsets)} s after submission: the "
                f"completion is seen {lag:g} s late. With a callback URL the schedule is "
                f"sparser — {len(with_callback)} polls "
                f"({', '.join(f'{at:g}' for at in with_callback)} s), so a lost callback is "
                f"caught {callback_lag:g} s late — and the callback normally ends it first"
            ),
        ),
        Result(
            "completion by polling → search_leads return",
            returned,
            "ms",
            baseline=Baseline(f"schedule: {lag:g} s ÷ speed {speed:g}", predicted),
            note=(
                f"median of {plan.polled} searches on the server as it runs without an API key "
                f"(its embedded sandbox at {speed:g}x, the schedule scaled by 1/{speed:g}), from "
                f"the API finishing (submission + {API_SEARCH_SECONDS:g} s ÷ {speed:g}); "
                f"{plan.polled} at a time, starts staggered. The poll that saw it came "
                f"{seen:.0f} ms after it "
                f"({drift:+.0f} ms against the schedule: each delay counts from the end of the "
                "previous poll, so the polls' own time, which does not shrink with the speed, "
                f"pushes them later); the tool returned {returned - seen:.0f} ms after that "
                f"poll. At the real API's pace: {lag:g} s + about {returned - predicted:.0f} ms"
            ),
        ),
        Result(
            "GET polls that search cost, measured",
            median(polls),
            "GETs",
            baseline=Baseline("schedule", len(offsets)),
            note=f"the search record's poll count, each of {plan.polled} searches: {polls}",
        ),
    ]


# -- running it all ----------------------------------------------------------------------


async def _open_clients(
    stack: AsyncExitStack, redis_url: str, endpoint: ApiEndpoint, http_port: int
) -> tuple[Client, Client]:
    """The in-memory client (its server in this process) and the HTTP one, closed by ``stack``."""
    memory_server = create_server(replica_settings(redis_url), endpoint=endpoint)
    memory = await stack.enter_async_context(Client(memory_server, mode="legacy"))
    http_client = await stack.enter_async_context(
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60.0)
    )
    url = f"http://127.0.0.1:{http_port}/mcp"
    http = await stack.enter_async_context(
        Client(streamable_http_client(url, http_client=http_client), mode="legacy")
    )
    return memory, http


async def run(quick: bool) -> list[Result]:
    """Start Redis, the sandbox, the other processes and the servers; measure the three."""
    plan = QUICK if quick else FULL
    config = SandboxConfig(
        speed=SANDBOX_SPEED, rate_limit_per_minute=0, rate_limit_per_hour=0, faults=DROP_CALLBACKS
    )
    with redis_server() as server:
        async with (
            start_sandbox(config) as sandbox,
            start_helper("bench._replica") as replica,
            start_helper("bench._mcp_http") as http_server,
        ):
            setup = {"redis_url": server.url, "api_url": sandbox.base_url}
            await replica.request(setup, timeout=60)
            port = (await http_server.request({**setup, "token": TOKEN}, timeout=60))["port"]
            endpoint = ApiEndpoint(
                sandbox.base_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True
            )
            async with AsyncExitStack() as stack:
                direct = await stack.enter_async_context(
                    open_runtime(
                        replica_settings(server.url), endpoint=endpoint, schedule=FAST_POLLS
                    )
                )
                memory, http = await _open_clients(stack, server.url, endpoint, int(port))
                results, immediate = await _added_latency(direct, memory, http, plan)
                results += await _wake_up(sandbox, direct.store, memory, replica, plan, immediate)
        results += await _polling(server.url, plan)
    return results
