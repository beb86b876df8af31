"""Processes a benchmark starts — redis-server, helper Python processes — and always stops.

Helper processes speak JSON lines: one line when ready, then one answer line per request
line. They exit when their stdin closes, so even a killed benchmark leaves none behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from bench._child import LINE_LIMIT
from tests.support.servers import RedisServer, run_redis_server

__all__ = ["Helper", "cpu_pair", "redis_server", "start_helper"]


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A private redis-server on a free port (no persistence), stopped afterwards."""
    if shutil.which("redis-server") is None:
        raise RuntimeError("redis-server is not on PATH; the Redis benchmarks need it")
    with run_redis_server() as server:
        yield server


def cpu_pair() -> tuple[int, int] | None:
    """Two distinct CPUs this process may use (server, load generator), or None."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    return (cpus[0], cpus[1]) if len(cpus) >= 2 else None


class Helper:
    """A running helper process: send a request, read its answer."""

    def __init__(self, process: asyncio.subprocess.Process, ready: dict[str, Any]) -> None:
        self.process = process
        self.ready = ready
        """What the process said when it was ready (ports, ids, ...)."""

    async def request(self, message: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        """Send one request line and wait up to ``timeout`` seconds for the answer line."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        await self.process.stdin.drain()
        return await _read_line(self.process, timeout)


async def _read_line(process: asyncio.subprocess.Process, timeout: float) -> dict[str, Any]:
    assert process.stdout is not None
    async with asyncio.timeout(timeout):
        line = await process.stdout.readline()
    if not line:
        raise RuntimeError(f"helper process exited (status {await process.wait()})")
    answer: dict[str, Any] = json.loads(line)
    return answer


@asynccontextmanager
async def start_helper(
    module: str, *args: str, ready_timeout: float = 60.0
) -> AsyncIterator[Helper]:
    """Run ``python -m <module> <args>``; yield it once it has said it is ready; stop it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=LINE_LIMIT,
    )
    try:
        yield Helper(process, await _read_line(process, ready_timeout))
    finally:
        await _stop(process)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.stdin is not None and not process.stdin.is_closing():
        process.stdin.close()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            await process.wait()
            return
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    await process.wait()
