"""Unit tests of the sandbox API's pure parts: timing, schedule, limits, faults, validation,
bodies, credentials and result projection. No HTTP, no real time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sandbox.api.auth import Authenticator
from sandbox.api.clock import ManualClock
from sandbox.api.engine import project_lead
from sandbox.api.faults import ALWAYS, FaultError, Faults, parse_fault_arg
from sandbox.api.lifecycle import plan_schedule
from sandbox.api.ratelimit import SlidingWindowLimiter, Window, retry_after_header
from sandbox.api.responses import (
    ApiError,
    error_body,
    naive_timestamp,
    success_body,
    utc_timestamp,
)
from sandbox.api.timing import DEFAULT_PHASE_SECONDS, PHASES, Timing
from sandbox.api.validation import validate_callback_url, validate_submission
from tests.support.sandbox_api import FakeEngine

# --- timing ---------------------------------------------------------------------------


def test_default_search_takes_105_seconds_like_the_spec_example() -> None:
    assert Timing().search_seconds == 105.0
    assert PHASES == ("queued", "pending", "analyzing", "searching", "aggregating")


def test_speed_divides_every_duration() -> None:
    fast = Timing().scaled(500)
    assert fast.search_seconds == pytest.approx(0.21)
    assert fast.callback_retry_delays == pytest.approx((0.002, 0.01, 0.03, 0.12, 0.6))
    assert fast.callback_timeout == pytest.approx(0.06)
    assert fast.minute_window == pytest.approx(0.12)
    assert fast.hour_window == pytest.approx(7.2)
    assert fast.duplicate_callback_delay == pytest.approx(2 / 500)
    assert fast.reorder_hold == pytest.approx(10 / 500)


@pytest.mark.parametrize("speed", [0, -1.0])
def test_speed_must_be_positive(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        Timing().scaled(speed)


def test_timing_needs_one_duration_per_phase() -> None:
    with pytest.raises(ValueError, match="phase_seconds"):
        Timing(phase_seconds=(1.0, 2.0))


# --- schedule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("elapsed", "status"),
    [
        (0.0, "queued"),
        (0.999, "queued"),
        (1.0, "pending"),
        (4.99, "pending"),
        (5.0, "analyzing"),
        (19.9, "analyzing"),
        (20.0, "searching"),
        (30.0, "searching"),  # the spec's processing example: 30 s in, searching
        (79.9, "searching"),
        (80.0, "aggregating"),
        (104.9, "aggregating"),
        (105.0, "completed"),
        (10_000.0, "completed"),
    ],
)
def test_status_follows_the_phases(elapsed: float, status: str) -> None:
    assert plan_schedule(DEFAULT_PHASE_SECONDS).status_at(elapsed) == status


def test_failing_search_fails_after_searching() -> None:
    schedule = plan_schedule(DEFAULT_PHASE_SECONDS, fail=True)
    assert schedule.statuses == ("queued", "pending", "analyzing", "searching")
    assert schedule.total == 80.0
    assert schedule.status_at(79.0) == "searching"
    assert schedule.status_at(80.0) == "failed"


def test_slow_factor_stretches_every_phase() -> None:
    schedule = plan_schedule(DEFAULT_PHASE_SECONDS, slow_factor=3.0)
    assert schedule.total == 315.0
    assert schedule.status_at(2.9) == "queued"
    assert schedule.status_at(3.0) == "pending"


# --- rate limiting --------------------------------------------------------------------


def _limiter(clock: ManualClock, minute: int = 60, hour: int = 1000) -> SlidingWindowLimiter:
    return SlidingWindowLimiter(
        [Window("minute", minute, 60.0), Window("hour", hour, 3600.0)], clock
    )


def test_sixty_a_minute_then_429_until_the_oldest_leaves_the_window() -> None:
    clock = ManualClock()
    limiter = _limiter(clock)
    for second in range(60):
        assert limiter.hit("k").allowed, second
        clock.advance(0.5)  # 60 requests over 30 s
    refused = limiter.hit("k")
    assert not refused.allowed
    assert refused.window == "minute"
    assert refused.retry_after == pytest.approx(30.0)  # the first request was at t=0
    clock.advance(29.9)
    assert not limiter.hit("k").allowed
    clock.advance(0.1)
    assert limiter.hit("k").allowed


def test_refused_requests_do_not_count() -> None:
    clock = ManualClock()
    limiter = _limiter(clock, minute=2)
    assert limiter.hit("k").allowed
    assert limiter.hit("k").allowed
    for _ in range(100):
        assert not limiter.hit("k").allowed
    clock.advance(60)
    assert limiter.hit("k").allowed
    [minute, _hour] = limiter.state("k")
    assert minute.used == 1


def test_thousand_an_hour() -> None:
    clock = ManualClock()
    limiter = _limiter(clock)
    for _ in range(1000):
        assert limiter.hit("k").allowed
        clock.advance(1.0)  # one a second never trips the minute limit
    refused = limiter.hit("k")
    assert (refused.allowed, refused.window) == (False, "hour")
    assert refused.retry_after == pytest.approx(2600.0)  # first at t=0, now t=1000
    clock.advance(2600)
    assert limiter.hit("k").allowed


def test_limits_are_per_key_and_zero_means_unlimited() -> None:
    clock = ManualClock()
    limiter = _limiter(clock, minute=1, hour=0)
    assert limiter.hit("a").allowed
    assert limiter.hit("b").allowed
    assert not limiter.hit("a").allowed
    unlimited = _limiter(clock, minute=0, hour=0)
    assert all(unlimited.hit("a").allowed for _ in range(5000))


def test_usage_state_reports_used_limit_and_reset() -> None:
    clock = ManualClock()
    limiter = _limiter(clock)
    limiter.hit("k")
    clock.advance(10)
    limiter.hit("k")
    minute, hour = limiter.state("k")
    assert (minute.used, minute.limit) == (2, 60)
    assert minute.reset_in == pytest.approx(50.0)
    assert (hour.used, hour.limit) == (2, 1000)
    assert hour.reset_in == pytest.approx(3590.0)
    assert minute.to_json()["remaining"] == 58


@pytest.mark.parametrize(
    ("seconds", "header"), [(0.0, "1"), (0.004, "1"), (1.0, "1"), (1.01, "2"), (40.0, "40")]
)
def test_retry_after_is_whole_seconds_at_least_one(seconds: float, header: str) -> None:
    assert retry_after_header(seconds) == header


# --- faults ---------------------------------------------------------------------------


def test_counted_faults_count_down() -> None:
    faults = Faults()
    faults.update({"fail_requests": 2})
    assert [faults.take("fail_requests") for _ in range(3)] == [True, True, False]


def test_always_never_runs_out() -> None:
    faults = Faults()
    faults.update({"drop_callbacks": "always"})
    assert faults.drop_callbacks == ALWAYS
    assert all(faults.take("drop_callbacks") for _ in range(10))
    assert faults.to_json()["drop_callbacks"] == "always"


@pytest.mark.parametrize(
    "values",
    [
        {"nope": 1},
        {"fail_requests": -2},
        {"fail_requests": "lots"},
        {"fail_requests": 1.5},
        {"slow_search": 0},
        {"latency_ms": -1},
        {"latency_ms": "fast"},
        {"latency_ms": True},
    ],
)
def test_invalid_faults_are_refused_and_change_nothing(values: dict[str, object]) -> None:
    faults = Faults()
    with pytest.raises(FaultError):
        faults.update({"fail_searches": 3, **values})
    assert faults == Faults()


def test_reset_one_or_all() -> None:
    faults = Faults()
    faults.update({"latency_ms": "250", "slow_search": "4", "fail_searches": "1"})
    assert (faults.latency_ms, faults.slow_search, faults.fail_searches) == (250.0, 4.0, 1)
    faults.reset("latency_ms")
    assert faults.latency_ms == 0.0
    assert faults.slow_search == 4.0
    faults.reset()
    assert faults == Faults()
    with pytest.raises(FaultError):
        faults.reset("nope")


def test_fault_argument_parsing() -> None:
    assert parse_fault_arg("fail_requests=3") == ("fail_requests", "3")
    for bad in ["fail_requests", "nope=1", "slow_search=x"]:
        with pytest.raises(FaultError):
            parse_fault_arg(bad)


# --- validation -----------------------------------------------------------------------


def _code(body: dict[str, object]) -> str:
    with pytest.raises(ApiError) as info:
        validate_submission(body)
    return info.value.code


def test_description_is_trimmed_and_must_be_10_to_2000_characters() -> None:
    assert validate_submission({"search_description": "  ten chars!  "}) == ("ten chars!", None)
    assert validate_submission({"search_description": "x" * 2000})[0] == "x" * 2000
    assert _code({"search_description": "   nine c   "}) == "invalid_search_description"
    assert _code({"search_description": "x" * 2001}) == "invalid_search_description"
    assert _code({"search_description": " " * 50}) == "invalid_search_description"


@pytest.mark.parametrize("body", [{}, {"search_description": None}, {"search_description": ""}])
def test_missing_description(body: dict[str, object]) -> None:
    assert _code(body) == "missing_parameters"


@pytest.mark.parametrize("value", [12345678901, ["a list of words"], {"a": "b"}, True])
def test_description_of_the_wrong_type(value: object) -> None:
    assert _code({"search_description": value}) == "invalid_search_description"


@pytest.mark.parametrize(
    "url",
    [
        "https://yourapp.com/webhook/leads",
        "http://127.0.0.1:8080/cb?token=abc",
        "http://localhost/x",
        "https://[::1]:9000/hook",
    ],
)
def test_valid_callback_urls(url: str) -> None:
    assert validate_callback_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "yourapp.com/webhook",
        "ftp://yourapp.com/x",
        "javascript:alert(1)",
        "https://",
        "https:///path",
        "https://host:99999/x",
        "https://host:port/x",
        "https://your app.com/x",
        "https://host/\nx",
        42,
        ["https://a.com"],
        "https://a.com/" + "x" * 3000,
    ],
)
def test_invalid_callback_urls(url: object) -> None:
    with pytest.raises(ApiError) as info:
        validate_callback_url(url)
    assert (info.value.status, info.value.code) == (400, "invalid_callback_url")


def test_callback_url_checked_after_description() -> None:
    assert _code({"callback_url": "nope"}) == "missing_parameters"
    assert _code({"search_description": "short", "callback_url": "nope"}) == (
        "invalid_search_description"
    )
    assert _code({"search_description": "long enough here", "callback_url": "nope"}) == (
        "invalid_callback_url"
    )


# --- bodies and timestamps ------------------------------------------------------------


def test_timestamp_formats_match_the_spec() -> None:
    moment = datetime(2026, 1, 14, 15, 30, 0, 987654, tzinfo=UTC)
    assert utc_timestamp(moment) == "2026-01-14T15:30:00Z"
    assert naive_timestamp(moment) == "2026-01-14T15:30:00"
    other_zone = moment.astimezone(timezone(timedelta(hours=2)))
    assert utc_timestamp(other_zone) == "2026-01-14T15:30:00Z"


def test_envelopes() -> None:
    moment = datetime(2026, 1, 14, 15, 30, tzinfo=UTC)
    assert success_body({"a": 1}, moment) == (
        b'{"success":true,"data":{"a":1},"timestamp":"2026-01-14T15:30:00Z"}'
    )
    assert error_body("not_found", "Request ID not found", moment) == (
        b'{"success":false,"error":{"code":"not_found","message":"Request ID not found"},'
        b'"timestamp":"2026-01-14T15:30:00Z"}'
    )


# --- credentials ----------------------------------------------------------------------


def test_authenticator() -> None:
    auth = Authenticator({"sandbox-key": "sandbox-secret", "other": "s2"})
    assert auth.authenticate("sandbox-key", "sandbox-secret") == "sandbox-key"
    assert auth.authenticate("other", "s2") == "other"
    assert auth.authenticate("other", "sandbox-secret") is None
    assert auth.authenticate("sandbox-key", "") is None
    assert auth.authenticate(None, "sandbox-secret") is None
    assert auth.authenticate("sandbox-key", None) is None
    assert auth.authenticate("sandbox-key", "sécret-ü") is None  # non-ASCII is just wrong


# --- result projection ----------------------------------------------------------------


def test_projection_keeps_only_spec_fields_in_spec_order() -> None:
    lead = project_lead({**FakeEngine.lead(0), "internal_id": 7})
    assert list(lead) == [
        "platform",
        "post_url",
        "post_content",
        "post_date",
        "author",
        "engagement",
    ]
    assert list(lead["author"]) == ["name", "username", "profile_url", "headline", "image_url"]
    assert list(lead["engagement"]) == ["likes", "comments", "shares"]
    assert re.fullmatch(r"https://\S+\.example/\S+", lead["post_url"])
