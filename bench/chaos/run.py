"""One chaos run, start to end: start everything, send, inject, drain, judge, stop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bench._spec import SPEC_DESCRIPTIONS
from bench.chaos.logscan import ErrorLine, FaultWindow, scan_log
from bench.chaos.outcomes import Outcome, Seen, Sent, Verdict, classify, extra_searches
from bench.chaos.report import Summary
from bench.chaos.rig import AofRedis, Process, free_port, product_env
from bench.chaos.scenario import Action, Scenario, plan
from bot.keys import BotKeys
from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from sandbox.slack import DEFAULT_TOKEN, sign, slash_command_body
from tests.bot.support import message_text

__all__ = ["run_chaos"]

log = logging.getLogger(__name__)

SIGNING_SECRET = "chaos-signing-secret-0123456789"  # noqa: S105 - a throwaway value for this run
USER, USER_NAME = "U0ALICE", "alice"
READY_TIMEOUT = 60.0
HTTP_TIMEOUT = 10.0
WEB = ("web-a", "web-b")
BOT_KEYS = BotKeys()


@dataclass
class _Rig:
    """Everything running during a run."""

    scenario: Scenario
    sandbox: RunningSandbox
    redis: AofRedis
    processes: dict[str, Process]
    http: httpx.AsyncClient
    start: float = 0.0
    """Event-loop time of the first command."""
    wall_start: float = 0.0
    injected: list[dict[str, Any]] = field(default_factory=list)
    windows: list[FaultWindow] = field(default_factory=list)

    def note(self, what: str) -> None:
        """Record an injected fault, as it happens."""
        at = asyncio.get_running_loop().time() - self.start
        self.injected.append({"at": round(at, 3), "what": what, "wall": time.time()})
        print(f"  +{at:6.1f} s  {what}", flush=True)


async def run_chaos(scenario: Scenario, run_dir: Path) -> Summary:
    """Run ``scenario``, keeping the logs and ``summary.json`` under ``run_dir``; the summary."""
    began = time.monotonic()
    await asyncio.to_thread(run_dir.mkdir, parents=True, exist_ok=True)
    sandbox_errors: list[logging.LogRecord] = []
    async with _running(scenario, run_dir, sandbox_errors.append) as rig:
        timeline = plan(scenario)
        print(
            f"chaos: sending {scenario.commands} commands over {scenario.window:.0f} s "
            f"(logs in {run_dir})",
            flush=True,
        )
        sent = await _send_and_inject(rig, timeline)
        print("chaos: waiting for every command to settle", flush=True)
        unsettled = await _drain(rig, sent)
        outcomes, extra = _judge(rig, sent)
        searches = _search_notes(rig)
    summary = Summary(
        scenario=scenario,
        outcomes=outcomes,
        extra_searches=extra,
        error_lines=_scan_logs(rig, sandbox_errors),
        injected=rig.injected,
        timeline=timeline,
        run_dir=str(run_dir),
        seconds=time.monotonic() - began,
        unsettled=unsettled,
        fates={
            o.sent.index: searches[o.sent.description][0].fate
            for o in outcomes
            if searches.get(o.sent.description)
        },
    )
    logs = _log_lines(rig)
    for outcome in summary.missed():
        summary.traces[outcome.sent.index] = _trace(rig, outcome, searches, logs)
    await asyncio.to_thread(
        (run_dir / "summary.json").write_text, json.dumps(summary.to_json(), indent=2)
    )
    return summary


@asynccontextmanager
async def _running(
    scenario: Scenario, run_dir: Path, on_sandbox_error: Callable[[logging.LogRecord], None]
) -> AsyncIterator[_Rig]:
    """Redis, the sandbox with its faults armed, and the Procfile's processes, ready."""
    redis = AofRedis(run_dir / "redis")
    await asyncio.to_thread(redis.start)
    capture = _Capture(on_sandbox_error)
    logging.getLogger("sandbox").addHandler(capture)
    config = SandboxConfig(
        speed=scenario.speed,
        # No 429 of its own: only the faults injected on purpose happen (see product_env).
        rate_limit_per_minute=0,
        rate_limit_per_hour=0,
        fault_seed=scenario.seed,
    )
    processes: dict[str, Process] = {}
    try:
        async with start_sandbox(config) as sandbox, httpx.AsyncClient() as http:
            common = {
                "redis_url": redis.url,
                "api_url": sandbox.base_url,
                "api_key": config.api_key,
                "api_secret": config.api_secret,
                "slack_api_url": sandbox.slack_api_url,
                "slack_token": DEFAULT_TOKEN,
                "signing_secret": SIGNING_SECRET,
                # The sandbox's speed, stated: the processes poll it at its pace (as the
                # embedded one is), so a dropped callback costs sandbox seconds, not real ones.
                "LEADS_SANDBOX_SPEED": str(scenario.speed),
            }
            for name in WEB:
                port = str(free_port())
                env = product_env(
                    **common,
                    PORT=port,
                    PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
                    LEADS_RUN_SWEEP="false",  # the worker does it (README: Scaling)
                )
                processes[name] = Process(name, "web", env, run_dir)
            # Config vars are app-wide on a platform, so the worker has a PUBLIC_BASE_URL too:
            # searches it submits (the durable intake lets it) carry a callback URL, web-a's.
            worker_env = product_env(**common, PUBLIC_BASE_URL=processes["web-a"].url)
            processes["worker"] = Process("worker", "worker", worker_env, run_dir)
            rig = _Rig(scenario, sandbox, redis, processes, http)
            for process in processes.values():
                process.start()
            await _ready(rig)
            _arm_faults(rig)
            yield rig
    finally:
        for process in processes.values():
            await asyncio.to_thread(process.stop)
        logging.getLogger("sandbox").removeHandler(capture)
        await asyncio.to_thread(redis.stop)


