"""Posting and editing the bot's messages, always the same safe way.

``parse="none"`` and no ``link_names``: Slack then turns nothing typed as text into a
mention or link (``chat.update`` would otherwise default to ``parse=client``); unfurling
is off so a stranger's URL never expands into a preview.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.views.blocks import SlackMessage

__all__ = [
    "CANNOT_POST_HERE",
    "error_code",
    "post_message",
    "respond_ephemeral",
    "update_message",
]

CANNOT_POST_HERE = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
)
"""``chat.postMessage`` errors meaning: the bot cannot post in this conversation."""


async def post_message(
    client: AsyncWebClient,
    channel: str,
    message: SlackMessage,
    *,
    thread_ts: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> str:
    """Post ``message`` (in a thread when ``thread_ts``, with Slack message ``metadata``
    when given: ``{"event_type", "event_payload"}``); returns its ``ts``."""
    response = await client.chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        parse="none",
        unfurl_links=False,
        unfurl_media=False,
        metadata=metadata,
        **message.as_args(),
    )
    return str(response["ts"])


async def update_message(
    client: AsyncWebClient, channel: str, ts: str, message: SlackMessage
) -> None:
    """Replace a message's text and blocks (blocks are always sent: omitted ones are kept)."""
    await client.chat_update(channel=channel, ts=ts, parse="none", **message.as_args())


def error_code(error: SlackApiError) -> str:
    """Slack's error code (``not_in_channel``, ``ratelimited``…) from a failed call.

    A proxy or a stand-in may answer with a body that is not Slack's JSON (an HTML error
    page, a 405): that reads as ``unknown_error``, never as a second exception.
    """
    data = error.response.data if error.response is not None else None
    code = data.get("error") if isinstance(data, dict) else None
    return str(code or "unknown_error")


async def respond_ephemeral(respond: AsyncRespond, message: SlackMessage) -> None:
    """Answer only the person who ran a command, through its ``response_url``.

    That works where the bot may not post (channels it is not in, private ones, DMs).
    """
    await respond(response_type="ephemeral", replace_original=False, **message.as_args())
