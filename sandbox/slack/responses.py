"""Slash commands' ``response_url``: JSON POSTs to ``/responses/<anything>``, as hooks.slack.com.

A minted URL (``SlackState.new_response_url``) knows its channel and user: an ``ephemeral``
answer (the default) is shown to that user only, an ``in_channel`` one is posted to the
channel by the app — even where the bot is not a member, which is how a bot tells people to
invite it. ``replace_original`` edits the URL's previous in_channel message and
``delete_original`` removes it. A URL takes 5 answers within 30 minutes, then says
``used_url`` / ``expired_url`` (404). Unknown URLs are still accepted and recorded.

Like incoming webhooks, errors are a status code with a plain-text code (``invalid_payload``,
``no_text``, ``invalid_blocks``…); success is ``200 ok``. Each POST adds a
``response_url_posted`` event, after the event of its visible effect.
"""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from ._http import MAX_BODY, SLACK_STATE, BodyTooLarge, read_limited, too_large
from .blockkit import MESSAGE_TEXT_MAX, blocks_text_length, validate_blocks, with_block_ids
from .state import RESPONSE_URL_TTL, RESPONSE_URL_USES, ResponseUrl, SlackState


class _Refused(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


async def handle_response_url(request: web.Request) -> web.StreamResponse:
    """Record one answer through a response_url and show its effect."""
    state = request.app[SLACK_STATE]
    token = request.match_info["path"].rstrip("/").rsplit("/", 1)[-1]
    try:
        raw = await read_limited(request, MAX_BODY)
    except BodyTooLarge:
        return too_large()
    record = state.response_urls.get(token)
    try:
        body = _payload(raw)
        _check_usable(record)
        text, blocks = _content(state, body)
    except _Refused as refused:
        return web.Response(status=refused.status, text=refused.code, content_type="text/plain")
    ts = _apply(state, record, body, text, blocks) if record is not None else None
    state.events.append(
        "response_url_posted",
        channel=record.channel if record else None,
        ts=ts,
        user=record.user if record else None,
        payload=body,
    )
    return web.Response(text="ok", content_type="text/html")


def _payload(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _Refused(400, "invalid_payload") from None
    if not isinstance(body, dict):
        raise _Refused(400, "invalid_payload")
    return body


def _check_usable(record: ResponseUrl | None) -> None:
    if record is None:
        return
    if time.time() - record.created > RESPONSE_URL_TTL:
        raise _Refused(404, "expired_url")
    if record.uses >= RESPONSE_URL_USES:
        raise _Refused(404, "used_url")


def _content(state: SlackState, body: dict[str, Any]) -> tuple[str, list[Any] | None]:
    text = body.get("text", "")
    blocks = body.get("blocks")
    if not isinstance(text, str) or (blocks is not None and not isinstance(blocks, list)):
        raise _Refused(400, "invalid_payload")
    if not text and not blocks and not body.get("delete_original"):
        raise _Refused(400, "no_text")
    if blocks:
        if validate_blocks(blocks):
            raise _Refused(400, "invalid_blocks")
        if blocks_text_length(blocks) > state.max_blocks_text:
            raise _Refused(400, "msg_blocks_too_long")
        blocks = with_block_ids(blocks)
    return text[:MESSAGE_TEXT_MAX], blocks or None


def _apply(
    state: SlackState,
    record: ResponseUrl,
    body: dict[str, Any],
    text: str,
    blocks: list[Any] | None,
) -> str | None:
    """Show the answer; returns the ts of what it posted or changed."""
    record.uses += 1
    previous = state.message(record.channel, record.last_ts) if record.last_ts else None
    if body.get("delete_original"):
        if previous is not None:
            state.delete_message(previous)
            return previous.ts
        return None
    if body.get("response_type") == "in_channel":
        if body.get("replace_original") and previous is not None:
            state.update_message(
                previous, text=text, blocks=blocks, metadata=None, by=state.bot_user_id
            )
            return previous.ts
        thread_ts = body.get("thread_ts")
        msg = state.post_message(
            record.channel,
            user=state.bot_user_id,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts if isinstance(thread_ts, str) else None,
        )
        record.last_ts = msg.ts
        return msg.ts
    ephemeral = state.post_ephemeral(
        record.channel, user=record.user, text=text, blocks=blocks, source="response_url"
    )
    return ephemeral.ts