class _Capture(logging.Handler):
    """Hands the sandbox's error records to the run (its log is this process's)."""

    def __init__(self, sink: Callable[[logging.LogRecord], None]) -> None:
        super().__init__(logging.ERROR)
        self._sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self._sink(record)


async def _ready(rig: _Rig) -> None:
    """Every process up: the web replicas answer /healthz 200, the worker says it runs."""
    deadline = time.monotonic() + READY_TIMEOUT
    for process in rig.processes.values():
        while not await _is_ready(rig.http, process):
            if not process.running:
                raise RuntimeError(f"{process.name} exited at start:\n{process.log_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{process.name} not ready after {READY_TIMEOUT:g} s")
            await asyncio.sleep(0.1)


async def _is_ready(http: httpx.AsyncClient, process: Process) -> bool:
    if process.kind == "worker":
        return "Leads worker running" in process.log_text()
    with contextlib.suppress(httpx.HTTPError):
        return (await http.get(f"{process.url}/healthz", timeout=2.0)).status_code == 200
    return False


def _arm_faults(rig: _Rig) -> None:
    """The standing faults: callbacks dropped, repeated, misrouted; Slack's 429s."""
    s = rig.scenario
    rig.sandbox.faults.update(
        {
            "drop_callbacks": f"{s.drop_callbacks_percent:g}%",
            "duplicate_callbacks": f"{s.duplicate_callbacks_percent:g}%",
            "duplicate_copies": s.duplicate_copies,
            "misroute_callbacks": f"{s.misroute_callbacks_percent:g}%",
            "misroute_to": ",".join(rig.processes[name].url for name in WEB),
        }
    )
    rig.sandbox.slack.faults.rate_limit_every("*", every=s.slack_429_every, retry_after=1)
    now = time.time()
    rig.windows.append(FaultWindow("slack_429", now, float("inf")))
    for index in range(s.commands):
        rig.sandbox.slack.add_channel(
            _channel(index), f"chaos-{index}", members=(USER, rig.sandbox.slack.bot_user_id)
        )


