"""``make demo`` / ``leads demo``: the whole product, end to end, on embedded defaults.

No API key, no Slack workspace, no Redis. In this one process it starts the sandbox
(Person Leads API and Slack Web API stand-ins), the Slack bot with an in-process store,
sends ``/leads`` as a properly signed Slack request, shows what the channel would show —
the parent message through its live phases, then the thread of lead cards — then a watch
(``/leads watch``: its first run posts only people new to the channel, a second run with
nobody new posts nothing), and finally runs a search through the MCP server with the
official MCP client. Everything it starts
stops with it; it exits non-zero if any step fails.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from aiohttp import web
from mcp import Client
from pydantic import SecretStr
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.app import create_app
from bot.context import BOT, BotContext
from mcp_server.server import create_server
from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from sandbox.slack import (
    DEFAULT_TOKEN,
    Event,
    SlackState,
    block_actions_body,
    find_element,
    render_message,
    render_thread,
    sign,
    slash_command_body,
)
from shared.logs import configure_logging
from shared.polling import PollSchedule
from shared.runtime import ApiEndpoint
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings

__all__ = ["main", "run_demo"]

SPEED = 30.0
"""The sandbox runs 30x faster than the real API: its 105-second search takes ~3.5 s."""
SIGNING_SECRET = "demo-signing-secret"  # noqa: S105 - the demo's own throwaway value
SLACK_DESCRIPTION = "CTOs at fintech companies discussing cloud migration"
MCP_DESCRIPTION = "Startup founders discussing fundraising or looking for investors"
WATCH_DESCRIPTION = "Heads of data at retailers discussing demand forecasting"
CHANNEL, CHANNEL_NAME = "C0LEADS", "leads"
USER, USER_NAME = "U0ALICE", "alice"
STEP_TIMEOUT = 45.0
THREAD_LINES_SHOWN = 60


class DemoFailed(Exception):
    """A step of the demo did not happen; the message says which."""


def _settings(sandbox: RunningSandbox, bot_url: str) -> Settings:
    """Every setting explicit: the demo ignores the environment and any .env file."""
    return Settings(
        _env_file=None,
        nyne_api_key=None,
        nyne_api_secret=None,
        redis_url=None,
        slack_bot_token=SecretStr(DEFAULT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_app_token=None,
        slack_api_url=sandbox.slack_api_url,
        public_base_url=bot_url,
        mcp_auth_token=None,
        leads_log_level="WARNING",
    )


@asynccontextmanager
async def _running_bot(
    settings: Settings, endpoint: ApiEndpoint, sock: socket.socket
) -> AsyncIterator[BotContext]:
    """The real bot app on an already-bound socket (so its URL was known beforehand).

    Yields the bot's resources, where the demo reads when the answer is complete.
    """
    app = create_app(settings, endpoint=endpoint, schedule=PollSchedule().scaled(1 / SPEED))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        yield app[BOT]
    finally:
        await runner.cleanup()


async def _send_slash_command(
    slack: SlackState, bot_url: str, slack_base: str, text: str = SLACK_DESCRIPTION
) -> None:
    """POST /leads to the bot exactly as Slack would: form-encoded, signed (v0 HMAC)."""
    body = slash_command_body(
        "/leads",
        text,
        user_id=USER,
        user_name=USER_NAME,
        channel_id=CHANNEL,
        channel_name=CHANNEL_NAME,
        team_id=slack.team_id,
        response_url=slack.new_response_url(slack_base, CHANNEL, USER),
    )
    headers = sign(SIGNING_SECRET, body) | {"Content-Type": "application/x-www-form-urlencoded"}
    async with httpx.AsyncClient() as client:
        started = time.monotonic()
        answer = await client.post(f"{bot_url}/slack/events", content=body, headers=headers)
        acked_ms = (time.monotonic() - started) * 1000
    if answer.status_code != 200:
        raise DemoFailed(f"the bot answered the slash command with HTTP {answer.status_code}")
    print(f"  bot acknowledged in {acked_ms:.0f} ms (Slack allows 3000)")


async def _claim_first_lead(
    slack: SlackState, bot_url: str, slack_base: str, parent_ts: str
) -> str:
    """Alice clicks Claim on the first card, as Slack sends it; the card as the channel sees it."""
    reply = slack.thread(CHANNEL, parent_ts)[1]
    block_id, element = find_element(reply.blocks or [], "lead_claim")
    body = block_actions_body(
        block_id=block_id,
        element=element,
        user_id=USER,
        user_name=USER_NAME,
        team_id=slack.team_id,
        channel_id=CHANNEL,
        channel_name=CHANNEL_NAME,
        message={
            "ts": reply.ts,
            "thread_ts": parent_ts,
            "text": reply.text,
            "blocks": reply.blocks,
        },
        response_url=slack.new_response_url(slack_base, CHANNEL, USER),
    )
    headers = sign(SIGNING_SECRET, body) | {"Content-Type": "application/x-www-form-urlencoded"}
    since = slack.events.last_seq
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{bot_url}/slack/events", content=body, headers=headers)
    if answer.status_code != 200:
        raise DemoFailed(f"the bot answered the click with HTTP {answer.status_code}")
    try:
        event = await slack.events.wait_for(
            lambda e: e.ts == reply.ts and "Claimed by" in str(e.payload),
            kind="message_updated",
            since=since,
            timeout=STEP_TIMEOUT,
        )
    except TimeoutError:
        raise DemoFailed("the claimed card was not shown to the channel") from None
    lines = render_message(event.payload, users=slack.user_names()).splitlines()[1:]
    claimed = next(i for i, line in enumerate(lines) if "Claimed by" in line)
    return "\n".join(lines[: claimed + 1])  # the first card, down to its claim


def _status_line(slack: SlackState, event: Event) -> str:
    """The parent's status as Slack shows it: its lines after the quoted description."""
    text = render_message(event.payload, users=slack.user_names())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    status = [line for line in lines[2:] if not line.startswith("Request `")]
    return " ".join(status or lines[-1:])


