"""Retry and polling decisions, table-driven; nothing here sleeps."""

from __future__ import annotations

import email.utils

import pytest

from shared import _retry


@pytest.mark.parametrize(
    ("method", "status", "retry"),
    [
        ("GET", 400, False),
        ("GET", 401, False),
        ("GET", 404, False),
        ("GET", 429, True),
        ("GET", 500, True),
        ("GET", 503, True),
        ("POST", 400, False),
        ("POST", 401, False),
        ("POST", 429, True),
        ("POST", 500, False),  # the spec does not promise a 500 created nothing
        ("POST", 503, True),
        ("POST", 502, False),  # a gateway may have passed the POST on: no second search
        ("POST", 504, False),
        ("GET", 502, True),
        ("GET", 504, True),
    ],
)
def test_should_retry_status(method: _retry.Method, status: int, retry: bool) -> None:
    assert _retry.should_retry_status(method, status) is retry


@pytest.mark.parametrize(
    ("method", "sent", "retry"),
    [("GET", True, True), ("GET", False, True), ("POST", False, True), ("POST", True, False)],
)
def test_should_retry_exception(method: _retry.Method, sent: bool, retry: bool) -> None:
    assert _retry.should_retry_exception(method, request_sent=sent) is retry


NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (None, None),
        ({}, None),
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": email.utils.formatdate(NOW + 30, usegmt=True)}, 30.0),
        ({"retry-after": email.utils.formatdate(NOW - 30, usegmt=True)}, 0.0),
    ],
)
def test_parse_retry_after(headers: dict[str, str] | None, expected: float | None) -> None:
    assert _retry.parse_retry_after(headers, now=NOW) == expected


@pytest.mark.parametrize(
    ("retries_done", "jitter", "expected"),
    [
        (0, 0.0, 0.5),
        (1, 0.0, 1.0),
        (2, 0.0, 2.0),
        (3, 0.0, 4.0),
        (4, 0.0, 8.0),
        (10, 0.0, 8.0),  # capped
        (0, 0.999, 0.5 * (1 - 0.25 * 0.999)),  # jitter only ever shortens, by ≤ 25 %
        (4, 0.5, 8.0 * 0.875),
    ],
)
def test_backoff_delay(retries_done: int, jitter: float, expected: float) -> None:
    assert _retry.backoff_delay(retries_done, jitter=jitter) == pytest.approx(expected)


def test_backoff_jitter_stays_within_bounds() -> None:
    for retries_done in range(6):
        base = min(0.5 * 2**retries_done, 8.0)
        for _ in range(200):
            assert 0.75 * base <= _retry.backoff_delay(retries_done) <= base


@pytest.mark.parametrize(
    ("retries_done", "retry_after", "expected"),
    [
        (0, None, 0.5),
        (2, None, 2.0),
        (0, 3.0, 3.0),
        (0, 60.0, 60.0),
        (0, 60.5, None),  # beyond the cap: give up now, the caller gets retry_after
        (1, 300.0, None),
    ],
)
def test_retry_delay(retries_done: int, retry_after: float | None, expected: float | None) -> None:
    assert _retry.retry_delay(retries_done, retry_after, jitter=0.0) == expected
