"""``POST /slack/events``: Slack's HTTP requests (slash commands, interactivity) into Bolt.

Nothing is parsed before the v0 signature is known good: a sender without the signing
secret costs a header check, at most a capped read and one HMAC, never a parse:

==========================================================  ======
declared or streamed body over 64 KiB                       413
signature headers missing or malformed, timestamp more      401
than 5 minutes off, body not UTF-8, signature wrong
signed, but the body does not parse (bad JSON, wrong        400
shapes, nesting too deep)
otherwise                                                   Bolt's answer
==========================================================  ======

A refusal is logged as one WARNING line with its reason and the body's size, never the
body. Bolt verifies the signature again (defence in depth; cheap once it is known good).

Bolt reads any form body containing the substring ``payload`` as an interactivity
payload, so ``/leads people who talk about payload security`` would become an empty
request ("unhandled", and an error in Slack). Form bodies without a real ``payload``
field are parsed again as plain forms (slack_bolt's ``parse_body``, 1.30).
"""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncBoltContext, AsyncBoltRequest
from slack_bolt.request.async_internals import build_async_context
from slack_sdk.signature import SignatureVerifier

from bot._bodies import BodyTooLarge, read_at_most
from bot.context import BOLT, SETTINGS

__all__ = ["MAX_EVENT_BYTES", "handle_slack_events", "repair_form_body"]

log = logging.getLogger(__name__)

MAX_EVENT_BYTES = 64 * 1024
"""Largest body accepted (Slack's biggest, a view submission, is a few KB)."""
MAX_AGE_SECONDS = 5 * 60
"""A signature older (or further in the future) than this is refused as a replay."""

_FORM = "application/x-www-form-urlencoded"
# ASCII digits only: "²".isdigit() is true but int("²") raises.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class _Refused(Exception):
    """The request is not Slack's; ``reason`` is for the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _refuse(status: int, error: str, reason: str, size: int | None) -> web.Response:
    shown = "unknown" if size is None else str(size)
    log.warning("/slack/events refused (%s): %s-byte body", reason, shown)
    return web.json_response({"error": error}, status=status)


def _check_headers(request: web.Request) -> None:
    """Refuse a request whose signature headers cannot be genuine (before the body is read)."""
    stamp = request.headers.get("X-Slack-Request-Timestamp")
    signature = request.headers.get("X-Slack-Signature")
    if stamp is None or signature is None:
        raise _Refused("signature headers missing")
    if not _TIMESTAMP.fullmatch(stamp):
        raise _Refused("malformed timestamp")
    if abs(time.time() - int(stamp)) > MAX_AGE_SECONDS:
        raise _Refused("stale timestamp")
    # hmac.compare_digest raises TypeError on non-ASCII text: check the shape first.
    if not _SIGNATURE.fullmatch(signature):
        raise _Refused("malformed signature")


def _verified_text(request: web.Request, body: bytes) -> str:
    """The body as text, if its signature is right."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:  # Slack sends UTF-8; these bytes cannot carry its signature
        raise _Refused("body not UTF-8") from None
    secret = request.app[SETTINGS].slack_signing_secret
    assert secret is not None, "the route exists only with a signing secret"
    verifier = SignatureVerifier(secret.get_secret_value())
    if not verifier.is_valid_request(text, dict(request.headers)):
        raise _Refused("wrong signature")
    return text


async def handle_slack_events(request: web.Request) -> web.Response:
    """Verify a request from Slack, then hand it to Bolt and return Bolt's answer."""
    declared = request.content_length
    if declared is not None and declared > MAX_EVENT_BYTES:
        return _refuse(413, "request too large", "body too large", declared)
    try:
        _check_headers(request)
    except _Refused as refused:
        return _refuse(401, "invalid request", refused.reason, declared)
    try:
        body = await read_at_most(request, MAX_EVENT_BYTES)
    except BodyTooLarge:
        return _refuse(413, "request too large", "body too large", declared)
    try:
        text = _verified_text(request, body)
    except _Refused as refused:
        return _refuse(401, "invalid request", refused.reason, len(body))
    try:
        # Bolt parses the body as it builds the request: the first parse of these bytes.
        bolt_request = repair_form_body(
            AsyncBoltRequest(
                body=text,
                query=request.query_string,
                headers=request.headers,  # type: ignore[arg-type]
            )
        )
    # Bad JSON (JSONDecodeError is a ValueError), nesting too deep, or JSON of the wrong
    # shape (a list or a string where Bolt reads a dict: AttributeError, TypeError).
    except (ValueError, RecursionError, AttributeError, TypeError) as err:
        return _malformed(err, len(body))
    return await to_aiohttp_response(await request.app[BOLT].async_dispatch(bolt_request))


def _malformed(err: Exception, size: int) -> web.Response:
    # Signed, so from Slack or a holder of the secret: worth a line, never a traceback.
    log.warning("/slack/events signed but malformed (%s): %d-byte body", type(err).__name__, size)
    return web.json_response({"error": "malformed request"}, status=400)


def repair_form_body(bolt_request: AsyncBoltRequest) -> AsyncBoltRequest:
    """Re-parse a form body Bolt mistook for an interactivity payload (see module doc)."""
    if bolt_request.content_type != _FORM or not bolt_request.raw_body:
        return bolt_request
    fields = dict(parse_qsl(bolt_request.raw_body, keep_blank_values=True))
    if "payload" not in fields and bolt_request.body != fields:
        bolt_request.body = fields
        bolt_request.context = build_async_context(AsyncBoltContext({}), fields)
    return bolt_request
