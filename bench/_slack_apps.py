"""Helper process for ``slack_bot``: the real bot, or its bare baseline, pinned to one CPU.

``python -m bench._slack_apps [--cpu N]`` pins itself and says it is ready; its first
request line ``{"kind", "redis_url", "api_url", "slack_api_url", "signing_secret"}`` starts
an application on a free port of 127.0.0.1 and is answered ``{"port", "full_gc_ms",
"objects"}`` once it serves. Every later line is answered ``{"cpu_seconds", "full_gc_ms"}``:
this process's CPU time so far, and how long each full (generation 2) garbage collection
since the previous answer took. It stops when its stdin closes.

Once the application serves, the process runs one full garbage collection (timed, and the
objects it tracks counted, in the first answer): a long-running process had its first one
long ago, and without this it would land as a pause of tens of milliseconds in whichever
measured round it happens to fall. Later full collections are reported, not prevented.

* ``"kind": "bot"`` — :func:`bot.app.create_app`, as ``python -m bot`` runs it in HTTP
  mode: Bolt on ``/slack/events``, the callback receiver, the background worker (arq
  deliveries, sweep) in-process, on the given Redis, API and Slack stand-in. Its own URL is
  its ``PUBLIC_BASE_URL``, so every search carries a callback URL pointing back at it.
  Polls are scheduled an hour out: during a benchmark only the callbacks it is sent finish
  a search, and no sweep poll lands in the middle of a measurement.
* ``"kind": "bare"`` — the same two routes with nothing of ours behind them: an
  ``AsyncApp`` (same signing secret, a Slack client on the same stand-in, same
  ``process_before_response=False``) behind slack_bolt's aiohttp adapter whose ``/leads``
  listener and whose ``app.action`` listener for a card's Claim (the bot's ``action_id``)
  only call ``ack()``; and a callback handler that reads the body, validates it
  with :class:`shared.models.LeadCallback` (the model the bot validates callbacks with)
  and answers the same JSON the bot answers.

Both kinds run this same module, so both processes import the same code and start from the
same interpreter state; only the application they serve differs.
"""

from __future__ import annotations

import gc
import logging
import resource
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench._callbacks import NO_POLLS
from bench._child import requests, run_pinned, say
from bench._replica import LIMIT
from bot.app import create_app
from bot.views.cards import CLAIM
from sandbox.slack import DEFAULT_TOKEN
from shared.models import LeadCallback
from shared.runtime import ApiEndpoint
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings

__all__ = ["bare_app", "bot_app"]


def bot_app(order: dict[str, Any], public_url: str) -> web.Application:
    """The real bot, every setting explicit (the environment and any .env are ignored)."""
    settings = Settings(
        _env_file=None,
        nyne_api_key=SecretStr(SANDBOX_API_KEY),
        nyne_api_secret=SecretStr(SANDBOX_API_SECRET),
        nyne_base_url=order["api_url"],
        redis_url=SecretStr(order["redis_url"]),
        slack_bot_token=SecretStr(DEFAULT_TOKEN),
        slack_signing_secret=SecretStr(order["signing_secret"]),
        slack_app_token=None,
        slack_api_url=order["slack_api_url"],
        public_base_url=public_url,
        mcp_auth_token=None,
        leads_rate_limit_per_minute=LIMIT,
        leads_rate_limit_per_hour=LIMIT,
        leads_run_sweep=True,
        leads_log_level="WARNING",
    )
    endpoint = ApiEndpoint(order["api_url"], SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True)
    return create_app(settings, endpoint=endpoint, schedule=NO_POLLS, settle_heap=True)


def bare_app(order: dict[str, Any]) -> web.Application:
    """The baseline: Bolt acking ``/leads`` and Claim clicks, nothing else; a callback parsed,
    not kept."""
    quiet = logging.getLogger("bench.bare_bolt")
    quiet.setLevel(logging.ERROR)  # e.g. "token will be unused" when SLACK_BOT_TOKEN is set
    bolt = AsyncApp(
        client=AsyncWebClient(token=DEFAULT_TOKEN, base_url=order["slack_api_url"]),
        signing_secret=order["signing_secret"],
        process_before_response=False,
        name="bare",
        logger=quiet,
    )

    async def handle_leads(ack: AsyncAck) -> None:
        await ack()

    bolt.command("/leads")(handle_leads)

    async def handle_claim(ack: AsyncAck) -> None:
        await ack()

    bolt.action(CLAIM)(handle_claim)

    async def slack_events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def callback(request: web.Request) -> web.Response:
        LeadCallback.model_validate_json(await request.read())
        return web.json_response({"ok": True, "outcome": "accepted"})

    app = web.Application()
    app.router.add_post("/slack/events", slack_events)
    app.router.add_post("/callbacks/nyne/{token}", callback)
    return app


@asynccontextmanager
async def _serving(order: dict[str, Any]) -> AsyncIterator[int]:
    """Serve the app ``order`` asks for; its port."""
    # Bound first: the bot must know its own URL (its callback URL) before it is built.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    kind = order["kind"]
    if kind == "bot":
        app = bot_app(order, f"http://127.0.0.1:{port}")
    elif kind == "bare":
        app = bare_app(order)
    else:
        raise ValueError(f"unknown kind {kind!r}")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.SockSite(runner, sock, backlog=512).start()
        yield port
    finally:
        await runner.cleanup()
        sock.close()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _FullCollections:
    """Times every full (generation 2) garbage collection, through ``gc.callbacks``."""

    def __init__(self) -> None:
        self._started = 0.0
        self._pauses: list[float] = []

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif info.get("generation") == 2:
            self._pauses.append((time.perf_counter() - self._started) * 1000)

    def take(self) -> list[float]:
        """Milliseconds of each full collection since the last call."""
        pauses, self._pauses = self._pauses, []
        return pauses


async def main(cpu: int | None) -> None:
    say({"ready": True, "cpu": cpu})
    collections = _FullCollections()
    gc.callbacks.append(collections)
    orders = requests()
    first = await anext(orders)
    async with _serving(first) as port:
        gc.collect()
        say({"port": port, "full_gc_ms": collections.take(), "objects": len(gc.get_objects())})
        async for _ in orders:
            say({"cpu_seconds": _cpu_seconds(), "full_gc_ms": collections.take()})


if __name__ == "__main__":
    run_pinned(main)
