"""What both bot processes do first: load and check settings, set up logging."""

from __future__ import annotations

import sys
from collections.abc import Callable

from shared.logs import configure_logging
from shared.settings import Settings, SettingsError, load_settings

__all__ = ["configure_bot_logging", "load_bot_settings", "secrets_of", "start"]


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
    only the bot token, since its requests arrive over an authenticated WebSocket.
    """
    settings = load_settings()
    if settings.slack_app_token is None:
        settings.require("slack_bot_token", "slack_signing_secret")
    else:
        settings.require("slack_bot_token")
    return settings


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value, for the log redactor."""
    values = (
        settings.nyne_api_key,
        settings.nyne_api_secret,
        settings.redis_url,
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.mcp_auth_token,
    )
    return [value.get_secret_value() for value in values if value is not None]


def configure_bot_logging(settings: Settings) -> None:
    """Structured logs in the configured format, with every secret redacted."""
    configure_logging(
        fmt=settings.leads_log_format, level=settings.leads_log_level, secrets=secrets_of(settings)
    )
