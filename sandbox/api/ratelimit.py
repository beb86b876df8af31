"""Per-key sliding-window rate limits (60 requests a minute and 1000 an hour by default)."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from sandbox.api.clock import Clock

__all__ = ["Decision", "SlidingWindowLimiter", "Window", "WindowState", "retry_after_header"]


@dataclass(frozen=True, slots=True)
class Window:
    """At most ``limit`` requests in any ``seconds``-long interval (``limit`` 0: no limit)."""

    name: str
    limit: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a request may proceed and, if not, how long until a slot frees."""

    allowed: bool
    retry_after: float = 0.0
    """Seconds until the request would be admitted (0 when allowed)."""
    window: str | None = None
    """The window that refused the request."""


@dataclass(frozen=True, slots=True)
class WindowState:
    """How much of one window a key has used (for ``GET /sandbox/usage``)."""

    name: str
    limit: int
    used: int
    window_seconds: float
    reset_in: float
    """Seconds until the oldest counted request leaves the window (0 when none counts)."""

    def to_json(self) -> dict[str, object]:
        """The JSON form used by the admin endpoints."""
        return {
            "limit": self.limit or None,
            "used": self.used,
            "remaining": max(0, self.limit - self.used) if self.limit else None,
            "window_seconds": round(self.window_seconds, 6),
            "reset_in_seconds": round(self.reset_in, 6),
        }


_ALLOWED = Decision(allowed=True)


class SlidingWindowLimiter:
    """A sliding log of admitted requests per key and window.

    Only admitted requests are logged, so a client hammering a 429 does not push its
    own recovery further away. Each log is bounded by its window's limit.
    """

    def __init__(self, windows: Sequence[Window], clock: Clock) -> None:
        self.windows = tuple(windows)
        self._clock = clock
        self._logs: dict[str, tuple[deque[float], ...]] = {}

    def hit(self, key: str) -> Decision:
        """Count one request for ``key`` if every window has room; else refuse it."""
        now = self._clock.monotonic()
        logs = self._logs_for(key)
        wait = 0.0
        refused_by: str | None = None
        for window, log in zip(self.windows, logs, strict=True):
            if window.limit <= 0:
                continue
            self._expire(log, now - window.seconds)
            if len(log) >= window.limit:
                frees_at = log[len(log) - window.limit] + window.seconds
                if frees_at - now > wait or refused_by is None:
                    wait, refused_by = frees_at - now, window.name
        if refused_by is not None:
            return Decision(allowed=False, retry_after=max(wait, 0.0), window=refused_by)
        for window, log in zip(self.windows, logs, strict=True):
            if window.limit > 0:
                log.append(now)
        return _ALLOWED

    def state(self, key: str) -> list[WindowState]:
        """Usage of every window by ``key``, now."""
        now = self._clock.monotonic()
        states = []
        for window, log in zip(self.windows, self._logs_for(key), strict=True):
            self._expire(log, now - window.seconds)
            reset_in = log[0] + window.seconds - now if log else 0.0
            states.append(
                WindowState(window.name, window.limit, len(log), window.seconds, reset_in)
            )
        return states

    def reset(self) -> None:
        """Forget every request counted so far."""
        self._logs.clear()

    def _logs_for(self, key: str) -> tuple[deque[float], ...]:
        logs = self._logs.get(key)
        if logs is None:
            logs = tuple(deque(maxlen=max(window.limit, 1)) for window in self.windows)
            self._logs[key] = logs
        return logs

    @staticmethod
    def _expire(log: deque[float], cutoff: float) -> None:
        while log and log[0] <= cutoff:
            log.popleft()


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` value: whole seconds, rounded up, at least 1.

    HTTP only allows whole seconds, so at a high ``--speed`` (a 60/F-second minute) the
    header overstates the wait; ``GET /sandbox/usage`` has the precise figure.
    """
    return str(max(1, math.ceil(seconds)))
