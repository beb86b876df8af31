"""Bolt listeners, by kind; :func:`register` wires them all into the app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners import actions, commands, events


def register(app: AsyncApp) -> None:
    """Register every listener."""
    actions.register(app)
    commands.register(app)
    events.register(app)