def _first_line(slack: SlackState, event: Event) -> str:
    """The first line of a message as Slack shows it (a thread reply's header)."""
    text = render_message(event.payload, users=slack.user_names())
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _clip_lines(text: str, limit: int) -> str:
    lines = text.splitlines()
    if len(lines) <= limit:
        return text
    return "\n".join([*lines[:limit], f"… ({len(lines) - limit} more lines in the thread)"])


async def _answer_complete(bot: BotContext) -> bool:
    """True once the bot has recorded its answer to the search as finished."""
    for record in await bot.runtime.store.recent(1):
        for delivery_id in await bot.services.deliveries.ids_of(record.request_id):
            delivery = await bot.services.deliveries.get(delivery_id)
            if delivery is not None and delivery.done:
                return True
    return False


async def _follow_channel(slack: SlackState, bot: BotContext, since: int, out: Console) -> str:
    """Print the channel's events as they happen until the answer is complete; its ts."""
    parent_ts: str | None = None
    deadline = time.monotonic() + STEP_TIMEOUT
    seen = since
    while time.monotonic() < deadline:
        for event in await slack.events.wait_for_news(seen, timeout=0.5):
            seen = event.seq
            if event.channel != CHANNEL:
                continue
            if event.kind in ("ephemeral_posted", "response_url_posted"):
                out.print(Text(f"  (only @{USER_NAME} sees) {_status_line(slack, event)}"))
            elif event.kind == "message_posted" and not event.thread_ts:
                parent_ts = event.ts
                out.print(Text(f"  ● parent posted:  {_status_line(slack, event)}"))
            elif event.kind == "message_updated" and event.ts == parent_ts:
                out.print(Text(f"  ↻ parent updated: {_status_line(slack, event)}"))
            elif event.kind == "message_posted" and event.thread_ts == parent_ts:
                out.print(Text(f"  ↳ thread reply:   {_first_line(slack, event)}"))
        if parent_ts is not None and await _answer_complete(bot):
            return parent_ts
    raise DemoFailed(f"the thread did not complete within {STEP_TIMEOUT:g} s")


def _endpoint(sandbox: RunningSandbox) -> ApiEndpoint:
    return ApiEndpoint(sandbox.base_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True)


async def _slack_part(sandbox: RunningSandbox, out: Console) -> None:
    out.rule("[bold]1 · Slack: /leads in #leads")
    slack = sandbox.slack
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        bot_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = _settings(sandbox, bot_url)
        async with _running_bot(settings, _endpoint(sandbox), sock) as bot:
            print(
                f"  bot on {bot_url} (callbacks: {bot_url}/callbacks/nyne/…), in-process "
                f"store, Slack stand-in at {sandbox.slack_api_url}"
            )
            print(f"  @{USER_NAME} in #{CHANNEL_NAME}: /leads {SLACK_DESCRIPTION}")
            since = slack.events.last_seq
            await _send_slash_command(slack, bot_url, sandbox.base_url + "/slack")
            parent_ts = await _follow_channel(slack, bot, since, out)
            out.print()
            thread = _clip_lines(render_thread(slack, CHANNEL, parent_ts), THREAD_LINES_SHOWN)
            out.print(Panel(thread, title="#leads, as Slack shows it (start of the thread)"))
            print(f"  @{USER_NAME} clicks Claim on the first card (a signed block_actions request)")
            card = await _claim_first_lead(slack, bot_url, sandbox.base_url + "/slack", parent_ts)
            out.print(Panel(card, title="the first card, updated for everyone in #leads"))
            await _watch_part(slack, bot, bot_url, sandbox.base_url + "/slack", out)


