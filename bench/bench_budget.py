"""The shared request budget under a burst from every front: 429s, use of the limit, waits.

Each scenario starts a private redis-server, the sandbox API in a process of its own with
its real limits (60 requests a minute and 1000 an hour per key, every duration divided by
its speed: at 5, the default, a minute lasts 12 s), and the ``Procfile``'s ``web``,
``worker`` and ``mcp`` processes on one API key, told the sandbox's speed
(``LEADS_SANDBOX_SPEED``) so their shared limiter keeps the same windows. Then, at once:

* the bot gets ``BOT`` signed ``/leads`` commands (callbacks on: its ``PUBLIC_BASE_URL``
  is the ``web`` process);
* the MCP server gets ``MCP`` ``search_leads(wait_seconds=0)`` calls over streamable HTTP,
  through the official MCP client (callbacks off);
* the CLI runs ``CLI`` ``leads search --no-wait`` commands, a few processes at a time so
  the machine copes; each one's start counts as its submission (callbacks off).

Queued MCP and CLI searches are submitted by whichever process's queue runner takes them;
the bot's processes attach their callback URL, so which searches had a callback is read
from the search records, not assumed.

Why speed 5, not the product's usual 10: per-request costs that do not scale with the
sandbox — the limiter's 0.25-s minimum margin, the second or so 150 fronts' requests take
to reach the API on a busy 2-core machine — are a share of every window that grows with the
speed. At 10 they cost about 8 % of a 6-s window, at the real API's pace under 3 %; at 5,
half of what they cost at 10.

Reported, from the sandbox's own record of every request it admitted or refused:

* **429s** the API answered (target 0);
* **use of the limit** while work waited: at each moment from the first submission to the
  last ``/leads``, MCP or CLI search reaching the API (not a watch's: watches may use only
  60 % of a window by design), the requests the API admitted in the trailing window as a
  share of what that window allows, the tighter window deciding, averaged over that time
  (target ≥ 90 %). The note also gives the count over the whole interval against the most
  any sender could have made in it (``limit × (⌊T / window⌋ + 1)``): that figure swings
  with where the last search happens to fall in a window — a window opened just before the
  backlog ran out counts as a whole window allowed but unused, though nothing was left to
  send — so it is stated, not judged;
* **polls per search**, with and without a callback (the records' ``polls``);
* the longest time a ``/leads`` waited for its search to reach the API (command sent →
  the API created it), behind MCP and CLI work;
* **refused** submissions (MCP tool errors, CLI non-zero exits; target 0) and searches the
  API got other than exactly once (target 0).

A second scenario adds ``WATCHES`` watches due at the moment of the burst: the same
numbers, the ``/leads`` wait against the first scenario's, and how many watch searches
reached the API before the last ``/leads`` did (people go first).
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import httpx2
import redis.asyncio as aioredis
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from bench._procs import Helper, redis_server, start_helper
from bench._spec import SPEC_DESCRIPTIONS
from bench.chaos.rig import Process, free_port, product_env
from bench.model import Baseline, Result, at_least, at_most
from sandbox.server import DEFAULT_API_KEY, DEFAULT_API_SECRET
from sandbox.slack import DEFAULT_TOKEN, sign, slash_command_body
from shared.state.keys import Keys
from shared.state.records import Origin, SearchRecord
from shared.state.store import SearchStore
from shared.watch.schedule import WatchClock
from shared.watch.store import WatchBudget, WatchStore

__all__ = ["FULL", "QUICK", "Plan", "run"]

SIGNING_SECRET = "budget-signing-secret-0123456789"  # noqa: S105 - a throwaway value
MCP_TOKEN = "budget-bench-mcp-token-0123456789abcdef"  # noqa: S105 - a throwaway value
CHANNEL, USER, USER_NAME = "C0LEADS", "U0ALICE", "alice"  # the Slack stand-in's seed
PER_MINUTE, PER_HOUR = 60, 1000
"""The API's limits per key (the sandbox's defaults, and the product's)."""
USE_TARGET = 90.0
SPEED_VARIABLE = "BENCH_BUDGET_SPEED"
"""Overrides the sandbox's speed (default 5, 20 for ``--quick``)."""
READY_TIMEOUT = 90.0
CLI_ENTRY = "from cli.main import main; main()"
"""``leads`` (``cli.main:main``), run with this interpreter and this checkout's code."""


