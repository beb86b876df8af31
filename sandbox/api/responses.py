"""Bodies, timestamps and errors exactly as the spec shows them.

Successes are ``{"success": true, "data": …, "timestamp": "2026-01-14T15:30:00Z"}``; every
error, documented or not, is ``{"success": false, "error": {"code", "message"},
"timestamp"}``. ``timestamp`` carries a ``Z``; ``created_on``/``completed_on`` carry no
zone; neither has fractional seconds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

__all__ = [
    "ApiError",
    "dumps",
    "error_body",
    "json_response",
    "naive_timestamp",
    "success_body",
    "utc_timestamp",
    "wrap_data",
]

_JSON = "application/json"


def utc_timestamp(moment: datetime) -> str:
    """``2026-01-14T15:30:00Z``: the form of every ``timestamp`` field."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def naive_timestamp(moment: datetime) -> str:
    """``2026-01-14T15:30:00``: the zone-less UTC form of ``created_on``/``completed_on``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def wrap_data(data_json: bytes, now: datetime) -> bytes:
    """The success envelope around an already-serialised ``data``.

    Completed searches keep their ``data`` serialised once; only the timestamp changes
    between polls, so a poll costs a concatenation instead of a JSON encoding.
    """
    return b'{"success":true,"data":%s,"timestamp":"%s"}' % (
        data_json,
        utc_timestamp(now).encode("ascii"),
    )


def success_body(data: Any, now: datetime) -> bytes:
    """The success envelope around ``data``."""
    return wrap_data(dumps(data), now)


def error_body(code: str, message: str, now: datetime) -> bytes:
    """The one error body every failure uses."""
    return dumps(
        {
            "success": False,
            "error": {"code": code, "message": message},
            "timestamp": utc_timestamp(now),
        }
    )


def json_response(
    body: bytes, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON response with an already-encoded body."""
    return web.Response(body=body, status=status, content_type=_JSON, headers=headers)


class ApiError(Exception):
    """An error answer: raised by handlers, rendered by the error middleware."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def to_response(self, now: datetime) -> web.Response:
        """The error response, timestamped ``now``."""
        return json_response(
            error_body(self.code, self.message, now), status=self.status, headers=self.headers
        )

    # The spec's error table, with its descriptions as messages.

    @classmethod
    def missing_parameters(cls, name: str = "search_description") -> ApiError:
        """400: a required parameter is absent."""
        return cls(400, "missing_parameters", f"{name} parameter is required")

    @classmethod
    def invalid_search_description(cls, detail: str = "") -> ApiError:
        """400: the description is not a 10–2000 character string."""
        message = "search_description must be 10-2000 characters"
        return cls(400, "invalid_search_description", f"{message}{detail}")

    @classmethod
    def invalid_callback_url(cls) -> ApiError:
        """400: the callback URL is not an http(s) URL."""
        return cls(400, "invalid_callback_url", "callback_url must be a valid HTTP or HTTPS URL")

    @classmethod
    def invalid_credentials(cls) -> ApiError:
        """401: wrong or missing key or secret."""
        return cls(401, "invalid_credentials", "API key or secret is incorrect")

    @classmethod
    def not_found(cls, message: str = "Request ID not found") -> ApiError:
        """404: no such search for this key (or no such route)."""
        return cls(404, "not_found", message)

    @classmethod
    def rate_limit_exceeded(cls, retry_after: str, window: str | None) -> ApiError:
        """429 with ``Retry-After`` (whole seconds)."""
        per = f" ({window} limit)" if window else ""
        return cls(
            429,
            "rate_limit_exceeded",
            f"Rate limit exceeded{per}. Retry after {retry_after} seconds.",
            headers={"Retry-After": retry_after},
        )

    @classmethod
    def internal_error(cls) -> ApiError:
        """500: something broke (or the ``fail_requests`` / ``fail_after_create`` fault fired)."""
        return cls(500, "internal_error", "Internal server error")