async def _watch_part(
    slack: SlackState, bot: BotContext, bot_url: str, slack_base: str, out: Console
) -> None:
    """``/leads watch``, a run that posts the people new to #leads, a run that posts nothing."""
    out.rule("[bold]2 · Slack: a watch posts only people new to #leads")
    text = f"watch daily {WATCH_DESCRIPTION}"
    print(f"  @{USER_NAME} in #{CHANNEL_NAME}: /leads {text}")
    since = slack.events.last_seq
    await _send_slash_command(slack, bot_url, slack_base, text)
    card = await slack.wait_for(
        lambda e: e.channel == CHANNEL and e.thread_ts is None,
        kind="message_posted",
        since=since,
        timeout=STEP_TIMEOUT,
    )
    out.print(Text(f"  ● watch card: {_first_line(slack, card)}"))
    [watch] = await bot.runtime.watches.every(limit=10)
    print(f"  Run now (as the button in /leads watches does): watch {watch.watch_id}")
    since = slack.events.last_seq
    await bot.runtime.watches.run_now(watch.watch_id)
    parent_ts = await _follow_channel(slack, bot, since, out)
    await _watch_ran(bot, watch.watch_id, "found")
    parent = slack.message(CHANNEL, parent_ts)
    if parent is not None:
        headline = render_message(
            {"text": parent.text, "blocks": parent.blocks}, users=slack.user_names()
        ).splitlines()
        out.print(Text(f"  the run's parent: {next((h for h in headline if h.strip()), '')}"))
    print("  Run now again: the same people, all posted here already")
    since = slack.events.last_seq
    await bot.runtime.watches.run_now(watch.watch_id)
    last = await _watch_ran(bot, watch.watch_id, "nothing_new")
    posted = [e for e in slack.events.events_since(since) if e.kind == "message_posted"]
    print(
        f"  second run: nobody new ({last} seen before), {len(posted)} messages posted — "
        "recorded, and shown in /leads watches"
    )


async def _watch_ran(bot: BotContext, watch_id: str, status: str) -> int:
    """Wait for the watch's latest run to end with ``status``; how many it had seen."""
    deadline = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < deadline:
        watch = await bot.runtime.watches.get(watch_id)
        if watch is not None and watch.last is not None and watch.last.status == status:
            return watch.last.seen
        await asyncio.sleep(0.1)
    raise DemoFailed(f"the watch's run did not end {status!r} within {STEP_TIMEOUT:g} s")


async def _mcp_part(sandbox: RunningSandbox, out: Console) -> None:
    out.rule("[bold]3 · MCP: search_leads through the official MCP client")
    settings = Settings(_env_file=None, redis_url=None, leads_log_level="WARNING")
    server = create_server(
        settings, endpoint=_endpoint(sandbox), schedule=PollSchedule().scaled(1 / SPEED)
    )

    async def progress(progress: float, total: float | None, message: str | None) -> None:
        print(f"  progress {progress:g}/{total or '?'}: {message or ''}")

    async with Client(server) as client:
        tools = await client.list_tools()
        print("  tools: " + ", ".join(tool.name for tool in tools.tools))
        print(f'  search_leads(description="{MCP_DESCRIPTION}", wait_seconds=30, max_results=3)')
        result = await client.call_tool(
            "search_leads",
            {"description": MCP_DESCRIPTION, "wait_seconds": 30, "max_results": 3},
            progress_callback=progress,
        )
    if result.is_error or not result.structured_content:
        raise DemoFailed("the MCP tool call failed")
    structured = result.structured_content
    if structured.get("status") != "completed" or not structured.get("leads"):
        raise DemoFailed(f"the MCP search ended {structured.get('status')!r} without leads")
    shown = dict(structured)
    shown["leads"] = [
        {**lead, "post_text": _clip(str(lead.get("post_text", "")), 100)}
        for lead in structured["leads"]
    ]
    out.print(
        Panel(
            json.dumps(shown, indent=2, ensure_ascii=False),
            title="search_leads → structuredContent (post texts clipped for the terminal)",
        )
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def run_demo(out: Console) -> int:
    """Run every step; 0 when all of them happened."""
    started = time.monotonic()
    out.print(
        Panel(
            "Leads, end to end on embedded defaults: no API key, no Slack workspace, no Redis.\n"
            f"The sandbox plays the Person Leads API ({SPEED:g}x faster than the real one) and "
            "Slack.",
            title="leads demo",
        )
    )
    try:
        async with start_sandbox(SandboxConfig(speed=SPEED)) as sandbox:
            print(f"  sandbox on {sandbox.base_url} (API /person/leads, Slack /slack/api/)")
            await _slack_part(sandbox, out)
            await _mcp_part(sandbox, out)
    except DemoFailed as err:
        out.print(Text("demo failed: ", style="bold red") + Text(str(err)))
        return 1
    out.rule(f"[bold green]done in {time.monotonic() - started:.1f} s")
    return 0


def main() -> int:
    """Entry point of ``leads demo``."""
    configure_logging(level="WARNING")
    # The demo says itself that it uses an in-process store and the sandbox.
    logging.getLogger("shared.state.connection").setLevel(logging.ERROR)
    return asyncio.run(run_demo(Console(highlight=False)))
