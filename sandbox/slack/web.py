"""The stand-in as an aiohttp application: Slack's Web API request handling, end to end.

Routes, relative to where the app is mounted (``/slack`` in the sandbox server):

- ``GET|POST /api/<method>`` — Web API methods;
- ``POST /upload/v1/<ticket>`` — upload URLs from files.getUploadURLExternal;
- ``GET /files/<id>/<name>`` and ``/files/<id>/download/<name>`` — ``url_private`` downloads;
- ``POST /responses/<anything>`` — slash-command response_urls;
- ``/_admin/…`` — faults and read access for tests and the demo (see ``admin``).

Requests are read as Slack reads them: arguments from the query string and a form-encoded,
multipart or JSON body; the token from ``Authorization: Bearer`` or a ``token`` form field
(never from a JSON body, which Slack requires to come with the header). Answers are
``{"ok": true, …}`` or ``{"ok": false, "error": …}`` with HTTP 200, except 429 for armed
rate limits and 413 for bodies over 1 MiB. Nothing surfaces as a 500 or a traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import hdrs, web

from . import admin, files, methods
from ._args import Args
from ._call import Call, Handler
from ._http import (
    API_ROUTE,
    MAX_BODY,
    SLACK_STATE,
    BodyTooLarge,
    mount_url,
    read_limited,
    too_large,
)
from .errors import SlackError
from .responses import handle_response_url
from .state import SlackState

log = logging.getLogger(__name__)

#: Every Web API method the stand-in answers; anything else is ``unknown_method``.
METHODS: dict[str, Handler] = {**methods.METHODS, **files.METHODS}

_CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "iso-8859-1": "iso-8859-1", "latin-1": "iso-8859-1"}
_FORM_TYPES = ("application/x-www-form-urlencoded", "text/plain")


def create_slack_app(state: SlackState | None = None) -> web.Application:
    """A Slack Web API stand-in backed by ``state`` (a fresh seeded workspace if None).

    Works standalone or mounted: ``root.add_subapp("/slack", create_slack_app(state))``.
    The state stays reachable as ``app[SLACK_STATE]``.
    """
    app = web.Application(middlewares=[_never_500])
    app[SLACK_STATE] = state if state is not None else SlackState()
    app.router.add_route("*", "/api/{method}", handle_api, name=API_ROUTE)
    app.router.add_post("/upload/v1/{ticket}", files.handle_upload)
    app.router.add_get("/files/{file_id}/{name}", files.handle_download)
    app.router.add_get("/files/{file_id}/download/{name}", files.handle_download)
    app.router.add_post("/responses/{path:.+}", handle_response_url)
    admin.register(app.router)
    return app


async def handle_api(request: web.Request) -> web.StreamResponse:
    """One Web API call: read, authenticate, apply faults, run the method."""
    state = request.app[SLACK_STATE]
    method = request.match_info["method"]
    handler = METHODS.get(method)
    if handler is None:
        return web.json_response({"ok": False, "error": "unknown_method", "req_method": method})
    try:
        values, form_token = await _read_args(request)
        _authenticate(state, request, form_token)
        fault = state.faults.take(method)
        if fault is not None:
            raise fault
        body = handler(Call(state, Args(values), method, mount_url(request)))
    except BodyTooLarge:
        return too_large()
    except SlackError as error:
        return web.json_response(error.body(), status=error.status, headers=error.headers)
    return web.json_response(body, headers={"x-oauth-scopes": ",".join(state.scopes)})


async def _read_args(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """Arguments from query and body, and a token sent as a form field (if any)."""
    values: dict[str, Any] = {k: v for k, v in request.query.items() if k != "token"}
    if request.method != hdrs.METH_POST:
        return values, None
    charset = _charset(request)
    if request.content_type == "multipart/form-data":
        fields = await _multipart_fields(request)
        token = fields.pop("token", None)
        return {**values, **fields}, token
    raw = await read_limited(request, MAX_BODY)
    if not raw:
        return values, None
    if hdrs.CONTENT_TYPE not in request.headers:
        raise SlackError("missing_post_type")
    if request.content_type == "application/json":
        try:
            body = json.loads(raw.decode(charset))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SlackError("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackError("json_not_object")
        # With JSON, Slack only reads the token from the Authorization header.
        body.pop("token", None)
        return {**values, **body}, None
    if request.content_type in _FORM_TYPES:
        try:
            fields = dict(parse_qsl(raw.decode(charset), keep_blank_values=True))
        except UnicodeDecodeError:
            raise SlackError("invalid_form_data") from None
        token = fields.pop("token", None)
        return {**values, **fields}, token
    raise SlackError("invalid_post_type")


def _charset(request: web.Request) -> str:
    given = request.charset
    if given is None:
        return "utf-8"
    charset = _CHARSETS.get(given.lower())
    if charset is None:
        raise SlackError("invalid_charset")
    return charset


async def _multipart_fields(request: web.Request) -> dict[str, str]:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise BodyTooLarge
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise BodyTooLarge from None
    except ValueError:
        raise SlackError("invalid_form_data") from None
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _authenticate(state: SlackState, request: web.Request, form_token: str | None) -> None:
    header = request.headers.get(hdrs.AUTHORIZATION, "")
    scheme, _, credentials = header.partition(" ")
    token = credentials.strip() if scheme.lower() == "bearer" else None
    token = token or form_token
    if not token:
        raise SlackError("not_authed")
    if token not in state.tokens:
        raise SlackError("invalid_auth")


_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _never_500(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """A bug in the stand-in answers like Slack's ``internal_error``, logged with its traceback."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("slack stand-in failed on %s %s", request.method, request.path)
        return web.json_response({"ok": False, "error": "internal_error"})
