"""Signed requests into the bot, byte for byte as Slack sends them.

``sign`` computes Slack's v0 request signature: ``X-Slack-Signature: v0=<hex>`` where hex is
HMAC-SHA256 of ``v0:{timestamp}:{raw body}`` keyed with the app's signing secret, sent with
``X-Slack-Request-Timestamp``. Receivers refuse timestamps more than 5 minutes old
(docs.slack.dev/authentication/verifying-requests-from-slack; slack_sdk's
``SignatureVerifier`` implements the check and is what the tests verify against).

``slash_command_body`` builds the ``application/x-www-form-urlencoded`` body of a slash
command, fields in the order Slack sends them (token, team_id, team_domain, channel_id,
channel_name, user_id, user_name, command, text, api_app_id, is_enterprise_install,
response_url, trigger_id).

What Slack does to the ``text`` of a slash command — verified, with sources:

- ``&``, ``<`` and ``>`` always arrive encoded as ``&amp;``, ``&lt;``, ``&gt;``. Slack treats the
  three as control characters in all message text ("All text in Slack uses the same system of
  escaping … User types: ``Hello & <world>`` / Sent to server: ``Hello &amp; &lt;world&gt;``",
  api.slack.com/docs/formatting; the current formatting reference says they "must be
  converted to HTML entities if they're not used for their parsing purpose" and that only
  these three are decoded for display). Apps receiving user text report the same encoding
  (sdslabs/slack-utils#3 for outgoing webhooks, slack-ruby-bot#237, seratch/ChatGPT-in-Slack#5).
  Nothing else is entity-encoded (quotes and apostrophes arrive as typed). No source ties
  this encoding to the "Escape channels, users, and links" setting (it is how Slack carries
  all message text), so the stand-in applies it either way. Consequence for the bot: the
  description must be decoded once before it is sent to the API, and its echo in mrkdwn may
  reuse the received, already-escaped form — escaping it again would show ``&amp;amp;``.
- With **"Escape channels, users, and links sent to your app" off** (manifest
  ``should_escape: false``, the default) mentions and links arrive as the plain text the user
  typed: ``@alice``, ``#leads``, ``@here``, ``https://example.com``.
- With it **on** (``should_escape: true``) Slack rewrites them into control sequences: users as
  ``<@U0ALICE|alice>``, channels as ``<#C0LEADS|leads>``, special mentions as ``<!here>``,
  ``<!channel>``, ``<!everyone>``, URLs wrapped as ``<https://example.com>`` (the
  slash-command guide, docs.slack.dev/interactivity/implementing-slash-commands; the
  ``user_id|name`` form is the one documented for escaped commands and still sent, see the
  2017 "one about usernames" changelog). Unknown names stay plain text.

Either way a user cannot forge a mention or link by typing ``<@U…>``: the brackets they type
arrive as ``&lt;@U…&gt;``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from .mrkdwn import escape

SIGNATURE_VERSION = "v0"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
#: The legacy verification token carried in the body (Bolt ignores it; signatures rule).
DEFAULT_VERIFICATION_TOKEN = "sandbox-verification-token"  # noqa: S105 - public test value
_SPECIAL_MENTIONS = ("here", "channel", "everyone")
# One pass over the (already entity-escaped) text: URLs, then @names, then #channels — so an
# "@" inside a URL stays part of the URL.
_ESCAPABLE = re.compile(
    r"(?P<url>https?://[^\s]+)|(?<![\w@])@(?P<user>[\w.-]+)|(?<![\w#])#(?P<channel>[\w-]+)"
)


def sign(signing_secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The two headers that make ``body`` a genuine request from Slack (timestamp: now)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = f"{SIGNATURE_VERSION}:{stamp}:".encode() + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: f"{SIGNATURE_VERSION}={digest}"}


def escape_command_text(
    typed: str,
    *,
    should_escape: bool = False,
    users: Mapping[str, str] | None = None,
    channels: Mapping[str, str] | None = None,
) -> str:
    """The ``text`` Slack sends for what a user typed after the command.

    ``users`` and ``channels`` map names to IDs (``{"alice": "U0ALICE"}``); they matter only
    with ``should_escape``, the app's "Escape channels, users, and links" setting.
    """
    text = escape(typed)
    if not should_escape:
        return text
    known_users = users or {}
    known_channels = channels or {}

    def rewrite(match: re.Match[str]) -> str:
        if match.group("url"):
            return f"<{match.group('url')}>"
        if match.group("user"):
            name = match.group("user")
            if name in _SPECIAL_MENTIONS:
                return f"<!{name}>"
            user_id = known_users.get(name)
            return f"<@{user_id}|{name}>" if user_id else match.group(0)
        name = match.group("channel")
        channel_id = known_channels.get(name)
        return f"<#{channel_id}|{name}>" if channel_id else match.group(0)

    return _ESCAPABLE.sub(rewrite, text)


def new_trigger_id() -> str:
    """A trigger_id shaped like Slack's (``<digits>.<digits>.<hex>``)."""
    return f"{secrets.randbelow(10**13)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"


