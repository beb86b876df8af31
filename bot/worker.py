"""``leads-worker`` (``python -m bot.worker``): deliveries and the poll sweep, no web server.

For deployments that scale out (``Procfile``: ``worker``): the ``web`` processes then run
with ``LEADS_RUN_SWEEP=false``. Every process shares ``REDIS_URL`` and the API key, so a
worker needs both — an in-process store or sandbox would be invisible to the web process.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence

from bot.resources import open_bot_runtime, running_background
from bot.slack_client import create_slack_client
from bot.startup import parse_args, program_name, start
from shared.settings import Settings, SettingsError, load_settings

__all__ = ["SETTINGS_HELP", "load_worker_settings", "main", "run_worker"]

log = logging.getLogger("bot.worker")


def load_worker_settings() -> Settings:
    """Settings for a worker: the bot token (it posts to Slack), shared Redis and API.

    It serves no HTTP, so it needs no signing secret.
    """
    settings = load_settings()
    settings.require("slack_bot_token")
    if settings.redis_url is None:
        raise SettingsError(
            "REDIS_URL is not set: a separate worker shares its queue with the web process "
            "through Redis (without workers, `leads-bot` runs the sweep itself)."
        )
    if settings.uses_sandbox:
        raise SettingsError(
            "NYNE_API_KEY is not set: a separate worker cannot reach the web process's "
            "embedded sandbox. Set NYNE_API_KEY/NYNE_API_SECRET (and NYNE_BASE_URL to a "
            "`python -m sandbox` for local runs)."
        )
    return settings


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Deliver and sweep until ``stop`` is set."""
    async with (
        open_bot_runtime(settings, create_slack_client(settings)) as (runtime, services),
        running_background(runtime, services),
    ):
        log.info("Leads worker running: Slack deliveries and the poll sweep")
        await stop.wait()
    log.info("Leads worker stopped")


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await run_worker(settings, stop)


DESCRIPTION = (
    "The Leads worker: Slack deliveries and the poll sweep, without a web server (no port, "
    "no routing). For deployments that scale out: the web processes then run with "
    "LEADS_RUN_SWEEP=false. Needs REDIS_URL and NYNE_API_KEY/NYNE_API_SECRET, shared with "
    "the web processes."
)


SETTINGS_HELP = """\
settings (environment, or .env in the working directory; see .env.example):
  SLACK_BOT_TOKEN       the bot token (xoxb-...); required: deliveries post to Slack
  REDIS_URL             the Redis the web processes use; required (no in-process store)
  REDIS_SSL_CERT_REQS, REDIS_SSL_CA_CERTS   certificate checks for a rediss:// URL
  NYNE_API_KEY, NYNE_API_SECRET   the API credentials; required (no embedded sandbox)
  NYNE_BASE_URL         the API's URL (for local runs: a `leads sandbox`)
  PUBLIC_BASE_URL       where the API reaches the web process's callback route, for the
                        searches started here (watch runs, requeued /leads commands);
                        unset means polling
  Unused here (no web server): SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, PORT.
exit status 2: a missing or invalid setting (the message names it)."""
"""The worker's settings, for ``leads-worker --help``: what ``load_worker_settings`` checks.

Not the bot's list: the worker serves no HTTP, and it refuses the in-process store and the
embedded sandbox that the bot falls back to.
"""


def main(argv: Sequence[str] | None = None) -> None:
    """Load settings, configure logging and work until SIGINT/SIGTERM."""
    prog = program_name("leads-worker", "bot.worker")
    parse_args(prog, DESCRIPTION, SETTINGS_HELP, argv)
    settings = start(load_worker_settings, prog)
    asyncio.run(_serve(settings))


if __name__ == "__main__":
    main()
