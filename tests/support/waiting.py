"""Wait on conditions with deadlines — never fixed sleeps."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


@overload
async def wait_until(
    probe: Callable[[], Awaitable[T]],
    *,
    timeout: float = ...,
    interval: float = ...,
    message: str = ...,
) -> T: ...


@overload
async def wait_until(
    probe: Callable[[], T],
    *,
    timeout: float = ...,
    interval: float = ...,
    message: str = ...,
) -> T: ...


async def wait_until(
    probe: Callable[[], Any],
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
    message: str = "condition",
) -> Any:
    """Call ``probe`` until it returns something truthy; return that, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        value = probe()
        last = await value if inspect.isawaitable(value) else value
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {message}; last={last!r}"
            )
        await asyncio.sleep(interval)


def wait_until_sync(
    probe: Callable[[], T],
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
    message: str = "condition",
) -> T:
    """Blocking twin for code outside an event loop (subprocess management)."""
    deadline = time.monotonic() + timeout
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {message}; last={last!r}"
            )
        time.sleep(interval)
