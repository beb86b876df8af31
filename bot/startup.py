"""What both bot processes do first: load and check settings, set up logging."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from shared.logs import configure_logging
from shared.settings import Settings, SettingsError, load_settings

__all__ = [
    "SETTINGS_HELP",
    "configure_bot_logging",
    "load_bot_settings",
    "parse_args",
    "program_name",
    "start",
]

log = logging.getLogger(__name__)

SETTINGS_HELP = """\
settings (environment, or .env in the working directory; see .env.example):
  SLACK_BOT_TOKEN       the bot token (xoxb-...); required
  SLACK_SIGNING_SECRET  the signing secret; required in HTTP mode, unused in Socket Mode
  SLACK_APP_TOKEN       an app-level token (xapp-...): Socket Mode; unset means HTTP mode
  NYNE_API_KEY, NYNE_API_SECRET   the API credentials; unset means the embedded sandbox
  REDIS_URL             Redis shared by every process; unset means an in-process store
  REDIS_SSL_CERT_REQS, REDIS_SSL_CA_CERTS   certificate checks for a rediss:// URL
  PUBLIC_BASE_URL       where the API reaches the callback route; unset means polling
  PORT                  the HTTP port (default 3000; every interface)
  LEADS_RUN_SWEEP       false when separate workers run the background work
exit status 2: a missing or invalid setting (the message names it)."""
"""The bot's settings, for ``leads-bot --help`` (the worker has its own: ``bot.worker``)."""


def program_name(console_script: str, module: str) -> str:
    """How this process was started, for usage lines and messages.

    ``python -m bot`` runs ``bot/__main__.py``; the console script runs ``leads-bot``.
    """
    started_as = os.path.basename(sys.argv[0]) if sys.argv else ""
    return console_script if started_as == console_script else f"python -m {module}"


def parse_args(
    prog: str, description: str, settings_help: str, argv: Sequence[str] | None = None
) -> argparse.Namespace:
    """The bot processes' command line: no options, but ``--help`` says what they need.

    Settings come from the environment, so ``--help`` must answer before they are read.
    ``settings_help`` is the process's own list: the bot and the worker need different ones.
    """
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=settings_help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser.parse_args(argv)


def start(load: Callable[[], Settings], program: str) -> Settings:
    """Load settings with ``load`` and configure logging; exit 2 naming what is wrong."""
    try:
        settings = load()
    except SettingsError as err:
        print(f"{program}: {err}", file=sys.stderr)
        sys.exit(2)
    configure_bot_logging(settings)
    return settings


def load_bot_settings() -> Settings:
    """Settings, checked for what the bot needs in its mode (raises ``SettingsError``).

    HTTP mode needs the bot token and the signing secret; Socket Mode (``SLACK_APP_TOKEN``)
    only the bot token, since its requests arrive over an authenticated WebSocket. With
    ``LEADS_RUN_SWEEP=false`` it also needs what a separate worker needs (Redis, the API).
    """
    settings = load_settings()
    if settings.slack_app_token is None:
        settings.require("slack_bot_token", "slack_signing_secret")
    else:
        settings.require("slack_bot_token")
    if not settings.leads_run_sweep:
        _require_workers_possible(settings)
    return settings


def _require_workers_possible(settings: Settings) -> None:
    """With the sweep left to workers, fail unless a worker could share this bot's work.

    ``bot.worker`` refuses to run without Redis and a real API, because the in-process
    store and the embedded sandbox are invisible to another process: such a bot would
    take every ``/leads`` and never deliver one, while ``/healthz`` said ok.
    """
    unset = [
        name
        for name, missing in (
            ("REDIS_URL", settings.redis_url is None),
            ("NYNE_API_KEY/NYNE_API_SECRET", settings.uses_sandbox),
        )
        if missing
    ]
    if unset:
        raise SettingsError(
            "LEADS_RUN_SWEEP=false leaves Slack deliveries and the poll sweep to "
            "`leads-worker` processes, which share the bot's work only through "
            f"REDIS_URL and the real API (NYNE_API_KEY/NYNE_API_SECRET); {' and '.join(unset)} "
            f"{'is' if len(unset) == 1 else 'are'} not set, so no search would ever be "
            "delivered. Set them, or leave LEADS_RUN_SWEEP unset so this process runs the "
            "sweep itself."
        )


def configure_bot_logging(settings: Settings) -> None:
    """Structured logs in the configured format, with every secret redacted.

    Then, once per process, a warning for each plain-http URL setting.
    """
    configure_logging(
        fmt=settings.leads_log_format,
        level=settings.leads_log_level,
        secrets=settings.secret_values(),
    )
    for warning in settings.plain_http_warnings():
        log.warning(warning)