@dataclass(frozen=True)
class Plan:
    """How big a run is."""

    bot: int
    mcp: int
    cli: int
    watches: int
    speed: float
    cli_concurrency: int
    settle_timeout: float
    """Seconds (real) to wait for every search to reach the API, and again to finish."""

    @property
    def searches(self) -> int:
        """Searches submitted by the three fronts (watches not counted)."""
        return self.bot + self.mcp + self.cli

    @property
    def minute(self) -> float:
        """The API's minute window, in real seconds at this speed."""
        return 60.0 / self.speed

    @property
    def hour(self) -> float:
        """The API's hour window, in real seconds at this speed."""
        return 3600.0 / self.speed


FULL = Plan(bot=100, mcp=50, cli=50, watches=20, speed=5.0, cli_concurrency=6, settle_timeout=900.0)
QUICK = Plan(bot=6, mcp=3, cli=3, watches=3, speed=20.0, cli_concurrency=3, settle_timeout=120.0)


@dataclass
class _Sent:
    """One submission: which front, its description, when it was sent, whether refused."""

    front: str
    description: str
    sent_at: float
    refused: str | None = None


@dataclass
class _Outcome:
    """What one scenario measured."""

    plan: Plan
    watches: int
    sent: list[_Sent]
    admitted: list[float]
    rate_limited: int
    refused: list[tuple[float, float]]
    """(when, how many seconds before a slot freed) of each request the API answered 429."""
    created: dict[str, list[float]]
    """Description → when the API created each search with it."""
    request_ids: dict[str, str]
    records: dict[str, SearchRecord]
    watch_descriptions: set[str]
    unsettled: int
    notes: list[str] = field(default_factory=list)


def _description(front: str, index: int) -> str:
    # Distinct descriptions: none reuses another's search, and each is found by its text.
    return f"{SPEC_DESCRIPTIONS[index % len(SPEC_DESCRIPTIONS)]} (budget {front} {index})"


# -- the rig ----------------------------------------------------------------------------


def _processes(
    plan: Plan, redis_url: str, setup: dict[str, Any], log_dir: Path
) -> dict[str, Process]:
    common = {
        "redis_url": redis_url,
        "api_url": setup["api_url"],
        "api_key": DEFAULT_API_KEY,
        "api_secret": DEFAULT_API_SECRET,
        "slack_api_url": setup["slack_api_url"],
        "slack_token": DEFAULT_TOKEN,
        "signing_secret": SIGNING_SECRET,
        # The API's real budget, at the sandbox's pace (the key is the sandbox's).
        "LEADS_RATE_LIMIT_PER_MINUTE": str(PER_MINUTE),
        "LEADS_RATE_LIMIT_PER_HOUR": str(PER_HOUR),
        "LEADS_SANDBOX_SPEED": f"{plan.speed:g}",
    }
    web_port = str(free_port())
    web_url = f"http://127.0.0.1:{web_port}"
    web = product_env(**common, PORT=web_port, PUBLIC_BASE_URL=web_url, LEADS_RUN_SWEEP="false")
    # Config vars are app-wide: the worker's searches carry web's callback URL too.
    worker = product_env(**common, PUBLIC_BASE_URL=web_url)
    mcp = product_env(**common, PORT=str(free_port()), MCP_AUTH_TOKEN=MCP_TOKEN)
    return {
        "web": Process("web", "web", web, log_dir),
        "worker": Process("worker", "worker", worker, log_dir),
        "mcp": Process("mcp", "mcp", mcp, log_dir),
    }


def _cli_env(plan: Plan, redis_url: str, setup: dict[str, Any]) -> dict[str, str]:
    env = product_env(
        redis_url=redis_url,
        api_url=setup["api_url"],
        api_key=DEFAULT_API_KEY,
        api_secret=DEFAULT_API_SECRET,
        slack_api_url=setup["slack_api_url"],
        slack_token=DEFAULT_TOKEN,
        signing_secret=SIGNING_SECRET,
        LEADS_RATE_LIMIT_PER_MINUTE=str(PER_MINUTE),
        LEADS_RATE_LIMIT_PER_HOUR=str(PER_HOUR),
        LEADS_SANDBOX_SPEED=f"{plan.speed:g}",
        LEADS_LOG_LEVEL="WARNING",
    )
    env.pop("SLACK_SIGNING_SECRET", None)
    return env


