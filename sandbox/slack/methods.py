"""The Web API methods the bot and Bolt call: chat.*, conversations.*, users.info, views.publish.

Each handler takes a ``Call`` and returns Slack's success body, or raises ``SlackError`` with
the code Slack documents for that method (docs.slack.dev/reference/methods/<method>, errors
tables). Arguments and their encodings are handled by ``Args``; auth, faults and HTTP by
``web``. File methods live in ``files``.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from ._call import Call, Handler
from .blockkit import (
    MESSAGE_TEXT_MAX,
    blocks_text_length,
    validate_blocks,
    with_block_ids,
)
from .errors import SlackError, missing_field
from .state import Channel, HomeView, Message, SlackState

_TS = re.compile(r"^\d+\.\d+$")
HISTORY_LIMIT_MAX = 999
REPLIES_LIMIT_DEFAULT = 1000
VIEW_PRIVATE_METADATA_MAX = 3000
VIEW_CALLBACK_ID_MAX = 255
TRUNCATED_WARNING = (
    "[WARN] Your message was truncated but still posted. "
    "The `text` field accepts up to 40,000 characters."
)


# -- shared checks -----------------------------------------------------------------------


def channel_arg(call: Call, name: str = "channel") -> Channel:
    """The channel an argument names; a missing or unknown one is ``channel_not_found``."""
    ref = call.args.string(name)
    channel = call.state.resolve_channel(ref) if ref else None
    if channel is None:
        raise SlackError("channel_not_found")
    return channel


def require_bot_can_post(state: SlackState, channel: Channel) -> None:
    """``not_in_channel`` unless the bot is a member (or may post publicly with its scopes)."""
    if state.bot_user_id in channel.members:
        return
    if not channel.is_private and "chat:write.public" in state.scopes:
        return
    raise SlackError("not_in_channel")


def require_bot_can_read(state: SlackState, channel: Channel) -> None:
    """Bots read the history of conversations they are in, nothing else."""
    if state.bot_user_id not in channel.members:
        raise SlackError("channel_not_found" if channel.is_private else "not_in_channel")


def thread_ts_arg(call: Call) -> str | None:
    """``thread_ts``, refused with ``invalid_thread_ts`` unless it is shaped like a ts."""
    thread_ts = call.args.string("thread_ts")
    if not thread_ts:
        return None
    if not _TS.match(thread_ts):
        raise SlackError("invalid_thread_ts", messages=[f"{thread_ts} is not a valid thread_ts"])
    return thread_ts


@dataclass(frozen=True, slots=True)
class Content:
    """A message's content as sent: text (maybe truncated), blocks, metadata."""

    text: str | None
    blocks: list[Any] | None
    metadata: dict[str, Any] | None
    #: Whether the call carried ``blocks`` / ``metadata`` at all (chat.update keeps them if not).
    blocks_given: bool
    metadata_given: bool
    truncated: bool

    def decorate(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add the ``message_truncated`` warning Slack gives when it cut ``text``."""
        if self.truncated:
            body["warning"] = "message_truncated"
            body["response_metadata"] = {
                "messages": [TRUNCATED_WARNING],
                "warnings": ["message_truncated"],
            }
        return body


def content_args(call: Call) -> Content:
    """Read and check ``text``, ``blocks``, ``attachments`` and ``metadata`` like Slack does.

    Blocks must be a JSON array (else ``invalid_blocks_format``) of valid blocks (else
    ``invalid_blocks`` with the reasons) whose text stays under the message cap (else
    ``msg_blocks_too_long``). ``text`` over 40,000 characters is truncated with a warning.
    """
    args, state = call.args, call.state
    text = args.string("text")
    blocks_given = "blocks" in args
    blocks = args.decoded("blocks", error="invalid_blocks_format") if blocks_given else None
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    has_attachments = bool(args.decoded("attachments", error="invalid_attachments"))
    if not text and not blocks and not has_attachments:
        raise SlackError("no_text")
    if blocks:
        errors = validate_blocks(blocks)
        if errors:
            raise SlackError("invalid_blocks", messages=errors, errors=errors)
        if blocks_text_length(blocks) > state.max_blocks_text:
            raise SlackError("msg_blocks_too_long")
        blocks = with_block_ids(blocks)
    truncated = text is not None and len(text) > MESSAGE_TEXT_MAX
    if text is not None and truncated:
        text = text[:MESSAGE_TEXT_MAX]
    metadata_given = "metadata" in args
    metadata = metadata_arg(call) if metadata_given else None
    return Content(
        text,
        blocks or None,
        metadata,
        blocks_given=blocks_given,
        metadata_given=metadata_given,
        truncated=truncated,
    )


def metadata_arg(call: Call) -> dict[str, Any] | None:
    """Message metadata: ``{"event_type": str, "event_payload": {...}}``; ``{}`` clears it."""
    metadata = call.args.decoded("metadata", error="invalid_metadata_format")
    if metadata is None or metadata == {}:
        return None
    if not isinstance(metadata, dict):
        raise SlackError("invalid_metadata_format")
    if not isinstance(metadata.get("event_type"), str) or not isinstance(
        metadata.get("event_payload"), dict
    ):
        raise SlackError("invalid_metadata_schema")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


def bot_message(call: Call, channel: Channel, name: str = "ts") -> Message:
    """The message an argument names, which the bot must have written."""
    ts = call.args.string(name)
    msg = call.state.message(channel.id, ts) if ts else None
    if msg is None:
        raise SlackError("message_not_found")
    return msg


# -- auth ----------------------------------------------------------------------------------


def auth_test(call: Call) -> dict[str, Any]:
    """Who the token is: Bolt calls this once to learn its bot user and bot id."""
    state = call.state
    return {
        "ok": True,
        "url": state.workspace_url,
        "team": state.team_name,
        "user": state.bot_name,
        "team_id": state.team_id,
        "user_id": state.bot_user_id,
        "bot_id": state.bot_id,
        "is_enterprise_install": False,
    }


# -- chat ----------------------------------------------------------------------------------


def chat_post_message(call: Call) -> dict[str, Any]:
    """Post as the bot to a channel or thread."""
    state = call.state
    channel = channel_arg(call)
    require_bot_can_post(state, channel)
    thread_ts = thread_ts_arg(call)
    content = content_args(call)
    args = call.args
    msg = state.post_message(
        channel.id,
        user=state.bot_user_id,
        text=content.text or "",
        blocks=content.blocks,
        thread_ts=thread_ts,
        reply_broadcast=args.flag("reply_broadcast"),
        metadata=content.metadata,
        mrkdwn=args.flag("mrkdwn", default=True),
        unfurl_links=args.flag("unfurl_links") if "unfurl_links" in args else None,
        unfurl_media=args.flag("unfurl_media") if "unfurl_media" in args else None,
    )
    body = {
        "ok": True,
        "channel": channel.id,
        "ts": msg.ts,
        "message": msg.to_api(team_id=state.team_id),
    }
    return content.decorate(body)


def chat_update(call: Call) -> dict[str, Any]:
    """Edit one of the bot's messages; omitted blocks and metadata are kept, ``[]``/``{}`` clear."""
    state = call.state
    channel = channel_arg(call)
    if "ts" not in call.args:
        raise missing_field("ts")
    msg = bot_message(call, channel)
    if msg.user != state.bot_user_id:
        raise SlackError("cant_update_message")
    content = content_args(call)
    blocks = content.blocks if content.blocks_given else msg.blocks
    metadata = content.metadata if content.metadata_given else msg.metadata
    state.update_message(
        msg, text=content.text or "", blocks=blocks, metadata=metadata, by=state.bot_user_id
    )
    body = {
        "ok": True,
        "channel": channel.id,
        "ts": msg.ts,
        "text": msg.text,
        "message": msg.to_api(team_id=state.team_id),
    }
    return content.decorate(body)


def chat_post_ephemeral(call: Call) -> dict[str, Any]:
    """Show one member of a channel a message only they see."""
    state = call.state
    channel = channel_arg(call)
    user = call.args.string("user")
    if not user:
        raise missing_field("user")
    require_bot_can_post(state, channel)
    if user not in channel.members:
        raise SlackError("user_not_in_channel")
    thread_ts = thread_ts_arg(call)
    content = content_args(call)
    ephemeral = state.post_ephemeral(
        channel.id,
        user=user,
        text=content.text or "",
        blocks=content.blocks,
        thread_ts=thread_ts,
    )
    return content.decorate({"ok": True, "message_ts": ephemeral.ts})


def chat_get_permalink(call: Call) -> dict[str, Any]:
    """A message's permalink."""
    channel = channel_arg(call)
    if "message_ts" not in call.args:
        raise missing_field("message_ts")
    msg = bot_message(call, channel, "message_ts")
    return {"ok": True, "channel": channel.id, "permalink": call.state.permalink(channel.id, msg)}


def chat_delete(call: Call) -> dict[str, Any]:
    """Delete one of the bot's messages."""
    state = call.state
    channel = channel_arg(call)
    if "ts" not in call.args:
        raise missing_field("ts")
    msg = bot_message(call, channel)
    if msg.user != state.bot_user_id:
        raise SlackError("cant_delete_message")
    state.delete_message(msg)
    return {"ok": True, "channel": channel.id, "ts": msg.ts}


# -- conversations -------------------------------------------------------------------------


def conversations_info(call: Call) -> dict[str, Any]:
    """A channel's details as the bot sees them (``is_member`` tells whether it was invited)."""
    state = call.state
    channel = channel_arg(call)
    if channel.is_private and state.bot_user_id not in channel.members:
        raise SlackError("channel_not_found")
    info = channel.to_api(member=state.bot_user_id, team_id=state.team_id)
    if call.args.flag("include_num_members"):
        info["num_members"] = len(channel.members)
    return {"ok": True, "channel": info}


def conversations_history(call: Call) -> dict[str, Any]:
    """The channel's messages, newest first, paginated with ``cursor``/``limit``."""
    state = call.state
    channel = channel_arg(call)
    require_bot_can_read(state, channel)
    args = call.args
    oldest = _ts_bound(args.string("oldest"), "invalid_ts_oldest")
    latest = _ts_bound(args.string("latest"), "invalid_ts_latest")
    inclusive = args.flag("inclusive")
    shown = [m for m in state.history(channel.id) if _in_window(m.ts, oldest, latest, inclusive)]
    limit = min(max(args.integer("limit", 100), 1), HISTORY_LIMIT_MAX)
    page, next_cursor = _page(shown, args.string("cursor"), limit)
    include_metadata = args.flag("include_all_metadata")
    body: dict[str, Any] = {
        "ok": True,
        "messages": [
            m.to_api(team_id=state.team_id, include_metadata=include_metadata) for m in page
        ],
        "has_more": next_cursor is not None,
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
    }
    if next_cursor is not None:
        body["response_metadata"] = {"next_cursor": next_cursor}
    return body


def conversations_replies(call: Call) -> dict[str, Any]:
    """A thread, parent first then replies oldest first; the parent heads every page."""
    state = call.state
    channel = channel_arg(call)
    require_bot_can_read(state, channel)
    ts = call.args.string("ts")
    if not ts:
        raise missing_field("ts")
    thread = state.thread(channel.id, ts)
    if not thread:
        raise SlackError("thread_not_found")
    parent, replies = thread[0], thread[1:]
    limit = max(call.args.integer("limit", REPLIES_LIMIT_DEFAULT), 1)
    page, next_cursor = _page(replies, call.args.string("cursor"), limit)
    include_metadata = call.args.flag("include_all_metadata")
    body: dict[str, Any] = {
        "ok": True,
        "messages": [
            m.to_api(team_id=state.team_id, include_metadata=include_metadata)
            for m in [parent, *page]
        ],
        "has_more": next_cursor is not None,
    }
    if next_cursor is not None:
        body["response_metadata"] = {"next_cursor": next_cursor}
    return body


def conversations_join(call: Call) -> dict[str, Any]:
    """The bot joins a public channel (a no-op with a warning if it already is in)."""
    state = call.state
    channel = channel_arg(call)
    if channel.is_private or channel.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    body: dict[str, Any] = {"ok": True}
    if state.bot_user_id in channel.members:
        body["warning"] = "already_in_channel"
        body["response_metadata"] = {"warnings": ["already_in_channel"]}
    else:
        channel.members.add(state.bot_user_id)
        state.post_message(
            channel.id,
            user=state.bot_user_id,
            text=f"<@{state.bot_user_id}> has joined the channel",
            subtype="channel_join",
        )
    body["channel"] = channel.to_api(member=state.bot_user_id, team_id=state.team_id)
    return body


def _ts_bound(value: str | None, error: str) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise SlackError(error) from None


def _in_window(ts: str, oldest: float | None, latest: float | None, inclusive: bool) -> bool:
    value = float(ts)
    if oldest is not None and (value < oldest or (value == oldest and not inclusive)):
        return False
    return not (latest is not None and (value > latest or (value == latest and not inclusive)))


def _page(items: list[Message], cursor: str | None, limit: int) -> tuple[list[Message], str | None]:
    """One page of ``items`` from an opaque cursor (base64 of ``next_ts:<ts>``, like Slack's)."""
    start = 0
    if cursor:
        try:
            decoded = base64.b64decode(cursor, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise SlackError("invalid_cursor") from None
        ts = decoded.removeprefix("next_ts:")
        positions = [i for i, m in enumerate(items) if m.ts == ts]
        if not decoded.startswith("next_ts:") or not positions:
            raise SlackError("invalid_cursor")
        start = positions[0]
    page = items[start : start + limit]
    rest = items[start + limit :]
    next_cursor = base64.b64encode(f"next_ts:{rest[0].ts}".encode()).decode() if rest else None
    return page, next_cursor


# -- users and views -----------------------------------------------------------------------


def users_info(call: Call) -> dict[str, Any]:
    """A member's profile."""
    user_id = call.args.string("user")
    if not user_id:
        raise missing_field("user")
    user = call.state.users.get(user_id)
    if user is None:
        raise SlackError("user_not_found")
    return {"ok": True, "user": user.to_api(call.state.team_id)}


def views_publish(call: Call) -> dict[str, Any]:
    """Publish a user's App Home tab; blocks are checked as a home surface (100 blocks)."""
    state = call.state
    user_id = call.args.string("user_id")
    if not user_id:
        raise missing_field("user_id")
    if "view" not in call.args:
        raise missing_field("view")
    view = call.args.decoded("view")
    if not isinstance(view, dict):
        raise SlackError(
            "invalid_arguments", messages=["must provide an object [json-pointer:/view]"]
        )
    problems = _view_problems(view)
    if problems:
        raise SlackError("invalid_arguments", messages=problems)
    if user_id not in state.users:
        raise SlackError("user_not_found")
    current = state.home_views.get(user_id)
    given_hash = call.args.string("hash")
    if given_hash and current is not None and given_hash != current.hash:
        raise SlackError("hash_conflict")
    view_id = current.id if current else state.new_id("V")
    stored = {
        "id": view_id,
        "team_id": state.team_id,
        "type": "home",
        "blocks": with_block_ids(view.get("blocks", [])),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "state": {"values": {}},
        "hash": state.next_ts().replace(".", ""),
        "title": view.get("title"),
        "clear_on_close": False,
        "notify_on_close": False,
        "close": None,
        "submit": None,
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": state.app_id,
        "external_id": view.get("external_id", ""),
        "app_installed_team_id": state.team_id,
        "bot_id": state.bot_id,
    }
    state.home_views[user_id] = HomeView(view_id, user_id, stored, stored["hash"])
    state.events.append("home_published", user=user_id, payload={"view": stored})
    return {"ok": True, "view": stored}


def _view_problems(view: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if view.get("type") != "home":
        problems.append("must be a valid enum value [json-pointer:/view/type]")
    if "blocks" not in view:
        problems.append("missing required field: blocks [json-pointer:/view]")
    else:
        problems.extend(validate_blocks(view["blocks"], surface="home", pointer="/view/blocks"))
    for name, limit in (
        ("private_metadata", VIEW_PRIVATE_METADATA_MAX),
        ("callback_id", VIEW_CALLBACK_ID_MAX),
    ):
        value = view.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            problems.append(f"must be less than {limit + 1} characters [json-pointer:/view/{name}]")
    return problems


METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.getPermalink": chat_get_permalink,
    "chat.delete": chat_delete,
    "conversations.info": conversations_info,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "conversations.join": conversations_join,
    "users.info": users_info,
    "views.publish": views_publish,
}
