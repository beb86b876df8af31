"""The helper-process side of :mod:`bench._procs`: pinning, the ready line, request lines."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

__all__ = ["LINE_LIMIT", "pin_to_cpu", "requests", "run_pinned", "say"]

LINE_LIMIT = 64 * 1024 * 1024
"""Longest JSON line either side reads (a load order may carry many request bodies)."""


def pin_to_cpu(cpu: int | None) -> None:
    """Run this process (every thread) on one CPU only; no-op for None."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def say(message: dict[str, Any]) -> None:
    """Write one JSON line to the parent."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def requests() -> AsyncIterator[dict[str, Any]]:
    """The parent's request lines, until it closes our stdin."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        message: dict[str, Any] = json.loads(line)
        yield message


def run_pinned(main: Callable[[int | None], Coroutine[Any, Any, None]]) -> None:
    """A helper's entry point: parse ``--cpu N``, pin to it, run ``main(cpu)``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--cpu", type=int, default=None, help="the one CPU to run on")
    cpu: int | None = parser.parse_args().cpu
    logging.basicConfig(level=logging.WARNING)
    pin_to_cpu(cpu)
    asyncio.run(main(cpu))