async def _ready(processes: dict[str, Process], http: httpx.AsyncClient) -> None:
    """web answers /healthz, mcp accepts connections, the worker says it runs."""
    deadline = time.monotonic() + READY_TIMEOUT
    for process in processes.values():
        while not await _is_ready(process, http):
            if not process.running:
                raise RuntimeError(f"{process.name} exited at start:\n{process.log_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{process.name} not ready after {READY_TIMEOUT:g} s")
            await asyncio.sleep(0.1)


async def _is_ready(process: Process, http: httpx.AsyncClient) -> bool:
    if process.kind == "worker":
        return "Leads worker running" in process.log_text()
    path = "/healthz" if process.kind == "web" else "/mcp"
    try:
        response = await http.get(f"{process.url}{path}", timeout=2.0)
    except httpx.HTTPError:
        return False
    return response.status_code < 500 if process.kind == "mcp" else response.status_code == 200


# -- the three fronts -------------------------------------------------------------------


async def _bot(
    http: httpx.AsyncClient, url: str, team_id: str, response_urls: list[str], index: int
) -> _Sent:
    description = _description("bot", index)
    body = slash_command_body(
        "/leads",
        description,
        user_id=USER,
        user_name=USER_NAME,
        channel_id=CHANNEL,
        channel_name="leads",
        team_id=team_id,
        response_url=response_urls[index],
    )
    headers = {**sign(SIGNING_SECRET, body), "Content-Type": "application/x-www-form-urlencoded"}
    sent = _Sent("bot", description, time.time())
    try:
        response = await http.post(f"{url}/slack/events", content=body, headers=headers)
    except httpx.HTTPError as err:
        sent.refused = f"{type(err).__name__}"
        return sent
    if response.status_code != 200:
        sent.refused = f"HTTP {response.status_code}"
    return sent


async def _mcp(client: Client, index: int) -> _Sent:
    description = _description("mcp", index)
    sent = _Sent("mcp", description, time.time())
    result = await client.call_tool("search_leads", {"description": description, "wait_seconds": 0})
    if result.is_error or result.structured_content is None:
        text = " ".join(getattr(block, "text", "") for block in result.content)
        sent.refused = text[:200] or "tool error"
    return sent


async def _cli(env: dict[str, str], gate: asyncio.Semaphore, index: int) -> _Sent:
    description = _description("cli", index)
    async with gate:
        sent = _Sent("cli", description, time.time())
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CLI_ENTRY,
            "search",
            "--no-wait",
            description,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _out, err = await process.communicate()
    if process.returncode != 0:
        sent.refused = f"exit {process.returncode}: {err.decode(errors='replace')[-200:]}"
    return sent


# -- watches due at the burst -----------------------------------------------------------


async def _make_watches(
    redis: aioredis.Redis, count: int
) -> tuple[WatchStore, list[str], set[str]]:
    """``count`` daily watches with no channel (their runs are kept, as the CLI's are)."""
    store = WatchStore(
        redis,
        keys=Keys(),
        clock=WatchClock(),
        budget=WatchBudget(requests_per_hour=PER_HOUR),
        per_channel=max(count, 1),
    )
    origin = Origin(front="cli", client="bench-budget")
    ids, descriptions = [], set()
    for index in range(count):
        description = _description("watch", index)
        watch = await store.create(description, "daily", origin)
        ids.append(watch.watch_id)
        descriptions.add(description)
    return store, ids, descriptions


async def _make_due(store: WatchStore, ids: list[str], at: float) -> None:
    """Every watch due at ``at``: the worker's next scheduler pass (each second) runs them."""
    if ids:
        await store.redis.zadd(store.keys.watches_due, dict.fromkeys(ids, at))


# -- a scenario -------------------------------------------------------------------------


async def _report(sandbox: Helper) -> dict[str, Any]:
    return await sandbox.request({"op": "report"}, timeout=30.0)


