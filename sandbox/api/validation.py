"""Reading and checking what clients send, before anything is created."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aiohttp import web

from sandbox.api.responses import ApiError

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_DESCRIPTION",
    "MIN_DESCRIPTION",
    "read_object",
    "validate_callback_url",
    "validate_submission",
]

MIN_DESCRIPTION = 10
MAX_DESCRIPTION = 2000
MAX_BODY_BYTES = 1024 * 1024
"""Bodies over 1 MiB are refused with 413 ``payload_too_large``."""
_MAX_URL = 2048


def payload_too_large() -> ApiError:
    """413: the body is over :data:`MAX_BODY_BYTES`."""
    return ApiError(413, "payload_too_large", "Request body must not exceed 1 MB")


def invalid_json(detail: str) -> ApiError:
    """400: the body is not the JSON object the endpoint takes."""
    return ApiError(400, "invalid_json", f"Request body must be a JSON object ({detail})")


async def read_object(request: web.Request) -> dict[str, Any]:
    """The request body as a dict: JSON (whatever the content type says) or an HTML form.

    An empty body is an empty object, so a bare POST gets ``missing_parameters``.
    """
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise payload_too_large()
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise payload_too_large() from None
    text = raw.lstrip()
    if not text:
        return {}
    # curl -d sends JSON labelled as a form; a body that starts like JSON is read as JSON.
    is_form = request.content_type == "application/x-www-form-urlencoded"
    if is_form and not text.startswith((b"{", b"[")):
        try:
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise invalid_json("the form is not UTF-8") from None
    try:
        value = json.loads(raw)
    except UnicodeDecodeError:
        raise invalid_json("the body is not UTF-8") from None
    except json.JSONDecodeError as err:
        raise invalid_json(f"malformed JSON at line {err.lineno} column {err.colno}") from None
    if not isinstance(value, dict):
        raise invalid_json(f"got a JSON {type(value).__name__}")
    return value


def validate_submission(body: dict[str, Any]) -> tuple[str, str | None]:
    """``(description trimmed, callback_url or None)`` of a POST, or the spec's 400."""
    description = body.get("search_description")
    if description is None or description == "":
        raise ApiError.missing_parameters("search_description")
    if not isinstance(description, str):
        raise ApiError.invalid_search_description(" (it must be a string)")
    description = description.strip()
    if not MIN_DESCRIPTION <= len(description) <= MAX_DESCRIPTION:
        raise ApiError.invalid_search_description(
            f" after trimming (got {len(description)} characters)"
        )
    callback_url = body.get("callback_url")
    if callback_url is not None:
        callback_url = validate_callback_url(callback_url)
    return description, callback_url


def validate_callback_url(value: object) -> str:
    """The URL if it is an absolute http(s) URL with a host, else the spec's 400."""
    if not isinstance(value, str) or not value or len(value) > _MAX_URL:
        raise ApiError.invalid_callback_url()
    if any(char.isspace() or ord(char) < 32 for char in value):
        raise ApiError.invalid_callback_url()
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a port out of range or not a number
    except ValueError:
        raise ApiError.invalid_callback_url() from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ApiError.invalid_callback_url()
    return value
