"""Errors raised by the Person Leads client and the layers built on it.

Every error the product raises on purpose derives from :class:`LeadsError`, so a caller
can catch one class at a boundary. The tree::

    LeadsError
    ├── InvalidDescriptionError          description outside 10–2000 characters (no request made)
    ├── InvalidRequestIdError            a request ID that cannot be one (no request made)
    ├── SearchWaitTimeout                 wait_for_search ran out of time (the search goes on)
    ├── LookupLimitError                  one caller looked up too many unknown searches
    │                                      (``retry_after`` seconds; no request made)
    └── APIError                          anything to do with talking to the API
        ├── APIConnectionError            no usable answer: DNS, refused, reset, TLS, ...
        │   └── APITimeoutError           the request timed out
        ├── APIResponseValidationError    an answer that does not match the documented shape
        └── APIStatusError                an error status (``status_code``, ``code``, ``body``)
            ├── BadRequestError           400: missing_parameters, invalid_search_description,
            │                                  invalid_callback_url
            ├── AuthenticationError       401: invalid_credentials
            ├── NotFoundError             404: not_found
            ├── RateLimitError            429: rate_limit_exceeded (``retry_after`` seconds)
            └── InternalServerError       5xx: internal_error

:func:`error_for_response` is the one place that maps an HTTP response to its class.
Messages are short and safe to show; they never contain credentials.
"""

from __future__ import annotations

import math
from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "InternalServerError",
    "InvalidDescriptionError",
    "InvalidRequestIdError",
    "LeadsError",
    "LookupLimitError",
    "NotFoundError",
    "QueueFullError",
    "RateLimitError",
    "SearchWaitTimeout",
    "error_for_response",
]


class LeadsError(Exception):
    """Base class of every error this product raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidDescriptionError(LeadsError, ValueError):
    """The search description is empty, too short or too long; nothing was sent."""

    def __init__(self, message: str, *, length: int) -> None:
        super().__init__(message)
        self.length = length


class InvalidRequestIdError(LeadsError, ValueError):
    """The text given as a request ID cannot be one; nothing was sent."""


class LookupLimitError(LeadsError):
    """One caller asked about too many searches we did not know; nothing was sent.

    Each such lookup costs an API request from the budget every front shares, so a caller
    (a Slack user, an MCP client, the CLI) gets a few a minute. ``retry_after`` is the
    whole number of seconds until the next one is allowed.
    """

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many lookups of unknown searches; try again in {retry_after} s.")
        self.retry_after = retry_after


class QueueFullError(LeadsError):
    """A search could not start within the bound a queued search may wait; nothing was
    queued. ``expected_wait`` is when it could have started, ``bound`` the longest allowed
    wait and ``retry_after`` the whole number of seconds until it would fit (all seconds).
    """

    def __init__(self, *, expected_wait: float, bound: float) -> None:
        self.expected_wait = expected_wait
        self.bound = bound
        self.retry_after = max(1, math.ceil(expected_wait - bound))
        super().__init__(
            "The shared API request budget is booked for the next "
            f"{spoken_seconds(expected_wait)}, longer than a search may wait in the queue "
            f"({spoken_seconds(bound)}); "
            f"try again in {spoken_seconds(self.retry_after)}."
        )


def spoken_seconds(seconds: float) -> str:
    """A duration for people: ``"45 s"`` or ``"12 min"``."""
    if seconds < 90:
        return f"{math.ceil(seconds)} s"
    return f"{math.ceil(seconds / 60)} min"


class SearchWaitTimeout(LeadsError):
    """Waiting for a search ran out of time. The search itself is still running."""

    def __init__(self, request_id: str, last_status: str | None, waited: float) -> None:
        super().__init__(
            f"Search {request_id} was still {last_status or 'unknown'} after {waited:.0f} s."
        )
        self.request_id = request_id
        self.last_status = last_status
        self.waited = waited


class APIError(LeadsError):
    """Something went wrong talking to the Person Leads API."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APIConnectionError(APIError):
    """The API could not be reached, or the connection broke before an answer came."""


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class APIResponseValidationError(APIError):
    """The API answered with a body that does not match the documented shape."""

    def __init__(self, message: str, *, response: httpx.Response, body: object) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.body = body


class APIStatusError(APIError):
    """The API answered with an error status.

    ``code`` is the API's machine-readable error code (``error.code`` in the body) when
    the body had one; ``body`` is the decoded body (or raw text) for logs.
    """

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        body: object = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message, request=response.request if response is not None else None)
        self.status_code = status_code
        self.code = code
        self.body = body
        self.response = response


class BadRequestError(APIStatusError):
    """400: the request was rejected; ``code`` says why (e.g. ``invalid_callback_url``)."""


class AuthenticationError(APIStatusError):
    """401: the API key or secret is wrong. Check NYNE_API_KEY and NYNE_API_SECRET."""


class NotFoundError(APIStatusError):
    """404: no search with that request ID."""


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is how many seconds to wait, when known.

    Also raised by the shared rate limiter when a request would have to wait longer
    than its bound; then ``response`` is ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None,
        code: str | None = "rate_limit_exceeded",
        body: object = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message, status_code=429, code=code, body=body, response=response)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """5xx: the API failed. Safe to retry later."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    404: NotFoundError,
}


def _error_fields(body: object) -> tuple[str | None, str | None]:
    """Pull ``(code, message)`` out of the documented error body, tolerating other shapes."""
    if not isinstance(body, dict):
        return None, None
    error: Any = body.get("error")
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
        return (
            code if isinstance(code, str) else None,
            message if isinstance(message, str) else None,
        )
    if isinstance(error, str):
        return None, error
    message = body.get("message")
    return None, message if isinstance(message, str) else None


def error_for_response(
    response: httpx.Response, *, retry_after: float | None = None
) -> APIStatusError:
    """Build the exception for an error response (any status >= 400)."""
    try:
        body: object = response.json()
    except ValueError:
        body = response.text[:500]
    code, api_message = _error_fields(body)
    status = response.status_code
    message = f"Person Leads API answered {status}" + (f" ({code})" if code else "")
    if api_message:
        message += f": {api_message}"
    if status == 429:
        return RateLimitError(
            message,
            retry_after=retry_after,
            code=code or "rate_limit_exceeded",
            body=body,
            response=response,
        )
    if status >= 500:
        return InternalServerError(
            message, status_code=status, code=code, body=body, response=response
        )
    cls = _STATUS_CLASSES.get(status, APIStatusError)
    return cls(message, status_code=status, code=code, body=body, response=response)
