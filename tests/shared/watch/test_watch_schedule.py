"""Watch slots: stable jitter spread over the period, next slot counted from now."""

from __future__ import annotations

from collections import Counter

import pytest

from shared.watch.schedule import PERIOD_SECONDS, WatchClock, parse_schedule


def test_offsets_are_stable_and_spread_across_the_hour() -> None:
    clock = WatchClock()
    offsets = [clock.offset(f"w{n:08x}", "hourly") for n in range(200)]
    assert offsets == [WatchClock().offset(f"w{n:08x}", "hourly") for n in range(200)]
    assert all(0 <= offset < 3600 for offset in offsets)
    # 200 hourly watches: at most a few in any second, and every quarter of the hour used.
    per_second = Counter(int(offset) for offset in offsets)
    assert max(per_second.values()) <= 3
    assert len(per_second) > 180
    assert {int(offset // 900) for offset in offsets} == {0, 1, 2, 3}


def test_next_slot_is_after_now_and_one_period_on() -> None:
    clock = WatchClock()
    slot, at = clock.next_slot("w00000001", "daily", 1_000_000.0)
    assert 1_000_000.0 < at <= 1_000_000.0 + 86_400
    assert clock.slot_of("w00000001", "daily", at) == slot
    later_slot, later = clock.next_slot("w00000001", "daily", at)
    assert later_slot == slot + 1
    assert later == pytest.approx(at + 86_400)


def test_missed_slots_collapse_to_the_next_one_from_now() -> None:
    clock = WatchClock()
    slot, at = clock.next_slot("w00000002", "hourly", 0.0)
    # Down for five hours: the next slot is the first after now, not the five missed.
    now = at + 5 * 3600 + 1
    next_slot, next_at = clock.next_slot("w00000002", "hourly", now)
    assert next_slot == slot + 6
    assert now < next_at <= now + 3600


def test_scale_shrinks_every_period() -> None:
    clock = WatchClock(scale=0.001)
    assert clock.period("hourly") == pytest.approx(3.6)
    assert clock.period("weekly") == pytest.approx(PERIOD_SECONDS["weekly"] / 1000)


@pytest.mark.parametrize(
    ("typed", "expected"), [("hourly", "hourly"), (" Daily ", "daily"), ("WEEKLY", "weekly")]
)
def test_parse_schedule(typed: str, expected: str) -> None:
    assert parse_schedule(typed) == expected


def test_an_unknown_schedule_names_the_choices() -> None:
    with pytest.raises(ValueError, match="hourly, daily or weekly, not 'monthly'"):
        parse_schedule("monthly")
