"""``POST /slack/events``: Slack's HTTP requests (slash commands, interactivity) into Bolt.

Bolt verifies the v0 signature (401 when it is wrong or more than 5 minutes old) and runs
the matching listener. Two gaps are filled here, before Bolt sees the request:

* a non-numeric ``X-Slack-Request-Timestamp`` makes Bolt's verifier raise (a 500); it is
  refused with the same 401 as any other bad signature;
* Bolt reads any form body containing the substring ``payload`` as an interactivity
  payload, so ``/leads people who talk about payload security`` would become an empty
  request ("unhandled", and an error in Slack). Form bodies without a real ``payload``
  field are parsed again as plain forms (slack_bolt's ``parse_body``, 1.30).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncBoltContext, AsyncBoltRequest
from slack_bolt.request.async_internals import build_async_context

from bot.context import BOLT

__all__ = ["handle_slack_events"]

_FORM = "application/x-www-form-urlencoded"


async def handle_slack_events(request: web.Request) -> web.Response:
    """Hand a request from Slack to Bolt and return Bolt's answer."""
    stamp = request.headers.get("X-Slack-Request-Timestamp")
    if stamp is not None and not stamp.strip().isdigit():
        return web.json_response({"error": "invalid request"}, status=401)
    bolt_request = repair_form_body(await to_bolt_request(request))
    return await to_aiohttp_response(await request.app[BOLT].async_dispatch(bolt_request))


def repair_form_body(bolt_request: AsyncBoltRequest) -> AsyncBoltRequest:
    """Re-parse a form body Bolt mistook for an interactivity payload (see module doc)."""
    if bolt_request.content_type != _FORM or not bolt_request.raw_body:
        return bolt_request
    fields = dict(parse_qsl(bolt_request.raw_body, keep_blank_values=True))
    if "payload" not in fields and bolt_request.body != fields:
        bolt_request.body = fields
        bolt_request.context = build_async_context(AsyncBoltContext({}), fields)
    return bolt_request