def _channel(index: int) -> str:
    return f"C0CHAOS{index:05d}"


def _description(scenario: Scenario, index: int) -> str:
    # Distinct descriptions, so none reuses another's search, each finding a full thread.
    base = SPEC_DESCRIPTIONS[index % len(SPEC_DESCRIPTIONS)]
    return f"{base} (chaos {scenario.seed}-{index})"


async def _send_and_inject(rig: _Rig, timeline: list[Action]) -> list[Sent]:
    loop = asyncio.get_running_loop()
    draw = random.Random(rig.scenario.seed)
    replicas = [draw.choice(WEB) for _ in range(rig.scenario.commands)]
    rig.start = loop.time() + 0.5
    rig.wall_start = time.time() + 0.5
    injections = [asyncio.create_task(_inject(rig, action)) for action in timeline]
    sends = [
        asyncio.create_task(_send(rig, index, replicas[index]))
        for index in range(rig.scenario.commands)
    ]
    sent = await asyncio.gather(*sends)
    await asyncio.gather(*injections)
    return list(sent)


async def _until(rig: _Rig, offset: float) -> None:
    await asyncio.sleep(max(0.0, rig.start + offset - asyncio.get_running_loop().time()))


async def _send(rig: _Rig, index: int, first: str) -> Sent:
    """One signed ``/leads``, to ``first`` or, if it refuses connections, the other replica
    (what a load balancer does with a replica that is down)."""
    await _until(rig, index / rig.scenario.rate)
    slack = rig.sandbox.slack
    channel = _channel(index)
    description = _description(rig.scenario, index)
    body = slash_command_body(
        "/leads",
        description,
        user_id=USER,
        user_name=USER_NAME,
        channel_id=channel,
        channel_name=f"chaos-{index}",
        team_id=slack.team_id,
        response_url=slack.new_response_url(rig.sandbox.slack_api_url, channel, USER),
    )
    headers = {**sign(SIGNING_SECRET, body), "Content-Type": "application/x-www-form-urlencoded"}
    sent_at = time.time()
    order = [first, *(name for name in WEB if name != first)]
    error = "no replica reachable"
    for replica in order:
        url = f"{rig.processes[replica].url}/slack/events"
        began = time.monotonic()
        try:
            response = await rig.http.post(url, content=body, headers=headers, timeout=HTTP_TIMEOUT)
        except httpx.ConnectError as err:
            error = f"{replica}: {type(err).__name__}"
            continue  # never reached it: the load balancer tries the other one
        except httpx.HTTPError as err:  # reached it, and no answer came: Slack shows an error
            return Sent(index, channel, description, sent_at, replica, None, None, repr(err))
        elapsed = round(time.monotonic() - began, 3)
        return Sent(index, channel, description, sent_at, replica, response.status_code, elapsed)
    return Sent(index, channel, description, sent_at, order[-1], None, None, error)


async def _inject(rig: _Rig, action: Action) -> None:
    await _until(rig, action.at)
    s = rig.scenario
    if action.kind == "kill":
        process = rig.processes[action.target]
        if process.kind == "web":
            await _others_serving(rig, process)
        await asyncio.to_thread(process.kill)
        rig.note(f"SIGKILL {action.target}")
        await asyncio.sleep(s.restart_after)
        process.start()
        rig.note(f"restarted {action.target}")
    elif action.kind == "redis_down":
        down = time.time()
        await asyncio.to_thread(rig.redis.stop)
        rig.note("Redis shut down")
        await asyncio.sleep(s.redis_down_seconds)
        await asyncio.to_thread(rig.redis.start)
        rig.windows.append(FaultWindow("redis_down", down, time.time()))
        rig.note("Redis started again")
    elif action.kind == "api_500_burst":
        rig.sandbox.faults.update({"fail_requests": s.api_500_burst})
        rig.windows.append(FaultWindow("api_500", time.time(), float("inf")))
        rig.note(f"API: next {s.api_500_burst} requests answer 500")
    else:
        rig.sandbox.faults.update({"fail_after_create": 1})
        rig.windows.append(FaultWindow("api_500", time.time(), float("inf")))
        rig.note("API: next POST creates the search, then answers 500")


