"""One helper for values that may or may not need awaiting."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["settle"]

T = TypeVar("T")


async def settle(value: Awaitable[T] | T) -> T:
    """``value``, awaited if it is awaitable.

    For callbacks that may be sync or async (``on_status``), and for redis-py, which types
    its async commands as ``Awaitable[T] | T``.
    """
    return await value if inspect.isawaitable(value) else value
