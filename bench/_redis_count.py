"""Counting Redis round trips exactly, client side, and commands executed, server side.

A round trip is one write of a request to a Redis connection: a single command, a whole
pipeline or MULTI/EXEC block, a script call. redis-py sends every one of them through
``AbstractConnection.send_packed_command``, so counting its calls (for every client in this
process: the product's and the job queue's) counts round trips — connection handshakes and
health-check PINGs included, should any happen. ``INFO commandstats`` counts what the server
executed, including the commands Lua scripts run, as a cross-check.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection

__all__ = ["RoundTrips", "commands_executed", "count_round_trips"]

_COMMAND = re.compile(rb"\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n")


class RoundTrips:
    """Round trips seen so far, and what each one carried (for the breakdown)."""

    def __init__(self) -> None:
        self.count = 0
        self.shapes: Counter[str] = Counter()

    def record(self, packed: bytes) -> None:
        """Count one request; name it by its commands, e.g. ``MULTI+HSET+EXPIRE+EXEC``."""
        self.count += 1
        names = [name.decode().upper() for name in _COMMAND.findall(packed)]
        self.shapes["+".join(names) if len(names) <= 4 else f"pipeline of {len(names)}"] += 1


def _joined(command: bytes | str | Iterable[bytes]) -> bytes:
    if isinstance(command, str):
        return command.encode()
    if isinstance(command, bytes):
        return command
    return b"".join(bytes(chunk) for chunk in command)


@contextmanager
def count_round_trips(into: RoundTrips | None = None) -> Iterator[RoundTrips]:
    """Count every round trip any redis-py asyncio client in this process makes meanwhile.

    ``into`` adds them to an existing tally (a step that happens several times).
    """
    tally = into if into is not None else RoundTrips()
    original = AbstractConnection.send_packed_command

    async def counting(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
        chunks = list(command) if not isinstance(command, bytes | str) else command
        tally.record(_joined(chunks))
        await original(self, chunks, check_health)

    AbstractConnection.send_packed_command = counting  # type: ignore[method-assign]
    try:
        yield tally
    finally:
        AbstractConnection.send_packed_command = original  # type: ignore[method-assign]


async def commands_executed(redis: aioredis.Redis) -> int:
    """Commands the server has executed so far (``INFO commandstats``, without INFO itself)."""
    stats: dict[str, Any] = await redis.info("commandstats")
    return sum(
        int(entry["calls"])
        for name, entry in stats.items()
        if name.startswith("cmdstat_") and name != "cmdstat_info"
    )
