"""A search's schedule through its statuses, computed once and read lazily by elapsed time."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from sandbox.api.timing import PHASES

__all__ = ["COMPLETED", "FAILED", "TERMINAL", "Schedule", "plan_schedule"]

COMPLETED = "completed"
FAILED = "failed"
TERMINAL = frozenset({COMPLETED, FAILED})

# A search forced to fail gets through searching, then fails instead of aggregating:
# the failure shows up where a real one most likely would (the platform searches).
_PHASES_BEFORE_FAILURE = PHASES.index("searching") + 1


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a search leaves each status, in seconds after it was created.

    The status at any moment is a binary search over ``ends``: GET never needs a timer
    or a background task to move a search along.
    """

    statuses: tuple[str, ...]
    """The non-terminal statuses the search passes through, in order."""
    ends: tuple[float, ...]
    """Cumulative seconds at which each of ``statuses`` ends."""
    final: str
    """``completed`` or ``failed``: the status once every phase is over."""

    @property
    def total(self) -> float:
        """Seconds from creation until the search is completed or failed."""
        return self.ends[-1] if self.ends else 0.0

    def status_at(self, elapsed: float) -> str:
        """The status ``elapsed`` seconds after creation."""
        index = bisect_right(self.ends, elapsed)
        return self.statuses[index] if index < len(self.statuses) else self.final


def plan_schedule(
    phase_seconds: Sequence[float], *, slow_factor: float = 1.0, fail: bool = False
) -> Schedule:
    """The schedule of a new search.

    Args:
        phase_seconds: seconds per status of :data:`~sandbox.api.timing.PHASES`, already
            scaled by the sandbox's speed.
        slow_factor: multiplies every phase (the ``slow_search`` fault).
        fail: the search fails after ``searching`` instead of completing.
    """
    count = _PHASES_BEFORE_FAILURE if fail else len(PHASES)
    durations = [seconds * slow_factor for seconds in phase_seconds[:count]]
    return Schedule(
        statuses=PHASES[:count],
        ends=tuple(accumulate(durations)),
        final=FAILED if fail else COMPLETED,
    )
