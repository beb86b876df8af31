"""Posting and editing the bot's messages, always the same safe way.

``parse="none"`` and no ``link_names``: Slack then turns nothing typed as text into a
mention or link (``chat.update`` would otherwise default to ``parse=client``); unfurling
is off so a stranger's URL never expands into a preview.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.views.blocks import SlackMessage

__all__ = [
    "CANNOT_POST_HERE",
    "CLOCK_MARGIN",
    "error_code",
    "find_tagged",
    "is_tagged",
    "post_message",
    "respond_ephemeral",
    "tag",
    "update_message",
]

log = logging.getLogger(__name__)

CANNOT_POST_HERE = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
)
"""``chat.postMessage`` errors meaning: the bot cannot post in this conversation."""
CLOCK_MARGIN = 60.0
"""Seconds of history read before a message can have been posted, when looking for it
(Slack's clock and ours may differ)."""


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


def tag(event_type: str, **payload: str | int) -> dict[str, Any]:
    """Slack message metadata naming what a message is, for :func:`post_message`.

    Slack has no idempotency key for a post: a run that died between Slack taking a
    message and the bot recording its ``ts`` finds it again by this tag (read back with
    ``include_all_metadata``), instead of posting it twice.
    """
    return {"event_type": event_type, "event_payload": payload}


def is_tagged(message: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether a message as Slack returns it carries the :func:`tag` ``wanted`` (numbers
    match whether Slack hands them back as numbers or strings)."""
    metadata = message.get("metadata") or {}
    found = metadata.get("event_payload") or {}
    return metadata.get("event_type") == wanted["event_type"] and all(
        str(found.get(name)) == str(value) for name, value in wanted["event_payload"].items()
    )


async def find_tagged(
    read: Callable[..., Awaitable[Any]], wanted: dict[str, Any], *, where: dict[str, Any]
) -> str | None:
    """The ``ts`` of the message carrying the :func:`tag` ``wanted``, or None: not found, or
    the messages could not be read (a missing scope, a failed call; logged with ``where``).

    ``read`` is a paginated ``conversations.*`` call with its arguments bound (channel,
    thread…); it is called with ``cursor``, ``limit`` and ``include_all_metadata``, page
    after page, until the message is found or the pages end. On None the caller posts the
    message: two copies are better than none.
    """
    cursor: str | None = None
    try:
        while True:
            page = await read(include_all_metadata=True, limit=200, cursor=cursor)
            for message in page.get("messages") or []:
                if message.get("ts") and is_tagged(message, wanted):
                    log.info("found up: %s", wanted["event_type"], extra=where)
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return None
    except SlackApiError as err:
        log.warning(
            "cannot tell whether a message is up (%s, %s): posting it",
            wanted["event_type"],
            error_code(err),
            extra=where,
        )
        return None


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
