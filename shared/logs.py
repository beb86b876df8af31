"""Structured logging for every process: one line per event, ``key=value`` or JSON.

Context goes in ``extra`` (``log.info("search completed", extra={"request_id": rid})``)
and comes out as fields. As a last line of defence, the configured secret values are
replaced by ``[redacted]`` wherever they would appear.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

__all__ = ["configure_logging"]

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


def _kv_value(value: Any) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' ="\n'):
        return json.dumps(text)
    return text


class KeyValueFormatter(logging.Formatter):
    """``ts=… level=info logger=shared.client msg="search submitted" request_id=…``."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_kv_value(value)}" for key, value in _fields(record).items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), default=str)


class _Redactor(logging.Filter):
    """Replaces known secret values in the formatted line's inputs."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        for secret in self._secrets:
            message = message.replace(secret, "[redacted]")
        record.msg, record.args = message, None
        return True


def configure_logging(
    *, fmt: str = "text", level: str = "INFO", secrets: Iterable[str] = ()
) -> None:
    """Send the root logger to stderr in ``fmt`` ("text" = key=value, or "json")."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    handler.addFilter(_Redactor(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Libraries that log every request at INFO would drown the lifecycle lines.
    for noisy in ("httpx", "httpcore", "aiohttp.access", "arq.worker", "mcp", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
