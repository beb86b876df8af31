"""Helper process for ``sandbox_get_throughput``: a closed-loop HTTP/1.1 load generator.

``python -m bench._loadgen [--cpu N]`` answers each request line
``{"port", "path", "headers", "seconds", "connections"}`` with
``{"responses", "errors", "seconds", "cpu_seconds"}``: ``connections`` keep-alive
connections each send the next GET as soon as the previous answer is complete, for
``seconds``. It speaks raw HTTP on asyncio protocols rather than through an HTTP client
library so that it costs far less CPU per request than the servers it measures;
``cpu_seconds`` close to ``seconds`` would mean it, not the server, was the bottleneck.
"""

from __future__ import annotations

import asyncio
import resource
import time
from dataclasses import dataclass
from typing import Any

from bench._child import requests, run_pinned, say


@dataclass
class _Tally:
    responses: int = 0
    errors: int = 0


class _Connection(asyncio.Protocol):
    """Sends ``request``, reads one whole response (by Content-Length), repeats until ``stop``."""

    def __init__(self, request: bytes, tally: _Tally, stop_at: float) -> None:
        self._request = request
        self._tally = tally
        self._stop_at = stop_at
        self._buffer = bytearray()
        self._needed: int | None = None
        self._status = 0
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._parse_one():
            if self._status == 200:
                self._tally.responses += 1
            else:
                self._tally.errors += 1
            if time.perf_counter() >= self._stop_at:
                self._finish()
                return
            assert self._transport is not None
            self._transport.write(self._request)

    def _parse_one(self) -> bool:
        """True when a whole response has been consumed from the buffer."""
        if self._needed is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return False
            head = bytes(self._buffer[:end]).lower()
            self._status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name == b"content-length":
                    length = int(value)
            self._needed = end + 4 + length
        if len(self._buffer) < self._needed:
            return False
        del self._buffer[: self._needed]
        self._needed = None
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self._tally.errors += 1
            self.done.set_result(None)

    def _finish(self) -> None:
        if self._transport is not None:
            self._transport.close()
        if not self.done.done():
            self.done.set_result(None)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_load(
    port: int, path: str, headers: dict[str, str], seconds: float, connections: int
) -> dict[str, Any]:
    """Drive ``connections`` closed-loop connections at ``port`` for ``seconds``."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    tally = _Tally()
    cpu_before, started = _cpu_seconds(), time.perf_counter()
    stop_at = started + seconds
    protocols = []
    for _ in range(connections):
        _, protocol = await loop.create_connection(
            lambda: _Connection(request, tally, stop_at), "127.0.0.1", port
        )
        protocols.append(protocol)
    async with asyncio.timeout(seconds + 30):
        await asyncio.gather(*(protocol.done for protocol in protocols))
    elapsed = time.perf_counter() - started
    return {
        "responses": tally.responses,
        "errors": tally.errors,
        "seconds": elapsed,
        "cpu_seconds": _cpu_seconds() - cpu_before,
    }


async def main(cpu: int | None) -> None:
    say({"ready": True, "cpu": cpu})
    async for order in requests():
        say(
            await run_load(
                order["port"],
                order["path"],
                order["headers"],
                order["seconds"],
                order["connections"],
            )
        )


if __name__ == "__main__":
    run_pinned(main)
