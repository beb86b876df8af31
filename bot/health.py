"""``GET /healthz``: can this process do its job?

``{"ok": …, "redis": "ok"|"down", "api": "ok"|"unreachable", "slack": "ok"|"unreachable",
"worker": "running"|"restarting"|"off", …}`` — 200 when ``ok``, else 503.

``ok`` follows Redis only: without it nothing works, while an outage of the API or Slack
is outside our control and taking every replica out of a load balancer would not help.
The API and Slack are checked with a TCP connect to their host, at most every 30 seconds
however often the probe is hit — never with an API request, since every request (GETs
included) counts against the key's 60-a-minute budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from urllib.parse import urlsplit

from aiohttp import web

from bot.context import BOT
from bot.jobs import BackgroundWorker

__all__ = ["HEALTH", "HealthChecks", "Reachability", "handle_healthz"]

REDIS_TIMEOUT = 2.0


class Reachability:
    """Whether a URL's host accepts TCP connections, remembered for ``ttl`` seconds."""

    def __init__(self, url: str, *, ttl: float = 30.0, timeout: float = 2.0) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.ttl = ttl
        self.timeout = timeout
        self._checked_at = -float("inf")
        self._reachable = False
        self._lock = asyncio.Lock()

    async def check(self) -> bool:
        """The cached answer, refreshed first when it is older than ``ttl``."""
        async with self._lock:
            if time.monotonic() - self._checked_at >= self.ttl:
                self._reachable = await self._connect()
                self._checked_at = time.monotonic()
            return self._reachable

    async def _connect(self) -> bool:
        try:
            async with asyncio.timeout(self.timeout):
                _, writer = await asyncio.open_connection(self.host, self.port)
        except (OSError, TimeoutError):
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True


class HealthChecks:
    """What ``/healthz`` looks at."""

    def __init__(self, api_url: str, slack_url: str, worker: BackgroundWorker | None) -> None:
        self.api = Reachability(api_url)
        self.slack = Reachability(slack_url)
        self.worker = worker


HEALTH = web.AppKey("leads_health", HealthChecks)


async def handle_healthz(request: web.Request) -> web.Response:
    """Report; 503 when Redis is down."""
    bot = request.app[BOT]
    checks = request.app[HEALTH]
    try:
        async with asyncio.timeout(REDIS_TIMEOUT):
            redis_ok = await bot.runtime.connections.ping()
    except TimeoutError:
        redis_ok = False
    api_ok, slack_ok = await asyncio.gather(checks.api.check(), checks.slack.check())
    worker = checks.worker
    body = {
        "ok": redis_ok,
        "redis": "ok" if redis_ok else "down",
        "api": "ok" if api_ok else "unreachable",
        "slack": "ok" if slack_ok else "unreachable",
        "worker": "off" if worker is None else ("running" if worker.running else "restarting"),
        # Commands acknowledged while Redis was away, waiting on this host's disk for it.
        "spooled": len(await asyncio.to_thread(bot.services.spool.waiting)),
        "sandbox": bot.runtime.endpoint.sandbox,
        "mode": "socket" if bot.socket_mode else "http",
    }
    return web.json_response(body, status=200 if redis_ok else 503)
