"""What both bot processes do first: load and check settings, set up logging."""

from __future__ import annotations

import sys
from collections.abc import Callable

from shared.logs import configure_logging
from shared.settings import Settings, SettingsError, load_settings

__all__ = ["configure_bot_logging", "load_bot_settings", "start"]


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
            "`python -m bot.worker` processes, which share the bot's work only through "
            f"REDIS_URL and the real API (NYNE_API_KEY/NYNE_API_SECRET); {' and '.join(unset)} "
            f"{'is' if len(unset) == 1 else 'are'} not set, so no search would ever be "
            "delivered. Set them, or leave LEADS_RUN_SWEEP unset so this process runs the "
            "sweep itself."
        )


def configure_bot_logging(settings: Settings) -> None:
    """Structured logs in the configured format, with every secret redacted."""
    configure_logging(
        fmt=settings.leads_log_format,
        level=settings.leads_log_level,
        secrets=settings.secret_values(),
    )
