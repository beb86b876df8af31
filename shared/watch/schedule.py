"""When a watch runs: slots one period apart, each watch at its own stable offset (jitter).

A watch's slots are ``k * period + offset`` for integers ``k``. The offset is derived from
the watch ID, so it is stable across processes and restarts, and spread evenly over the
period: 200 hourly watches fire at 200 different moments of the hour, not in one second.

Time is a :class:`WatchClock`: its ``now`` is injectable and its ``scale`` shrinks every
period (``LEADS_WATCH_TIME_SCALE=0.001`` makes an hour 3.6 s), so tests and demos run
schedules without waiting for real hours.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, get_args

__all__ = [
    "PERIOD_SECONDS",
    "RUNS_PER_WEEK",
    "Schedule",
    "WatchClock",
    "parse_schedule",
]

Schedule = Literal["hourly", "daily", "weekly"]
"""How often a watch runs."""

PERIOD_SECONDS: dict[Schedule, int] = {"hourly": 3600, "daily": 86_400, "weekly": 604_800}
"""Each schedule's period, unscaled."""

RUNS_PER_WEEK: dict[Schedule, int] = {"hourly": 168, "daily": 7, "weekly": 1}
"""A watch's load on the request budget, in runs a week (integers add up exactly)."""


def parse_schedule(text: str) -> Schedule:
    """``"hourly"``, ``"daily"`` or ``"weekly"`` (any case); ValueError names the choices."""
    word = text.strip().lower()
    for schedule in get_args(Schedule):
        if word == schedule:
            return schedule  # type: ignore[no-any-return]
    raise ValueError(f"schedule must be hourly, daily or weekly, not {text.strip()[:20]!r}")


@dataclass(frozen=True)
class WatchClock:
    """The watches' time source and time scale.

    Args:
        scale: multiplies every period (1.0 in production; tests shrink hours to seconds).
        now: Unix seconds now; tests may pass a clock they move by hand.
    """

    scale: float = 1.0
    now: Callable[[], float] = field(default=time.time)

    def period(self, schedule: Schedule) -> float:
        """Seconds between two runs of a watch on ``schedule``."""
        return PERIOD_SECONDS[schedule] * self.scale

    def offset(self, watch_id: str, schedule: Schedule) -> float:
        """The watch's place in its period: stable per watch, uniform across watches."""
        fraction = int(hashlib.sha256(watch_id.encode()).hexdigest()[:12], 16) / 16**12
        return fraction * self.period(schedule)

    def slot_at(self, watch_id: str, schedule: Schedule, slot: int) -> float:
        """When slot number ``slot`` of the watch falls due."""
        return slot * self.period(schedule) + self.offset(watch_id, schedule)

    def slot_of(self, watch_id: str, schedule: Schedule, at: float) -> int:
        """The number of the slot due at ``at`` (the inverse of :meth:`slot_at`)."""
        period = self.period(schedule)
        return round((at - self.offset(watch_id, schedule)) / period)

    def next_slot(self, watch_id: str, schedule: Schedule, after: float) -> tuple[int, float]:
        """The first slot strictly after ``after``: (number, when).

        Counted from ``after`` (usually now), never from the last slot run: a watch that
        missed several slots while everything was down runs once, then resumes its rhythm.
        """
        period = self.period(schedule)
        slot = math.floor((after - self.offset(watch_id, schedule)) / period) + 1
        return slot, self.slot_at(watch_id, schedule, slot)
