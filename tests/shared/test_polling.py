"""The one poll schedule: cheap for fast searches, sparse for long ones, scalable."""

from __future__ import annotations

import itertools

import pytest

from shared.polling import PollSchedule


def _offsets(schedule: PollSchedule, *, has_callback: bool, polls: int) -> list[float]:
    """Seconds after submission of each of the first ``polls`` polls."""
    delays = (schedule.delay(n, has_callback=has_callback) for n in range(polls))
    return list(itertools.accumulate(delays))


def test_without_a_callback_a_fast_search_costs_two_polls() -> None:
    offsets = _offsets(PollSchedule(), has_callback=False, polls=2)
    assert offsets[-1] >= 1.0  # a search done after ~1 s is seen by the second poll


def test_a_long_search_costs_about_two_polls_a_minute() -> None:
    offsets = _offsets(PollSchedule(), has_callback=False, polls=40)
    # The spec's example took 105 s: at most nine polls, well inside 60/min.
    assert sum(1 for at in offsets if at <= 105) <= 9
    late = [b - a for a, b in itertools.pairwise(offsets[10:])]
    assert min(late) >= 30.0


def test_with_a_callback_polls_are_sparser() -> None:
    schedule = PollSchedule()
    with_cb = _offsets(schedule, has_callback=True, polls=5)
    without = _offsets(schedule, has_callback=False, polls=5)
    assert all(a >= b for a, b in zip(with_cb, without, strict=True))


@pytest.mark.parametrize("factor", [0.1, 0.5, 2.0])
def test_scaled_multiplies_every_delay(factor: float) -> None:
    base, scaled = PollSchedule(), PollSchedule().scaled(factor)
    for n in range(8):
        for has_callback in (False, True):
            expected = base.delay(n, has_callback=has_callback) * factor
            assert scaled.delay(n, has_callback=has_callback) == pytest.approx(expected)
    assert scaled.retry_after_error == pytest.approx(base.retry_after_error * factor)
