"""Injected failures: the next N calls of a method answer 429 (or another error) on purpose.

This is how tests make the bot's slack_sdk retry handlers run: ``rate_limit("chat.postMessage",
count=2, retry_after=1)`` makes the next two calls answer HTTP 429 with ``Retry-After: 1`` and
``{"ok": false, "error": "ratelimited"}``, exactly Slack's rate-limit answer.

``rate_limit_every("*", every=7)`` is a standing limit, as a busy workspace meets it: every
7th matching call (counted from when it was armed, retries included) answers that same 429,
until cleared. Calls a one-shot fault answered are not counted.
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


@dataclass(slots=True)
class Periodic:
    """A standing failure: every ``every``-th call of ``method`` fails with ``error``."""

    method: str
    every: int
    error: str
    status: int
    retry_after: int | None = None
    calls: int = 0
    """Matching calls so far."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "every": self.every,
            "calls": self.calls,
            "error": self.error,
            "status": self.status,
            "retry_after": self.retry_after,
        }


class Faults:
    """Armed failures, consumed one per matching call, first armed first used; then the
    standing ones, which count every matching call."""

    def __init__(self) -> None:
        self._armed: list[Fault] = []
        self._periodic: list[Periodic] = []

    def rate_limit(self, method: str, *, count: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``count`` calls of ``method`` with HTTP 429 and ``Retry-After``."""
        self._arm(Fault(method, count, "ratelimited", 429, retry_after))

    def rate_limit_every(self, method: str, *, every: int, retry_after: int = 1) -> None:
        """Answer every ``every``-th call of ``method`` with HTTP 429, until cleared."""
        if every < 1:
            raise ValueError("every must be at least 1")
        self._periodic.append(Periodic(method, every, "ratelimited", 429, retry_after))

    def fail(self, method: str, error: str, *, count: int = 1, status: int = 200) -> None:
        """Answer the next ``count`` calls of ``method`` with ``{"ok": false, "error": error}``."""
        self._arm(Fault(method, count, error, status))

    def clear(self) -> None:
        """Disarm everything."""
        self._armed.clear()
        self._periodic.clear()

    def take(self, method: str) -> SlackError | None:
        """The error this call of ``method`` must answer with, if a fault is armed for it."""
        for fault in self._armed:
            if fault.method in (method, ANY_METHOD):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._armed.remove(fault)
                return fault.to_error()
        failed: SlackError | None = None
        for periodic in self._periodic:
            if periodic.method in (method, ANY_METHOD):
                periodic.calls += 1
                if failed is None and periodic.calls % periodic.every == 0:
                    headers = (
                        {"Retry-After": str(periodic.retry_after)}
                        if periodic.retry_after is not None
                        else {}
                    )
                    failed = SlackError(periodic.error, status=periodic.status, headers=headers)
        return failed

    def to_list(self) -> list[dict[str, Any]]:
        """What is still armed (the admin endpoint's shape): one-shot, then standing."""
        return [fault.to_dict() for fault in self._armed] + [
            periodic.to_dict() for periodic in self._periodic
        ]

    def _arm(self, fault: Fault) -> None:
        if fault.remaining > 0:
            self._armed.append(fault)
