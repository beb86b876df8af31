"""Every duration the sandbox uses, and how ``--speed`` scales them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CALLBACK_RETRY_DELAYS",
    "DEFAULT_PHASE_SECONDS",
    "PHASES",
    "Timing",
]

PHASES: tuple[str, ...] = ("queued", "pending", "analyzing", "searching", "aggregating")
"""The statuses a search passes through before it is completed (or failed)."""

DEFAULT_PHASE_SECONDS: tuple[float, ...] = (1.0, 4.0, 15.0, 60.0, 25.0)
"""Seconds spent in each of :data:`PHASES`: 105 s in all, like the spec's example search."""

CALLBACK_RETRY_DELAYS: tuple[float, ...] = (1.0, 5.0, 15.0, 60.0, 300.0)
"""The spec's callback retry schedule: 1 s, 5 s, 15 s, 1 min, 5 min (at most 5 retries)."""


@dataclass(frozen=True, slots=True)
class Timing:
    """Durations in seconds. :meth:`scaled` divides every one of them by the speed."""

    phase_seconds: tuple[float, ...] = DEFAULT_PHASE_SECONDS
    callback_retry_delays: tuple[float, ...] = CALLBACK_RETRY_DELAYS
    callback_timeout: float = 30.0
    """The spec's 30-second timeout per callback request."""
    minute_window: float = 60.0
    hour_window: float = 3600.0
    duplicate_callback_delay: float = 2.0
    """How long after delivery the ``duplicate_callbacks`` fault sends the body again."""
    reorder_hold: float = 10.0
    """Longest a ``reorder_callbacks`` callback waits for another search's to overtake it."""

    def __post_init__(self) -> None:
        if len(self.phase_seconds) != len(PHASES):
            raise ValueError(f"phase_seconds needs {len(PHASES)} values, one per {PHASES}")
        if any(value < 0 for value in self.phase_seconds + self.callback_retry_delays):
            raise ValueError("durations cannot be negative")

    @property
    def search_seconds(self) -> float:
        """How long a search takes from submission to completion."""
        return sum(self.phase_seconds)

    def scaled(self, speed: float) -> Timing:
        """The same timing with every duration divided by ``speed`` (> 0)."""
        if not speed > 0:
            raise ValueError("speed must be greater than zero")
        return Timing(
            phase_seconds=tuple(seconds / speed for seconds in self.phase_seconds),
            callback_retry_delays=tuple(seconds / speed for seconds in self.callback_retry_delays),
            callback_timeout=self.callback_timeout / speed,
            minute_window=self.minute_window / speed,
            hour_window=self.hour_window / speed,
            duplicate_callback_delay=self.duplicate_callback_delay / speed,
            reorder_hold=self.reorder_hold / speed,
        )
