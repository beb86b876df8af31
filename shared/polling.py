"""When to poll the API for a search's status: the one poll schedule every caller uses.

Two kinds of poll follow it. **Scheduled** polls (:meth:`PollSchedule.delay`) are the
safety net, paid for in every budget: quick at first, then about one or two a minute.
**Spare** polls (:meth:`PollSchedule.spare_delay`) are extra checks of an *overdue*
search — one still open :attr:`~PollSchedule.overdue_after` seconds after submission,
when the API has usually answered and its callback come — made by the sweep only from
request budget that nobody else is using (``shared/sweep.py``). They never move a
scheduled poll later, nor count towards its place in the schedule, so when the budget is
tight a search is polled exactly as if spare polls did not exist.
"""

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

    A search still open ``overdue_after`` seconds after submission is overdue: its
    callback is probably lost (or the search is slow). While the budget is idle it also
    gets spare polls, ``spare_checks`` apart (the last one repeating), so a lost callback
    costs seconds rather than the minute to the next scheduled poll.
    """

    without_callback: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
    with_callback: tuple[float, ...] = (2.0, 5.0, 15.0, 30.0, 60.0)
    retry_after_error: float = 15.0
    overdue_after: float = 110.0
    """Seconds after submission by which a search is usually done and its callback in:
    the spec's example search took 105 s, and a callback follows within a second or so."""
    spare_checks: tuple[float, ...] = (2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0)
    """Seconds between spare polls of an overdue search: quick first (a lost callback of a
    search that took the usual time), then sparser (a search that is just slow)."""

    def delay(self, polls_done: int, *, has_callback: bool) -> float:
        """Seconds from the previous poll (or the submission) to the next one."""
        delays = self.with_callback if has_callback else self.without_callback
        return delays[min(polls_done, len(delays) - 1)]

    def spare_delay(self, spare_polls_done: int) -> float:
        """Seconds from a poll of an overdue search to the next spare poll worth making,
        when it has had ``spare_polls_done`` spare polls (that poll included, if spare)."""
        step = max(spare_polls_done - 1, 0)
        return self.spare_checks[min(step, len(self.spare_checks) - 1)]

    def scaled(self, factor: float) -> PollSchedule:
        """The same schedule with every delay multiplied by ``factor``.

        The embedded sandbox runs ``speed`` times faster than the API; polling it on a
        schedule scaled by ``1 / speed`` gives the same number of polls per search.
        """
        return PollSchedule(
            without_callback=tuple(d * factor for d in self.without_callback),
            with_callback=tuple(d * factor for d in self.with_callback),
            retry_after_error=self.retry_after_error * factor,
            overdue_after=self.overdue_after * factor,
            spare_checks=tuple(d * factor for d in self.spare_checks),
        )
