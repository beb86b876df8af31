"""A faithful local stand-in for the Slack Web API, for tests and the demo.

``create_slack_app(state)`` returns an aiohttp app (mount it at ``/slack``; the bot then uses
``SLACK_API_URL=http://127.0.0.1:<port>/slack/api/``). ``SlackState`` is the in-memory
workspace with its event log; ``validate_blocks`` checks Block Kit as Slack does; ``signing``
makes signed slash-command requests; ``render`` shows messages as terminal text.
"""

from ._http import SLACK_STATE
from .blockkit import (
    MESSAGE_BLOCKS_TEXT_MAX,
    MESSAGE_TEXT_MAX,
    blocks_text_length,
    validate_blocks,
)
from .events import Event, EventKind, EventLog
from .faults import Faults
from .render import render_channel, render_message, render_thread
from .signing import (
    block_actions_body,
    escape_command_text,
    find_element,
    sign,
    slash_command_body,
)
from .state import DEFAULT_TOKEN, Message, SlackState
from .web import create_slack_app

__all__ = [
    "DEFAULT_TOKEN",
    "MESSAGE_BLOCKS_TEXT_MAX",
    "MESSAGE_TEXT_MAX",
    "SLACK_STATE",
    "Event",
    "EventKind",
    "EventLog",
    "Faults",
    "Message",
    "SlackState",
    "block_actions_body",
    "blocks_text_length",
    "create_slack_app",
    "escape_command_text",
    "find_element",
    "render_channel",
    "render_message",
    "render_thread",
    "sign",
    "slash_command_body",
    "validate_blocks",
]
