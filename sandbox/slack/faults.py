"""Injected failures: the next N calls of a method answer 429 (or another error) on purpose.

This is how tests make the bot's slack_sdk retry handlers run: ``rate_limit("chat.postMessage",
count=2, retry_after=1)`` makes the next two calls answer HTTP 429 with ``Retry-After: 1`` and
``{"ok": false, "error": "ratelimited"}``, exactly Slack's rate-limit answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import SlackError

#: Matches every method.
ANY_METHOD = "*"


@dataclass(slots=True)
class Fault:
    """One armed failure: ``remaining`` more calls of ``method`` fail with ``error``."""

    method: str
    remaining: int
    error: str
    status: int
    retry_after: int | None = None

    def to_error(self) -> SlackError:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        return SlackError(self.error, status=self.status, headers=headers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "remaining": self.remaining,
            "error": self.error,
            "status": self.status,
            "retry_after": self.retry_after,
        }


class Faults:
    """Armed failures, consumed one per matching call, first armed first used."""

    def __init__(self) -> None:
        self._armed: list[Fault] = []

    def rate_limit(self, method: str, *, count: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``count`` calls of ``method`` with HTTP 429 and ``Retry-After``."""
        self._arm(Fault(method, count, "ratelimited", 429, retry_after))

    def fail(self, method: str, error: str, *, count: int = 1, status: int = 200) -> None:
        """Answer the next ``count`` calls of ``method`` with ``{"ok": false, "error": error}``."""
        self._arm(Fault(method, count, error, status))

    def clear(self) -> None:
        """Disarm everything."""
        self._armed.clear()

    def take(self, method: str) -> SlackError | None:
        """The error this call of ``method`` must answer with, if a fault is armed for it."""
        for fault in self._armed:
            if fault.method in (method, ANY_METHOD):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._armed.remove(fault)
                return fault.to_error()
        return None

    def to_list(self) -> list[dict[str, Any]]:
        """What is still armed (the admin endpoint's shape)."""
        return [fault.to_dict() for fault in self._armed]

    def _arm(self, fault: Fault) -> None:
        if fault.remaining > 0:
            self._armed.append(fault)