def slash_command_body(
    command: str,
    text: str,
    *,
    user_id: str,
    user_name: str,
    channel_id: str,
    channel_name: str,
    team_id: str,
    response_url: str,
    trigger_id: str | None = None,
    team_domain: str = "leads-sandbox",
    api_app_id: str = "A0LEADSAPP",
    token: str = DEFAULT_VERIFICATION_TOKEN,
    should_escape: bool = False,
    users: Mapping[str, str] | None = None,
    channels: Mapping[str, str] | None = None,
) -> bytes:
    """The form body Slack POSTs for ``/command text`` typed by a user.

    ``text`` is what the user typed; it is escaped as Slack escapes it (see the module
    docstring), so the bot sees exactly what it would see from Slack.
    """
    fields = [
        ("token", token),
        ("team_id", team_id),
        ("team_domain", team_domain),
        ("channel_id", channel_id),
        ("channel_name", channel_name),
        ("user_id", user_id),
        ("user_name", user_name),
        ("command", command),
        (
            "text",
            escape_command_text(text, should_escape=should_escape, users=users, channels=channels),
        ),
        ("api_app_id", api_app_id),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id or new_trigger_id()),
    ]
    return urlencode(fields).encode()


def find_element(
    blocks: list[dict[str, Any]], action_id: str, *, containing: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The ``(block_id, element)`` of the interactive element ``action_id`` in ``blocks``.

    With ``containing``, the first whose value (or one of whose options' values) contains
    it. Raises LookupError when there is none, as a person would find no such button.
    """
    for index, block in enumerate(blocks):
        elements = [block.get("accessory"), *(block.get("elements") or [])]
        for element in elements:
            if not isinstance(element, dict) or element.get("action_id") != action_id:
                continue
            values = [element.get("value"), *(o.get("value") for o in element.get("options", []))]
            if containing is None or any(containing in str(v) for v in values if v):
                return str(block.get("block_id") or f"block{index}"), element
    raise LookupError(f"no {action_id} element" + (f" with {containing!r}" if containing else ""))


def block_actions_body(
    *,
    block_id: str,
    element: dict[str, Any],
    option_value: str | None = None,
    user_id: str,
    user_name: str,
    team_id: str,
    channel_id: str,
    channel_name: str,
    message: dict[str, Any],
    response_url: str,
    api_app_id: str = "A0LEADSAPP",
    token: str = DEFAULT_VERIFICATION_TOKEN,
) -> bytes:
    """The form body Slack POSTs when a user clicks ``element`` in a message (a button, or
    ``option_value`` of an overflow or select menu): ``payload=<JSON>``, type ``block_actions``.

    ``message`` is the message as Slack stores it (``ts``, ``text``, ``blocks``, and
    ``thread_ts`` for a thread reply).
    """
    action: dict[str, Any] = {
        "type": element.get("type"),
        "block_id": block_id,
        "action_id": element.get("action_id"),
        "action_ts": f"{time.time():.6f}",
    }
    if option_value is not None:
        option = next(o for o in element.get("options", []) if o.get("value") == option_value)
        action["selected_option"] = option
    else:
        action["value"] = element.get("value")
        action["text"] = element.get("text")
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": channel_id,
        "is_ephemeral": False,
    }
    if message.get("thread_ts"):
        container["thread_ts"] = message["thread_ts"]
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": token,
        "container": container,
        "trigger_id": new_trigger_id(),
        "team": {"id": team_id, "domain": "leads-sandbox"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
        "message": message,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
    return urlencode([("payload", json.dumps(payload))]).encode()
