"""stop_task: a background task stops even when a cancellation is lost."""

from __future__ import annotations

import asyncio

import pytest

from shared._awaitable import stop_task


async def test_a_task_that_swallows_its_first_cancellation_is_still_stopped() -> None:
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                swallowed += 1
                if swallowed > 1:
                    raise

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await stop_task(task, patience=0.01)
    assert task.cancelled()
    assert swallowed == 2


async def test_a_task_that_failed_has_its_error_raised_not_left_unread() -> None:
    async def broken() -> None:
        raise RuntimeError("boom")

    task = asyncio.create_task(broken())
    await asyncio.wait({task})
    with pytest.raises(RuntimeError, match="boom"):
        await stop_task(task)
    await stop_task(None)  # nothing started: nothing to do
