"""When to poll the API for a search's status: the one poll schedule every caller uses."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PollSchedule"]


@dataclass(frozen=True)
class PollSchedule:
    """When to poll a search, by how many polls it has had.

    Without a callback, polls are the only way to learn the outcome, so they start quick
    (a search done in ~1 s costs two). With one, they only refresh the progress shown and
    catch a callback that never came, so they are sparser. Either way about two polls a
    minute at most once a search runs long: the budget is 60 a minute for everything.
    """

    without_callback: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
    with_callback: tuple[float, ...] = (2.0, 5.0, 15.0, 30.0, 60.0)
    retry_after_error: float = 15.0

    def delay(self, polls_done: int, *, has_callback: bool) -> float:
        """Seconds from the previous poll (or the submission) to the next one."""
        delays = self.with_callback if has_callback else self.without_callback
        return delays[min(polls_done, len(delays) - 1)]

    def scaled(self, factor: float) -> PollSchedule:
        """The same schedule with every delay multiplied by ``factor``.

        The embedded sandbox runs ``speed`` times faster than the API; polling it on a
        schedule scaled by ``1 / speed`` gives the same number of polls per search.
        """
        return PollSchedule(
            without_callback=tuple(d * factor for d in self.without_callback),
            with_callback=tuple(d * factor for d in self.with_callback),
            retry_after_error=self.retry_after_error * factor,
        )