async def _until_reached(sandbox: Helper, expected: set[str], deadline: float) -> dict[str, Any]:
    """The sandbox's report once every expected description reached it (or at the deadline)."""
    while True:
        report = await _report(sandbox)
        seen = {s["description"] for s in report["searches"]}
        if expected <= seen or time.monotonic() > deadline:
            return report
        await asyncio.sleep(0.5)


async def _until_settled(
    store: SearchStore, request_ids: Iterable[str], deadline: float
) -> tuple[dict[str, SearchRecord], int]:
    """Every search's record once all are finished (or at the deadline), and how many aren't."""
    ids = list(request_ids)
    while True:
        records = {}
        for request_id in ids:
            record = await store.get_search(request_id)
            if record is not None:
                records[request_id] = record
        open_ = (
            sum(1 for r in records.values() if not r.status.is_terminal) + len(ids) - len(records)
        )
        if open_ == 0 or time.monotonic() > deadline:
            return records, open_
        await asyncio.sleep(1.0)


async def _scenario(plan: Plan, watches: int) -> _Outcome:
    async with AsyncExitStack() as stack:
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-budget-")))
        server = stack.enter_context(redis_server())
        sandbox = await stack.enter_async_context(start_helper("bench._budget_sandbox"))
        setup = await sandbox.request({"speed": plan.speed}, timeout=60.0)
        urls = await sandbox.request(
            {"op": "response_urls", "channel": CHANNEL, "user": USER, "count": plan.bot},
            timeout=30.0,
        )
        processes = _processes(plan, server.url, setup, log_dir)
        for process in processes.values():
            stack.callback(process.stop)
            process.start()
        limits = httpx.Limits(max_connections=plan.bot + 10)
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=60.0, limits=limits))
        await _ready(processes, http)
        redis = aioredis.Redis.from_url(server.url, decode_responses=True)
        stack.push_async_callback(redis.aclose)
        watch_store, watch_ids, watch_descriptions = await _make_watches(redis, watches)
        mcp_http = await stack.enter_async_context(
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {MCP_TOKEN}"}, timeout=120.0)
        )
        client = await stack.enter_async_context(
            Client(
                streamable_http_client(f"{processes['mcp'].url}/mcp", http_client=mcp_http),
                mode="legacy",
            )
        )
        cli_env = _cli_env(plan, server.url, setup)
        gate = asyncio.Semaphore(plan.cli_concurrency)

        await _make_due(watch_store, watch_ids, time.time())
        sends = [
            *(
                _bot(http, processes["web"].url, setup["team_id"], urls["urls"], n)
                for n in range(plan.bot)
            ),
            *(_mcp(client, n) for n in range(plan.mcp)),
            *(_cli(cli_env, gate, n) for n in range(plan.cli)),
        ]
        sent: list[_Sent] = list(await asyncio.gather(*sends))
        expected = {s.description for s in sent if s.refused is None} | watch_descriptions
        deadline = time.monotonic() + plan.settle_timeout
        report = await _until_reached(sandbox, expected, deadline)
        store = SearchStore(redis, keys=Keys())
        records, unsettled = await _until_settled(
            store,
            [s["request_id"] for s in report["searches"]],
            time.monotonic() + plan.settle_timeout,
        )
        # Every request and search to the end: polls, and any search sent a second time.
        report = await _report(sandbox)
        created: dict[str, list[float]] = {}
        request_ids: dict[str, str] = {}
        for search in report["searches"]:
            created.setdefault(search["description"], []).append(search["created"])
            request_ids[search["request_id"]] = search["description"]
        return _Outcome(
            plan=plan,
            watches=watches,
            sent=sent,
            admitted=sorted(report["admitted"]),
            rate_limited=int(report["rate_limited"]),
            refused=[(float(at), float(early)) for at, early in report["refused"]],
            created=created,
            request_ids=request_ids,
            records=records,
            watch_descriptions=watch_descriptions,
            unsettled=unsettled,
        )
    raise AssertionError("unreachable")  # pragma: no cover - the stack re-raises or returns


# -- the numbers ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Use:
    sent: int
    allowed: int
    seconds: float
    fill: float
    """Mean fill of the fuller window over the interval, in %."""

    @property
    def share(self) -> float:
        return 100.0 * self.sent / self.allowed if self.allowed else 0.0


