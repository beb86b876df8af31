"""Small asyncio helpers: values that may need awaiting, background tasks that must stop."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable
from typing import Any, TypeVar

__all__ = ["settle", "stop_task"]

T = TypeVar("T")


async def settle(value: Awaitable[T] | T) -> T:
    """``value``, awaited if it is awaitable.

    For callbacks that may be sync or async (``on_status``), and for redis-py, which types
    its async commands as ``Awaitable[T] | T``.
    """
    return await value if inspect.isawaitable(value) else value


async def stop_task(task: asyncio.Task[Any] | None, *, patience: float = 1.0) -> None:
    """Cancel a background task and return once it has stopped; its error, if it failed,
    is raised here rather than left unread.

    A cancellation can be lost — arq's worker swallowed one cancelled within milliseconds of
    starting (arq 0.28 / redis-py 5.3), and under the MCP server's stateless transport one
    left a task "cancelling" in its sleep — so it is asked again every ``patience`` seconds
    until the task is done.
    """
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=patience)
    with contextlib.suppress(asyncio.CancelledError):
        await task