async def _others_serving(rig: _Rig, victim: Process) -> None:
    """Wait (up to ``READY_TIMEOUT``) until the other web replicas answer HTTP: a kill is
    meant to be ridden out behind the load balancer, not to take every replica down."""
    deadline = time.monotonic() + READY_TIMEOUT
    for other in rig.processes.values():
        if other is victim or other.kind != "web":
            continue
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                await rig.http.get(f"{other.url}/healthz", timeout=2.0)
                break
            await asyncio.sleep(0.1)


async def _drain(rig: _Rig, sent: list[Sent]) -> list[str]:
    """Wait until every acknowledged command has its answer and nothing that could still
    post is left (an open delivery, a callback the API has yet to send), or the drain time
    is up; what is still pending then."""
    deadline = time.monotonic() + rig.scenario.drain_seconds
    client = aioredis.Redis.from_url(rig.redis.url, decode_responses=True)
    try:
        while True:
            unsettled = await _unsettled(rig, sent, client)
            if not unsettled or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        leftovers = await _leftover_jobs(client)
    finally:
        await client.aclose()
    if unsettled:
        print(f"chaos: after {rig.scenario.drain_seconds:g} s, still: {'; '.join(unsettled)}")
    return unsettled + leftovers


async def _unsettled(rig: _Rig, sent: list[Sent], client: aioredis.Redis) -> list[str]:
    """What is still to happen: commands without an answer, callbacks, open deliveries."""
    waiting = [
        o.sent.index
        for o in _outcomes(rig, sent)
        if o.sent.acknowledged and o.verdict is Verdict.LOST
    ]
    found = [f"{len(waiting)} command(s) without an answer {waiting[:10]}"] if waiting else []
    if pending := rig.sandbox.service.callbacks.pending:
        found.append(f"{pending} callback(s) still to be sent by the API")
    try:
        if opened := await client.zcard(BOT_KEYS.open_deliveries):
            found.append(f"{opened} delivery(ies) open in Redis")
    except RedisError as err:
        found.append(f"Redis unreadable ({type(err).__name__})")
    return found


async def _leftover_jobs(client: aioredis.Redis) -> list[str]:
    """Delivery jobs still queued or marked running. Not waited for: with every delivery
    closed they have nothing to post, and those a SIGKILLed worker was running stay marked
    running until arq's job timeout (5 min) expires. Reported, so it is known."""
    try:
        queued = await client.zrange(BOT_KEYS.jobs, 0, -1)
        running = [key async for key in client.scan_iter("arq:in-progress:deliver:*")]
    except RedisError:
        return []
    jobs = sum(1 for job in queued if job.startswith("deliver:"))
    found = [f"{jobs} delivery job(s) queued"] if jobs else []
    return found + ([f"{len(running)} delivery job(s) marked running"] if running else [])


def _outcomes(rig: _Rig, sent: list[Sent]) -> list[Outcome]:
    seen: dict[str | None, list[Seen]] = defaultdict(list)
    for event in rig.sandbox.slack.events.events_since(0):
        seen[event.channel].append(
            Seen(event.kind, event.ts, event.thread_ts, message_text(event.payload), event.at)
        )
    searches = _searches(rig)
    return [classify(item, seen[item.channel], searches[item.description]) for item in sent]


def _searches(rig: _Rig) -> Counter[str]:
    """Searches the sandbox created, by description."""
    store = rig.sandbox.service.store
    return Counter(record.description for record in store.for_key(rig.sandbox.config.api_key))


