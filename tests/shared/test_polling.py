"""The one poll schedule: cheap for fast searches, sparse for long ones, scalable; and the
spare polls of overdue searches."""

from __future__ import annotations

import itertools

import pytest

from shared.polling import PollSchedule
from shared.runtime import MIN_MARGIN, open_runtime
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from shared.state.limiter import RateWindow


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
    assert scaled.overdue_after == pytest.approx(base.overdue_after * factor)
    for n in range(10):
        assert scaled.spare_delay(n) == pytest.approx(base.spare_delay(n) * factor)


def test_a_search_is_overdue_after_the_usual_time_with_its_callback() -> None:
    # The spec's example search took 105 s; its callback follows within a second or so.
    assert 105 < PollSchedule().overdue_after <= 120


def test_spare_polls_of_an_overdue_search_start_quick_then_thin_out() -> None:
    schedule = PollSchedule()
    delays = [schedule.spare_delay(n) for n in range(12)]
    assert delays[0] == delays[1] == 2.0  # a scheduled poll, or the first spare one: 2 s
    assert delays == sorted(delays)
    assert delays[-1] == 30.0  # a search that is just slow: twice the callback schedule's
    spare_offsets = list(itertools.accumulate(delays[1:4], initial=schedule.overdue_after))
    # A lost callback of a search that took the usual time is caught within seconds...
    assert spare_offsets[:3] == [110.0, 112.0, 115.0]
    # ...where the callback schedule's next poll after 110 s comes at 112 s, then 172 s.
    assert _offsets(schedule, has_callback=True, polls=6)[4:] == [112.0, 172.0]


async def _paced(**values: object) -> tuple[PollSchedule, tuple[RateWindow, ...]]:
    """The poll schedule and rate windows a process opens with these settings."""
    schedule, windows, _margin = await _paced_with_margin(**values)
    return schedule, windows


async def _paced_with_margin(
    **values: object,
) -> tuple[PollSchedule, tuple[RateWindow, ...], float]:
    """The poll schedule, rate windows and limiter margin a process opens with these."""
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    async with open_runtime(settings, redis_url=None) as runtime:
        return runtime.service.schedule, runtime.limiter.windows, runtime.limiter.margin


async def test_a_sandbox_run_at_a_stated_speed_is_polled_and_budgeted_at_its_pace() -> None:
    sandbox = {"nyne_api_key": SANDBOX_API_KEY, "nyne_api_secret": SANDBOX_API_SECRET}
    schedule, windows = await _paced(**sandbox, leads_sandbox_speed=10)
    assert schedule == PollSchedule().scaled(1 / 10)
    # Its rate windows are as much shorter as its own (a minute lasts 6 s).
    assert windows == (RateWindow(60, 6.0), RateWindow(1000, 360.0))
    # The margin for latency is not: requests take as long to arrive at any speed.
    assert (await _paced_with_margin(**sandbox, leads_sandbox_speed=10))[2] == MIN_MARGIN
    assert (await _paced_with_margin(**sandbox, leads_sandbox_speed=2))[2] == 0.5
    assert (await _paced_with_margin(**sandbox))[2] == 1.0
    # Without the speed stated, or with a real key, the API's own pace.
    real_pace = (PollSchedule(), (RateWindow(60, 60.0), RateWindow(1000, 3600.0)))
    assert await _paced(**sandbox) == real_pace
    assert (
        await _paced(nyne_api_key="real", nyne_api_secret="real", leads_sandbox_speed=10)
        == real_pace
    )
