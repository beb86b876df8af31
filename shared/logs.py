"""Structured logging for every process: one line per event, ``key=value`` or JSON.

Context goes in ``extra`` (``log.info("search completed", extra={"request_id": rid})``)
and comes out as fields. The configured secret values are replaced by ``[redacted]`` in
every field — message (with its arguments), ``extra`` values and traceback text — before
the line is rendered: rendering escapes characters (a ``"``, a ``\\``, non-ASCII in JSON),
and an escaped secret would no longer match. The finished line gets the same pass again
as a backstop.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

__all__ = ["MIN_REDACTED_LENGTH", "MalformedRequestFilter", "configure_logging"]

MIN_REDACTED_LENGTH = 6
"""Secrets shorter than this are not redacted. Blanking every "a" or "tok" in a line would
shred ordinary words, and the pattern of holes would itself spell out the secret. So the
settings that guard something exposed have a floor above this one (``MCP_AUTH_TOKEN``
off loopback: 32 characters, see ``mcp_server.http``)."""

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "color_message"}  # uvicorn adds an ANSI-coloured copy
)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    for key, value in vars(record).items():
        if key not in _STANDARD_ATTRS and not key.startswith("_"):
            fields[key] = value
    if record.exc_info:
        fields["exc"] = logging.Formatter().formatException(record.exc_info)
    return fields


# Backslash escapes for the characters that would break a key=value line or its quoting.
_NAMED_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if (named := _NAMED_ESCAPES.get(char)) is not None:
        return named
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _kv_value(value: Any) -> str:
    """A value as one token: bare when plain, else quoted with every control escaped.

    Values carry untrusted text (a URL-decoded path, a description), so no character of
    theirs may reach the line raw: a CR or LF would forge a line, an ESC would drive the
    reader's terminal, a TAB or bidi control would disguise fields. Anything Python does not
    call printable is written as a backslash escape (``\\r``, ``\\x1b``, ``\\u202e``).
    """
    text = str(value)
    if text and text.isprintable() and not any(c in text for c in ' ="\\'):
        return text
    return '"' + "".join(map(_escape, text)) + '"'


class _RedactingFormatter(logging.Formatter):
    """Blanks out every known secret in a record's fields, then formats them as one line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # See MIN_REDACTED_LENGTH for why short values are left alone.
        self._secrets = sorted(
            {s for s in secrets if len(s) >= MIN_REDACTED_LENGTH}, key=len, reverse=True
        )

    def format(self, record: logging.LogRecord) -> str:
        fields = {key: self._redact_value(value) for key, value in _fields(record).items()}
        return self._redact(self.render(fields))

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def _redact_value(self, value: Any) -> Any:
        """``value`` with every secret blanked, as the renderer would have shown it.

        Containers are walked so JSON keeps their shape; any other object is shown as its
        ``str()`` (what both renderers do) but only replaced by it when that text held a
        secret, so numbers stay numbers.
        """
        if not self._secrets or value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self._redact(value)
        if isinstance(value, dict):
            return {self._redact(str(k)): self._redact_value(v) for k, v in value.items()}
        if isinstance(value, tuple):
            return tuple(self._redact_value(item) for item in value)
        if isinstance(value, list | set | frozenset):
            return [self._redact_value(item) for item in value]
        text = str(value)
        redacted = self._redact(text)
        return value if redacted == text else redacted

    def render(self, fields: dict[str, Any]) -> str:
        """The line for these fields."""
        raise NotImplementedError


class KeyValueFormatter(_RedactingFormatter):
    """``ts=… level=info logger=shared.client msg="search submitted" request_id=…``."""

    def render(self, fields: dict[str, Any]) -> str:
        return " ".join(f"{key}={_kv_value(value)}" for key, value in fields.items())


class JsonFormatter(_RedactingFormatter):
    """One JSON object per line."""

    def render(self, fields: dict[str, Any]) -> str:
        return json.dumps(fields, default=str)


# aiohttp's HTTP parse errors all derive from this class; matched by name so that the core
# never imports aiohttp (import-linter contract "core").
_PARSE_ERROR_MODULE = "aiohttp.http_exceptions"
_PARSE_ERROR_BASE = "HttpProcessingError"
_REMOTE_MAX = 64


def _is_parse_error(exc: BaseException | None) -> bool:
    return exc is not None and any(
        cls.__module__ == _PARSE_ERROR_MODULE and cls.__name__ == _PARSE_ERROR_BASE
        for cls in type(exc).__mro__
    )


class MalformedRequestFilter(logging.Filter):
    """Turns aiohttp's "Error handling request" for a malformed request into one short line.

    aiohttp logs every request its parser refuses (a header name with a control character,
    a 60 KB header value, a bad request line) at ERROR with a traceback whose text holds the
    raw bytes: anyone who can reach the port could write ~60 KB of their choosing into the
    log per request, as errors. The client already got its 400, so we keep one WARNING of
    bounded length that says who sent it and which check refused it — no traceback, no
    bytes. Any other record passes untouched.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite a parse-error record in place; always keep the record."""
        exc = record.exc_info[1] if record.exc_info else None
        if not _is_parse_error(exc):
            return True
        remote = record.args[0] if isinstance(record.args, tuple) and record.args else None
        record.msg = "malformed HTTP request from %s: %s"
        record.args = (str(remote or "unknown")[:_REMOTE_MAX], type(exc).__name__)
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        # aiohttp logs a stray TLS handshake or non-HTTP probe at DEBUG: leave it there.
        if record.levelno > logging.WARNING:
            record.levelno = logging.WARNING
            record.levelname = logging.getLevelName(logging.WARNING)
        return True


def configure_logging(
    *, fmt: str = "text", level: str = "INFO", secrets: Iterable[str] = ()
) -> None:
    """Send the root logger to stderr in ``fmt`` ("text" = key=value, or "json")."""
    handler = logging.StreamHandler(sys.stderr)
    formatter = JsonFormatter if fmt == "json" else KeyValueFormatter
    handler.setFormatter(formatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Libraries that log every request at INFO would drown the lifecycle lines.
    for noisy in ("httpx", "httpcore", "aiohttp.access", "arq.worker", "mcp", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, MalformedRequestFilter) for f in server.filters):
        server.addFilter(MalformedRequestFilter())
