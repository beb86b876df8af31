"""The app being uninstalled or losing its tokens: nothing the bot can fix, so it says so."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck

__all__ = ["handle_app_uninstalled", "handle_tokens_revoked"]

log = logging.getLogger(__name__)


async def handle_app_uninstalled(ack: AsyncAck, event: dict[str, Any]) -> None:
    """The workspace removed the app: deliveries will fail until it is reinstalled."""
    await ack()
    log.error("the Slack app was uninstalled: reinstall it and update SLACK_BOT_TOKEN")


async def handle_tokens_revoked(ack: AsyncAck, event: dict[str, Any]) -> None:
    """Slack revoked tokens: if it was the bot token, nothing will post until it is replaced."""
    await ack()
    revoked = event.get("tokens") or {}
    log.error(
        "Slack revoked tokens (bot: %d, user: %d): update SLACK_BOT_TOKEN if it was ours",
        len(revoked.get("bot") or []),
        len(revoked.get("oauth") or []),
    )