def _judge(rig: _Rig, sent: list[Sent]) -> tuple[list[Outcome], int]:
    """Each command's outcome, and the searches beyond one per acknowledged command."""
    return _outcomes(rig, sent), extra_searches(sent, _searches(rig))


def _scan_logs(rig: _Rig, sandbox_errors: list[logging.LogRecord]) -> list[ErrorLine]:
    lines: list[ErrorLine] = []
    for process in rig.processes.values():
        for path in process.log_paths:
            lines += scan_log(path.stem, path, rig.windows)
    lines += [
        ErrorLine("sandbox", 0, r.created, r.name, r.getMessage(), "", None) for r in sandbox_errors
    ]
    return lines


@dataclass(frozen=True)
class _ApiSearch:
    """A search as the sandbox saw it, and what became of its callback."""

    request_id: str
    status: str
    callback: str
    """``delivered``, ``dropped``, ``failed`` (gave up)…, or ``none`` (no callback URL)."""
    faults: tuple[str, ...]
    attempts: int

    @property
    def fate(self) -> str:
        """The callback's faults if it met any (``dropped``, ``misrouted``…), else its state."""
        return "+".join(self.faults) or self.callback

    def __str__(self) -> str:
        faults = f" ({', '.join(self.faults)})" if self.faults else ""
        return (
            f"API search {self.request_id[:12]}…: {self.status}, callback "
            f"{self.callback}{faults} after {self.attempts} attempt(s)"
        )


def _search_notes(rig: _Rig) -> dict[str, list[_ApiSearch]]:
    """Each description's searches at the sandbox, oldest first."""
    notes: dict[str, list[_ApiSearch]] = defaultdict(list)
    service = rig.sandbox.service
    for record in service.store.for_key(rig.sandbox.config.api_key):
        callback = service.callbacks.get(record.request_id)
        notes[record.description].append(
            _ApiSearch(
                record.request_id,
                service.status_of(record),
                callback.state if callback else "none",
                tuple(callback.faults) if callback else (),
                len(callback.attempts) if callback else 0,
            )
        )
    return notes


def _log_lines(rig: _Rig) -> list[tuple[str, str]]:
    """Every line of every process's log: (which start of which process, the line)."""
    lines = []
    for process in rig.processes.values():
        for path in process.log_paths:
            text = path.read_text(errors="replace") if path.exists() else ""
            lines += [(path.stem, line) for line in text.splitlines()]
    return lines


_TRACE_LINES = 12


def _trace(
    rig: _Rig,
    outcome: Outcome,
    searches: dict[str, list[_ApiSearch]],
    logs: list[tuple[str, str]],
) -> list[str]:
    """What happened to one command: what struck its replica, the worker or Redis in the
    30 s after it, its searches at the API, and the log lines that name it."""
    sent = outcome.sent
    struck = (sent.replica, "worker", "Redis")
    steps = [
        f"+{item['wall'] - sent.sent_at:.1f} s after it: {item['what']}"
        for item in rig.injected
        if 0 <= item["wall"] - sent.sent_at <= 30 and any(n in item["what"] for n in struck)
    ]
    found = searches.get(sent.description, [])
    ids = [search.request_id for search in found]
    steps += [str(search) for search in found]
    needles = [sent.channel, *ids]
    mentioned = [
        f"{where}: {_brief(line)}" for where, line in logs if any(n in line for n in needles)
    ]
    steps += mentioned[:_TRACE_LINES]
    if len(mentioned) > _TRACE_LINES:
        steps.append(f"… {len(mentioned) - _TRACE_LINES} more log lines")
    if not mentioned:
        steps.append("no log line of any process mentions its channel or search")
    return steps


def _brief(line: str) -> str:
    """A log line as ``ts level logger: msg``."""
    try:
        fields = json.loads(line)
    except json.JSONDecodeError:
        return line[:200]
    return (
        f"{fields.get('ts', '')[11:23]} {fields.get('level')} {fields.get('logger')}: "
        + str(fields.get("msg", ""))[:160]
    )
