"""Error lines in the processes' logs, and which of them the injected faults explain.

The processes log JSON lines (``LEADS_LOG_FORMAT=json``). An error-level line (``error``,
``critical``) is *explained* when it is about a fault injected on purpose, while it was in
force:

* Redis shut down — a line about Redis or a refused connection, from the moment Redis went
  down until ``settle`` seconds after it was back;
* API 500 bursts — a line about the API's 500 (``InternalServerError``), if any burst was
  injected;
* Slack's 429s — a line about being rate limited (``ratelimited``, ``429``).

A line is matched on its message and the last line of its traceback (the exception), not
on the frames above it, which name ``redis`` in nearly every traceback of these processes.
Anything else is *unexpected*: a bug or an unhandled case. Some lines are never explained,
whatever was injected: asyncio's "Task exception was never retrieved", "coroutine … was
never awaited", "Unclosed …" (a leaked client). So are lines that are not JSON but look
like trouble — a traceback or a warning printed straight to stderr, outside logging.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["ErrorLine", "FaultWindow", "scan_log"]

_ERROR_LEVELS = {"error", "critical"}
_RAW_TROUBLE = re.compile(
    r"Traceback|Error|Exception|Warning|never awaited|never retrieved", re.IGNORECASE
)
SIGNATURES: dict[str, re.Pattern[str]] = {
    "redis_down": re.compile(
        r"redis|connection ?refused|connect call failed|Errno 111|ConnectionError", re.IGNORECASE
    ),
    "api_500": re.compile(r"InternalServerError|internal_error|answered 500|\b500\b"),
    "slack_429": re.compile(r"ratelimited|\b429\b|rate.?limit", re.IGNORECASE),
}
"""What a line explained by each kind of fault is about."""
NEVER_EXPLAINED = re.compile(r"never retrieved|never awaited|^Unclosed|Unclosed client")
"""Lines that are bugs whatever was injected."""


@dataclass(frozen=True)
class FaultWindow:
    """A fault in force from ``start`` to ``end`` (wall-clock seconds)."""

    kind: str
    """A key of ``SIGNATURES``."""
    start: float
    end: float


@dataclass(frozen=True)
class ErrorLine:
    """One error-level (or raw trouble) line of a process's log."""

    process: str
    line: int
    at: float | None
    logger: str
    message: str
    detail: str
    """The last line of its traceback, when it has one."""
    explained_by: str | None
    """The injected fault that explains it, or None: unexpected."""

    def to_json(self) -> dict[str, Any]:
        return {
            "process": self.process,
            "line": self.line,
            "at": self.at,
            "logger": self.logger,
            "message": self.message,
            "detail": self.detail,
            "explained_by": self.explained_by,
        }


def scan_log(
    process: str, path: Path, windows: Iterable[FaultWindow], *, settle: float = 30.0
) -> list[ErrorLine]:
    """The error lines of one log file, each explained by a fault in ``windows`` or not."""
    windows = list(windows)
    found: list[ErrorLine] = []
    text = path.read_text(errors="replace") if path.exists() else ""
    for number, raw in enumerate(text.splitlines(), start=1):
        fields = _json(raw)
        if fields is None:
            if _RAW_TROUBLE.search(raw):
                found.append(ErrorLine(process, number, None, "stderr", raw.strip(), "", None))
            continue
        if str(fields.get("level", "")).lower() not in _ERROR_LEVELS:
            continue
        at = _timestamp(fields.get("ts"))
        exc = str(fields.get("exc") or "")
        detail = exc.strip().splitlines()[-1] if exc.strip() else ""
        message = str(fields.get("msg", ""))
        about = f"{message}\n{detail}"
        found.append(
            ErrorLine(
                process,
                number,
                at,
                str(fields.get("logger", "")),
                message,
                detail,
                _explanation(about, at, windows, settle),
            )
        )
    return found


def _explanation(
    about: str, at: float | None, windows: list[FaultWindow], settle: float
) -> str | None:
    if NEVER_EXPLAINED.search(about):
        return None
    for window in windows:
        in_force = at is None or window.start - 1.0 <= at <= window.end + settle
        if in_force and SIGNATURES[window.kind].search(about):
            return window.kind
    return None


def _json(raw: str) -> dict[str, Any] | None:
    if not raw.startswith("{"):
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _timestamp(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None
