"""Events API listeners."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners.events.home import handle_app_home_opened
from bot.listeners.events.lifecycle import handle_app_uninstalled, handle_tokens_revoked


def register(app: AsyncApp) -> None:
    """Register the event listeners."""
    app.event("app_uninstalled")(handle_app_uninstalled)
    app.event("tokens_revoked")(handle_tokens_revoked)
    app.event("app_home_opened")(handle_app_home_opened)
