"""Interactive-component listeners: the buttons and menus on lead cards and watch lists."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners.actions.cards import (
    handle_card_action,
    handle_export_action,
    handle_home_release,
)
from bot.listeners.actions.watches import handle_watch_action
from bot.views.cards import CLAIM, DISMISS, RELEASE, UNDO
from bot.views.home import HOME_RELEASE
from bot.views.parent import EXPORT
from bot.views.watches import WATCH_ACTIONS


def register(app: AsyncApp) -> None:
    """Register the card actions and the summary's Export CSV."""
    for action_id in (CLAIM, RELEASE, DISMISS, UNDO):
        app.action(action_id)(handle_card_action)
    app.action(EXPORT)(handle_export_action)
    app.action(HOME_RELEASE)(handle_home_release)
    for action_id in WATCH_ACTIONS:
        app.action(action_id)(handle_watch_action)
