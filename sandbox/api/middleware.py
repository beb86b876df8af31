"""Turns every failure on the sandbox's own routes into the API's one error body.

Documented errors arrive as :class:`ApiError`; aiohttp's own (unknown path, wrong method,
body too large) as ``HTTPException``; anything else is a bug, logged with its traceback
and answered ``500 internal_error`` — never a traceback or an HTML page.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from sandbox.api.clock import Clock
from sandbox.api.responses import ApiError
from sandbox.api.validation import payload_too_large

__all__ = ["error_middleware"]

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


def error_middleware(clock: Clock, *, passthrough_prefixes: tuple[str, ...] = ()) -> Middleware:
    """The middleware. Paths under ``passthrough_prefixes`` (the Slack stand-in) keep their own
    error conventions."""

    @web.middleware
    async def handle_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(passthrough_prefixes) or len(request.match_info.apps) > 1:
            return await handler(request)
        try:
            return await handler(request)
        except ApiError as err:
            return err.to_response(clock.now())
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return _from_http_exception(exc).to_response(clock.now())
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            return ApiError.internal_error().to_response(clock.now())

    return handle_errors


def _from_http_exception(exc: web.HTTPException) -> ApiError:
    if exc.status == 413:
        return payload_too_large()
    headers = {}
    if exc.status == 405 and "Allow" in exc.headers:
        headers["Allow"] = exc.headers["Allow"]
    if exc.status == 404:
        message = "Not found"
    elif exc.status == 405:
        message = "Method not allowed"
    else:
        message = exc.reason
    code = _CODES.get(exc.status, "internal_error" if exc.status >= 500 else "bad_request")
    return ApiError(exc.status, code, message, headers=headers)
