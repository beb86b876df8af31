"""Driving the real bot: signed slash commands over HTTP, the sandbox's Slack as witness.

``BotUnderTest`` is one running bot (in-process ``web.AppRunner`` or a ``python -m bot``
subprocess) plus the sandbox it talks to: it sends slash commands exactly as Slack does
(form body, v0 signature) and reads what happened in the stand-in workspace.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
from aiohttp import web

from bot.app import create_app
from bot.context import BOT
from bot.jobs import BotServices
from bot.keys import BotKeys
from sandbox.api.engine import load_default_engine
from sandbox.embedded import RunningSandbox
from sandbox.slack import (
    DEFAULT_TOKEN,
    MESSAGE_BLOCKS_TEXT_MAX,
    Event,
    Message,
    block_actions_body,
    blocks_text_length,
    find_element,
    sign,
    slash_command_body,
    validate_blocks,
)
from shared.polling import PollSchedule
from shared.runtime import Runtime
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from shared.state.keys import Keys
from shared.state.records import SearchRecord
from shared.state.store import SearchStore
from tests.support.servers import free_port
from tests.support.waiting import wait_until

KEYS = Keys()
BOT_KEYS = BotKeys()
SIGNING_SECRET = "test-signing-secret-0123456789"
CHANNEL = "C0LEADS"
USER = "U0ALICE"
BOB = "U0BOB"
DESCRIPTION = "CTOs at fintech companies discussing cloud migration"
NO_RESULTS = "xqzv blorf wuggle plimp quux"
# Polls come from the sweep, which ticks every second; due at once means "at every tick".
FAST_POLLS = PollSchedule(without_callback=(0.05,), with_callback=(0.05,), retry_after_error=0.5)
# No poll for a minute: only a callback can finish a search.
NO_POLLS = PollSchedule(without_callback=(60.0,), with_callback=(60.0,))


# Narrow descriptions; one of them, or one narrowed by a result's location, finds one lead.
_NARROW = (
    "VPs of sales hiring SDRs",
    "heads of people discussing four-day work weeks",
    "product managers at healthtech startups discussing HIPAA",
    "CTOs at insurtech companies discussing mainframe migration",
    "CFOs discussing SOC 2 audits",
    "heads of growth at ecommerce brands discussing TikTok ads",
    "CISOs at banks discussing zero trust",
)


@functools.cache
def one_result_description() -> str:
    """A description for which the bundled corpus has exactly one lead (it may evolve)."""
    engine = load_default_engine()
    for base in _NARROW:
        results = engine.search(base)
        if len(results) == 1:
            return base
        for result in results:
            place = str(result.get("author", {}).get("headline") or "").split("|")[-1].strip()
            candidate = f"{base} in {place}"
            if place and len(engine.search(candidate)) == 1:
                return candidate
    raise AssertionError("no description finds exactly one lead in the bundled corpus")


def bot_settings(sandbox: RunningSandbox, redis_url: str | None, **overrides: Any) -> Settings:
    """Settings for a bot on the sandbox (API and Slack stand-in) and this Redis."""
    values: dict[str, Any] = {
        "nyne_api_key": SANDBOX_API_KEY,
        "nyne_api_secret": SANDBOX_API_SECRET,
        "nyne_base_url": sandbox.base_url,
        "redis_url": redis_url,
        "slack_bot_token": DEFAULT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": sandbox.slack_api_url,
        "leads_rate_limit_per_minute": 600,
        "leads_rate_limit_per_hour": 10_000,
        # Each bot its own spool: a command spooled in one test is never drained in another.
        "leads_spool_dir": tempfile.mkdtemp(prefix="leads-spool-test-"),
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass(frozen=True)
class Posted:
    """A message the bot posted: its ``ts`` and what it said then."""

    ts: str
    payload: dict[str, Any]


@dataclass
class BotUnderTest:
    """A running bot, the sandbox behind it, and ways to poke both."""

    url: str
    sandbox: RunningSandbox
    http: httpx.AsyncClient
    app: web.Application | None = None

    @property
    def runtime(self) -> Runtime:
        """The in-process bot's runtime (store, service, limiter)."""
        assert self.app is not None, "only for a bot running in this process"
        return self.app[BOT].runtime

    @property
    def services(self) -> BotServices:
        """The in-process bot's own services (commands, deliveries, the job queue)."""
        assert self.app is not None, "only for a bot running in this process"
        return self.app[BOT].services

    # -- talking to the bot ------------------------------------------------------------------

    async def slash(
        self,
        text: str,
        *,
        channel: str = CHANNEL,
        user: str = USER,
        should_escape: bool = False,
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
        url: str | None = None,
    ) -> httpx.Response:
        """``/leads text`` typed by ``user`` in ``channel``, sent as Slack sends it."""
        state = self.sandbox.slack
        body = slash_command_body(
            "/leads",
            text,
            user_id=user,
            user_name=state.users[user].name,
            channel_id=channel,
            channel_name=state.channels[channel].name,
            team_id=state.team_id,
            response_url=state.new_response_url(self.sandbox.slack_api_url, channel, user),
            should_escape=should_escape,
            users={u.name: u.id for u in state.users.values()},
            channels={c.name: c.id for c in state.channels.values()},
        )
        headers = {
            **sign(secret, body, timestamp),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return await self.http.post(
            f"{url or self.url}/slack/events", content=body, headers=headers
        )

    def click_body(
        self,
        message: Message,
        action_id: str,
        *,
        containing: str | None = None,
        option: str | None = None,
        user: str = USER,
        team: str | None = None,
    ) -> bytes:
        """The ``block_actions`` body Slack sends when ``user`` clicks ``action_id``.

        ``containing`` picks the element whose value has it (e.g. ``"|3"`` for the fourth
        lead's card); ``option`` is the value ending of the menu option chosen; ``team``
        the workspace the click comes from (the stand-in's by default).
        """
        state = self.sandbox.slack
        block_id, element = find_element(message.blocks or [], action_id, containing=containing)
        option_value = None
        if option is not None:
            option_value = next(
                str(o["value"]) for o in element["options"] if str(o["value"]).endswith(option)
            )
        return block_actions_body(
            block_id=block_id,
            element=element,
            option_value=option_value,
            user_id=user,
            user_name=state.users[user].name,
            team_id=team or state.team_id,
            channel_id=message.channel,
            channel_name=state.channels[message.channel].name,
            message={
                "ts": message.ts,
                "thread_ts": message.thread_ts,
                "text": message.text,
                "blocks": message.blocks,
            },
            response_url=state.new_response_url(self.sandbox.slack_api_url, message.channel, user),
        )

    async def click(
        self,
        message: Message,
        action_id: str,
        *,
        containing: str | None = None,
        option: str | None = None,
        user: str = USER,
        team: str | None = None,
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
        url: str | None = None,
        signed: bool = True,
    ) -> httpx.Response:
        """``user`` clicks ``action_id`` in ``message`` as Slack sends it (signed, unless not).

        ``containing``, ``option`` and ``team`` as in :meth:`click_body`.
        """
        body = self.click_body(
            message, action_id, containing=containing, option=option, user=user, team=team
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signed:
            headers.update(sign(secret, body, timestamp))
        return await self.http.post(
            f"{url or self.url}/slack/events", content=body, headers=headers
        )

    async def search(self, text: str, **slash: Any) -> tuple[int, Posted]:
        """``/leads text`` that posts a parent: (event seq before it, the parent)."""
        since = self.sandbox.slack.last_seq
        response = await self.slash(text, **slash)
        assert response.status_code == 200, response.text
        return since, await self.parent_posted(since)

    async def healthz(self) -> httpx.Response:
        return await self.http.get(f"{self.url}/healthz")

    # -- what Slack saw ------------------------------------------------------------------------

    async def parent_posted(self, since: int, *, timeout: float = 10.0) -> Posted:
        """The next top-level message the bot posts in #leads."""
        event = await self.sandbox.slack.wait_for(
            lambda e: e.channel == CHANNEL and e.thread_ts is None,
            kind="message_posted",
            since=since,
            timeout=timeout,
        )
        assert event.ts is not None
        return Posted(event.ts, event.payload)

    async def ephemeral(self, since: int, *, timeout: float = 10.0) -> Event:
        """The next ephemeral message (a response_url answer)."""
        return await self.sandbox.slack.wait_for(
            kind="ephemeral_posted", since=since, timeout=timeout
        )

    async def parent_says(
        self, ts: str, needle: str, *, since: int = 0, timeout: float = 15.0
    ) -> Event:
        """Wait until the parent message ``ts`` is edited to contain ``needle``."""
        return await self.sandbox.slack.wait_for(
            lambda e: e.ts == ts and needle in message_text(e.payload),
            kind="message_updated",
            since=since,
            timeout=timeout,
        )

    async def delivered(
        self,
        ts: str,
        since: int,
        redis_url: str,
        *,
        needle: str = "1 credit spent",
        timeout: float = 30,
    ) -> list[Message]:
        """Wait for the parent's summary and for every delivery to settle; the replies."""
        await self.parent_says(ts, needle, since=since, timeout=timeout)
        await wait_until(
            lambda: settled(redis_url), timeout=timeout, message="deliveries to settle"
        )
        return self.replies(ts)

    def replies(self, ts: str, channel: str = CHANNEL) -> list[Message]:
        """The thread under ``ts`` (replies only, oldest first)."""
        return self.sandbox.slack.thread(channel, ts)[1:]

    def parent(self, ts: str, channel: str = CHANNEL) -> Message:
        found = self.sandbox.slack.message(channel, ts)
        assert found is not None
        return found


ONE_SET_OF_25 = ["Leads 1–15 of 25", "Leads 16–25 of 25"]
"""How the thread of a 25-lead search is headed: two messages, as before the team desk.

Cards are packed as if every one were claimed (the widest a card gets), so the text
budget caps a reply at 15 of the test description's cards; before the desk, 49 blocks
capped it at 16."""

SHARED_SET_OF_25 = ["Leads 1–14 of 25", "Leads 15–25 of 25"]
"""The same 25 leads searched again in the channel: every card is marked "shared before",
so one card fewer fits the first reply — still two messages."""


def headings(replies: list[Message]) -> list[str]:
    """Each reply's "Leads a–b of n" heading, in thread order."""
    return [reply.text.split("· ")[-1] for reply in replies]


def message_text(message: dict[str, Any] | Message) -> str:
    """Everything a message says: its top-level text and the text of every block."""
    if isinstance(message, Message):
        text, blocks = message.text, message.blocks
    else:
        text, blocks = message.get("text", ""), message.get("blocks")
    parts = [text or ""]
    stack: list[Any] = list(blocks or [])
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                parts.append(node["text"])
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(node)
    return "\n".join(parts)


_CONTROL = re.compile(r"<([^<>]*)>")


def control_sequences(text: str) -> list[str]:
    """The live ``<…>`` sequences in mrkdwn text (mentions, links, dates)."""
    return _CONTROL.findall(text)


def assert_within_limits(blocks: list[Any] | None) -> None:
    """A message Slack accepts: valid blocks, ≤ 50 of them, under the block-text cap."""
    assert blocks is not None
    assert validate_blocks(blocks) == []
    assert len(blocks) <= 50
    assert blocks_text_length(blocks) <= MESSAGE_BLOCKS_TEXT_MAX


async def searches_made(sandbox: RunningSandbox) -> int:
    usage = await sandbox.usage()
    return int(usage["searches"]["total"])


async def api_requests(sandbox: RunningSandbox) -> int:
    """Requests the sandbox API counted in its shortest rate-limit window."""
    windows = (await sandbox.usage())["rate_limit"].values()
    return int(min(windows, key=lambda w: w["window_seconds"])["used"])


async def credits_used(sandbox: RunningSandbox) -> int:
    return int((await sandbox.usage())["credits_used"])


async def callback_url(sandbox: RunningSandbox, request_id: str) -> str:
    """The callback URL the API was given for a search (our store only keeps its hash)."""

    def given() -> str | None:
        log = sandbox.callbacks(request_id)
        return str(log["callback_url"]) if log is not None else None

    url = await wait_until(given, message="the search's callback URL")
    assert url is not None
    return url


async def api_outcome(sandbox: RunningSandbox, request_id: str) -> dict[str, Any]:
    """The finished search as the API reports it, shaped as its callback body."""
    headers = {"X-API-Key": SANDBOX_API_KEY, "X-API-Secret": SANDBOX_API_SECRET}
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=headers) as client:

        async def finished() -> dict[str, Any] | None:
            data = (await client.get("/person/leads", params={"request_id": request_id})).json()
            search = data.get("data") or {}
            return search if search.get("status") == "completed" else None

        search = await wait_until(finished, message="the search to finish at the API")
    return {
        "request_id": request_id,
        "status": "completed",
        "completed": True,
        "results_count": search["results_count"],
        "results": search["results"],
        "timestamp": "2026-01-14T15:31:45Z",
    }


async def latest_request_id(redis_url: str) -> str:
    """The request ID of the newest search the bot recorded (waits for one)."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:

        async def newest() -> str | None:
            ids = await client.zrevrange(KEYS.recent, 0, 0)
            return str(ids[0]) if ids else None

        request_id = await wait_until(newest, message="a search recorded in Redis")
        assert request_id is not None
        return request_id
    finally:
        await client.aclose()


async def stored_search(redis_url: str, request_id: str) -> SearchRecord | None:
    """The search as any process would read it from Redis."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return await SearchStore(client).get_search(request_id)
    finally:
        await client.aclose()


async def settled(redis_url: str) -> bool:
    """Every delivery is done and the job queue has nothing queued or running."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        if await client.zcard(BOT_KEYS.open_deliveries):
            return False
        # Only delivery jobs count: the sweep's cron job comes and goes every second.
        queued = await client.zrange(BOT_KEYS.jobs, 0, -1)
        if [job for job in queued if job.startswith("deliver:")]:
            return False
        running = [key async for key in client.scan_iter("arq:in-progress:deliver:*")]
        return not running
    finally:
        await client.aclose()


# -- running the bot ----------------------------------------------------------------------------


@asynccontextmanager
async def running_bot(
    sandbox: RunningSandbox,
    settings: Settings,
    *,
    schedule: PollSchedule | None = FAST_POLLS,
) -> AsyncIterator[BotUnderTest]:
    """The bot's real application on ``settings.port`` (in this process)."""
    app = create_app(settings, schedule=schedule)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", settings.port)
        await site.start()
        async with httpx.AsyncClient(timeout=30.0) as http:
            yield BotUnderTest(f"http://127.0.0.1:{settings.port}", sandbox, http, app)
    finally:
        await runner.cleanup()


_OUR_PREFIXES = ("NYNE_", "SLACK_", "REDIS_", "PUBLIC_", "LEADS_", "PORT", "MCP_")


def clean_env() -> dict[str, str]:
    """This environment without any of the product's settings (the developer's own)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(_OUR_PREFIXES)}


def subprocess_env(
    sandbox: RunningSandbox, redis_url: str, port: int, **extra: str
) -> dict[str, str]:
    """Environment for ``python -m bot``: none of the developer's settings, ours instead."""
    env = clean_env()
    env.update(
        {
            "NYNE_API_KEY": SANDBOX_API_KEY,
            "NYNE_API_SECRET": SANDBOX_API_SECRET,
            "NYNE_BASE_URL": sandbox.base_url,
            "REDIS_URL": redis_url,
            "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": sandbox.slack_api_url,
            "PORT": str(port),
            "LEADS_RATE_LIMIT_PER_MINUTE": "600",
            "LEADS_RATE_LIMIT_PER_HOUR": "10000",
            "LEADS_LOG_LEVEL": "INFO",
            "LEADS_SPOOL_DIR": tempfile.mkdtemp(prefix="leads-spool-test-"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@dataclass
class BotProcess:
    """``python -m bot`` (or another module) as a real OS process, logging to a file."""

    env: dict[str, str]
    log_path: Path
    module: str = "bot"
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def port(self) -> int:
        return int(self.env["PORT"])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module],
            env=self.env,
            cwd=self.log_path.parent,  # no stray .env
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def wait_healthy(self, http: httpx.AsyncClient, *, timeout: float = 30.0) -> None:
        async def healthy() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"{self.module} exited early:\n{self.log()}")
            try:
                return (await http.get(f"{self.url}/healthz", timeout=2.0)).status_code == 200
            except httpx.HTTPError:
                return False

        await wait_until(healthy, timeout=timeout, interval=0.1, message=f"{self.module} healthy")

    async def wait_log(self, needle: str, *, timeout: float = 30.0) -> None:
        await wait_until(lambda: needle in self.log(), timeout=timeout, message=repr(needle))

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, like a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, as a platform stops a process."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


@asynccontextmanager
async def bot_processes(*processes: BotProcess) -> AsyncIterator[None]:
    """Start processes and make sure they are gone afterwards, whatever happens."""
    try:
        for process in processes:
            process.start()
        yield
    finally:
        for process in processes:
            await asyncio.to_thread(process.stop)


def new_port() -> int:
    return free_port()


Predicate = Callable[[Event], bool]