def _use_of_limit(admitted: list[float], start: float, end: float, plan: Plan) -> _Use:
    """Requests admitted in [start, end] over the most the windows allow in that time."""
    seconds = max(end - start, 0.0)
    windows = ((PER_MINUTE, plan.minute), (PER_HOUR, plan.hour))
    allowed = min(limit * (math.floor(seconds / length) + 1) for limit, length in windows)
    inside = [t for t in admitted if start <= t <= end]
    steps = 400
    fills = []
    for step in range(steps + 1):
        now = start + seconds * step / steps
        fill = 0.0
        for limit, length in windows:
            since = max(start, now - length)
            count = sum(1 for t in inside if since < t <= now) + (1 if now == start else 0)
            fill = max(fill, min(count / limit, 1.0))
        fills.append(fill)
    return _Use(len(inside), allowed, seconds, 100.0 * sum(fills) / len(fills))


def _results(outcome: _Outcome, baseline_wait: float | None) -> tuple[list[Result], float]:
    plan = outcome.plan
    suffix = f", {outcome.watches} watches due" if outcome.watches else ""
    first = min(s.sent_at for s in outcome.sent)
    fronts = {s.description for s in outcome.sent}
    ours = fronts | outcome.watch_descriptions
    # Until the fronts' last search reached the API: watches' searches that wait after it
    # may by design use only part of each window (the limiter's watch reserve).
    last = max((t for d in fronts for t in outcome.created.get(d, [])), default=first)
    use = _use_of_limit(outcome.admitted, first, last, plan)
    ramp = _ramp(outcome.admitted, first)
    waited = plan.searches + outcome.watches > PER_MINUTE
    refused = [s for s in outcome.sent if s.refused is not None]
    by_front = Counter(s.front for s in refused)
    not_once = sum(
        1
        for s in outcome.sent
        if s.refused is None and len(outcome.created.get(s.description, [])) != 1
    ) + sum(1 for d in outcome.watch_descriptions if len(outcome.created.get(d, [])) != 1)
    bot_waits = [
        min(outcome.created[s.description]) - s.sent_at
        for s in outcome.sent
        if s.front == "bot" and outcome.created.get(s.description)
    ]
    max_wait = max(bot_waits, default=math.nan)
    windows = math.ceil(plan.bot / PER_MINUTE)
    last_bot = max(
        (
            min(outcome.created[s.description])
            for s in outcome.sent
            if s.front == "bot"
            if outcome.created.get(s.description)
        ),
        default=last,
    )
    others_first = [
        min(outcome.created[s.description])
        for s in outcome.sent
        if s.front != "bot"
        and outcome.created.get(s.description)
        and min(outcome.created[s.description]) < last_bot
    ]
    ours_records = [r for rid, r in outcome.records.items() if outcome.request_ids.get(rid) in ours]
    with_cb = [r.polls for r in ours_records if r.has_callback]
    without_cb = [r.polls for r in ours_records if not r.has_callback]
    cb_fronts = Counter(r.origin.front for r in ours_records if r.has_callback)
    split = (
        f"{plan.bot} /leads, {plan.mcp} MCP, {plan.cli} CLI"
        + (f", {outcome.watches} watches" if outcome.watches else "")
        + f"; at speed {plan.speed:g} (a minute lasts {plan.minute:.3g} s)"
    )
    results = [
        Result(
            f"429s answered by the API{suffix}",
            float(outcome.rate_limited),
            "responses",
            target=at_most(0),
            note=(
                f"the sandbox's count, {len(outcome.admitted):,} requests admitted in all"
                + (
                    f" (each came at most {max(e for _, e in outcome.refused):.3f} s before "
                    "a slot freed)"
                    if outcome.refused
                    else ""
                )
                + "; "
                + split
            ),
        ),
        Result(
            f"use of the limit while searches waited{suffix}",
            use.fill,
            "%",
            # Fewer searches than a minute allows never wait: no share of the limit to judge.
            target=at_least(USE_TARGET) if waited else None,
            note=(
                ("" if waited else "nothing waited (fewer searches than a window allows); ")
                + f"the mean fill of the fuller window (60/{plan.minute:.3g} s, "
                f"1000/{plan.hour:.3g} s) over the {use.seconds:.1f} s from the first "
                "submission to the last /leads, MCP or CLI search reaching the API; in all "
                f"{use.sent:,} requests of at most {use.allowed:,} any sender could have made "
                f"in that time ({use.share:.1f} %: a window opened just before the backlog ran "
                "out counts as allowed though nothing was left to send)"
                + (
                    ""
                    if math.isnan(ramp)
                    else f". The first {PER_MINUTE} requests reached the API {ramp:.2f} s "
                    "after the burst began (the fronts' own work on a busy machine), and each "
                    "later window repeats that spread plus the limiter's margin"
                )
            ),
        ),
        Result(
            f"polls per search with a callback{suffix}",
            _mean(with_cb),
            "polls",
            baseline=Baseline("without a callback", _mean(without_cb)) if without_cb else None,
            note=(
                f"{len(with_cb)} searches with a callback "
                f"({', '.join(f'{n} {f}' for f, n in sorted(cb_fronts.items())) or 'none'}), "
                f"{len(without_cb)} without; {outcome.unsettled} still open at the end"
            ),
        ),
        Result(
            f"polls per search without a callback{suffix}",
            _mean(without_cb),
            "polls",
            note=(
                "a search takes 105 sandbox-seconds; without a callback only polls finish it. "
                "Polls leave 20 % of each window to submissions, so while searches wait they "
                "wait too, and the worker's sweep runs once a real second "
                f"({plan.speed:g} sandbox-seconds here): fewer polls than the schedule's ~6 "
                "when the budget is not full"
            ),
        ),
        Result(
            f"longest /leads wait for the API{suffix}",
            max_wait,
            "s",
            baseline=Baseline("without watches", baseline_wait)
            if baseline_wait is not None
            else None,
            note=(
                f"command sent → the API created its search, over {len(bot_waits)} /leads "
                f"sent at once with {plan.mcp + plan.cli} MCP and CLI searches; "
                f"{plan.bot} searches need {windows} minute windows, "
                f"so the floor is about {(windows - 1) * plan.minute:.3g} s; "
                f"{len(others_first)} MCP and CLI searches reached the API before the last "
                "/leads, the latest "
                f"{(max(others_first) - first) if others_first else 0.0:.1f} s after the burst "
                "(a queued search goes at once only while no /leads waits for a slot)"
            ),
        ),
        Result(
            f"submissions refused instead of queued{suffix}",
            float(len(refused)),
            "submissions",
            target=at_most(0),
            note=(
                ", ".join(f"{n} {front}" for front, n in sorted(by_front.items()))
                + (f"; first: {refused[0].refused}" if refused else "")
            )
            or "MCP tool errors and CLI non-zero exits",
        ),
        Result(
            f"searches not sent to the API exactly once{suffix}",
            float(not_once),
            "searches",
            target=at_most(0),
            note="by description, from the sandbox's list of the searches it was sent",
        ),
    ]
    if outcome.watches:
        watch_times = sorted(
            t for d in outcome.watch_descriptions for t in outcome.created.get(d, [])
        )
        before = sum(1 for t in watch_times if t < last_bot)
        results.append(
            Result(
                "watch searches that reached the API before the last /leads",
                float(before),
                "searches",
                note=(
                    f"of {len(watch_times)}; the first watch search reached it "
                    f"{(watch_times[0] - first) if watch_times else math.nan:.1f} s after the "
                    f"burst, the last /leads {last_bot - first:.1f} s after it"
                ),
            )
        )
    return results, max_wait


def _ramp(admitted: list[float], start: float) -> float:
    """Seconds from ``start`` until a minute's worth of requests had reached the API."""
    after = sorted(t for t in admitted if t >= start)
    return after[PER_MINUTE - 1] - start if len(after) >= PER_MINUTE else math.nan


def _mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else 0.0


async def run(quick: bool) -> list[Result]:
    """Run the burst without and then with watches due; report both."""
    plan = QUICK if quick else FULL
    speed = os.environ.get(SPEED_VARIABLE)
    if speed:
        plan = dataclasses.replace(plan, speed=float(speed))
    plain = await _scenario(plan, watches=0)
    results, wait = _results(plain, None)
    watched = await _scenario(plan, watches=plan.watches)
    more, _ = _results(watched, wait)
    return results + more
