"""Pure retry decisions, kept free of I/O so tests can table-drive them.

The client asks these functions what to do; it never sleeps or retries on its own judgement.
"""

from __future__ import annotations

import email.utils
import random
import time
from typing import Literal

Method = Literal["GET", "POST"]

INITIAL_RETRY_DELAY = 0.5
"""Seconds before the first retry."""
MAX_RETRY_DELAY = 8.0
"""Longest backoff between two retries (``Retry-After`` aside)."""
MAX_RETRY_AFTER = 60.0
"""Longest ``Retry-After`` the client will sleep through; past it, RateLimitError at once."""


# Answers after which the API cannot have created a search: 429 (refused before any work)
# and 503 (not taken). Not 500: the spec does not promise a failed request created nothing,
# so the search may exist and a retry could create, and bill, a second one. A 502 or 504
# comes from a gateway that may have passed the request on, so not those either.
_POST_RETRYABLE = frozenset({429, 503})


def should_retry_status(method: Method, status_code: int) -> bool:
    """Whether an error status is worth another attempt.

    429 and 5xx are transient; 400/401/404 will answer the same again, so never. A GET
    is retried on any of them. A POST only where the API cannot have accepted it — 429
    and 503 — so a retry never creates a second search; a 500 may come after the search
    was created, so it is raised, not repeated.
    """
    if method == "POST":
        return status_code in _POST_RETRYABLE
    return status_code == 429 or status_code >= 500


def should_retry_exception(method: Method, *, request_sent: bool) -> bool:
    """Whether a connection failure or timeout is worth another attempt.

    A GET is always safe to repeat. A POST is repeated only if the request never left
    (connect errors and connect timeouts): once sent, the API may have created the search,
    and a second POST would create — and maybe bill — another one.
    """
    return method == "GET" or not request_sent


def parse_retry_after(headers: dict[str, str] | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``.

    Header names must be lower-case (httpx's ``Headers`` already are when iterated).
    Returns ``None`` when absent or unreadable; never a negative number.
    """
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def backoff_delay(
    retries_done: int,
    *,
    initial: float = INITIAL_RETRY_DELAY,
    maximum: float = MAX_RETRY_DELAY,
    jitter: float | None = None,
) -> float:
    """Exponential backoff with jitter: ``initial * 2**n``, capped, minus up to 25 %.

    ``jitter`` in [0, 1) replaces the random draw (tests pass it to pin the result).
    """
    base: float = min(initial * 2.0**retries_done, maximum)
    draw: float = random.random() if jitter is None else jitter
    return base * (1.0 - 0.25 * draw)


def retry_delay(
    retries_done: int,
    retry_after: float | None,
    *,
    max_retry_after: float = MAX_RETRY_AFTER,
    jitter: float | None = None,
) -> float | None:
    """How long to sleep before the next attempt, or ``None`` to give up now.

    ``Retry-After`` wins when present and within ``max_retry_after``; beyond it we
    raise at once instead of blocking the caller for minutes.
    """
    if retry_after is not None:
        return retry_after if retry_after <= max_retry_after else None
    return backoff_delay(retries_done, jitter=jitter)
