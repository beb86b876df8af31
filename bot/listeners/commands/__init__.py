"""Slash-command listeners."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners.commands.leads import handle_leads_command


def register(app: AsyncApp) -> None:
    """Register the slash commands."""
    app.command("/leads")(handle_leads_command)
