"""Helper process: a closed-loop HTTP/1.1 load generator (throughput, or each request's latency).

``python -m bench._loadgen [--cpu N]`` answers each request line with the outcome of one
load run. A request line is either

* ``{"port", "path", "headers", "seconds", "connections"}``: ``connections`` keep-alive
  connections each send the next GET of ``path`` as soon as the previous answer is
  complete, for ``seconds``; or
* ``{"port", "template", "fills", "connections"[, "seconds"]}``: ``template`` is
  ``{"method", "path", "headers", "body"}`` and each fill (``{placeholder: value}``)
  renders it into one request, every placeholder replaced in the path, the header values
  and the body. With ``seconds``, each connection repeats its share of those requests
  until time is up (throughput). Without, every request is sent exactly once: all
  connections are opened first, then each sends one request and takes the next unsent one
  as soon as its answer is complete — with as many connections as requests, that is a
  burst of simultaneous requests — and each request's latency is reported.

The answer is ``{"responses", "errors", "statuses", "seconds", "cpu_seconds"}`` (plus
``"latencies"`` in seconds, in completion order, for a run without ``seconds``); an answer
other than 200 counts as an error. It speaks raw HTTP on asyncio protocols rather than
through an HTTP client library so that it costs far less CPU per request than the servers
it measures; ``cpu_seconds`` close to ``seconds`` would mean it, not the server, was the
bottleneck.
"""

from __future__ import annotations

import asyncio
import functools
import re
import resource
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from itertools import cycle
from typing import Any

from bench._child import requests, run_pinned, say


@dataclass
class _Tally:
    responses: int = 0
    errors: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)


class _Source:
    """The requests one connection sends: its own cycle until a deadline, or a shared queue."""

    def __init__(
        self,
        *,
        own: list[bytes] | None = None,
        shared: deque[bytes] | None = None,
        stop_at: float | None = None,
    ) -> None:
        self._own = cycle(own) if own else None
        self._shared = shared
        self.stop_at = stop_at
        """When a repeating connection stops (set once every connection is open)."""

    def next(self) -> bytes | None:
        """The next request to send, or None when this connection is done."""
        if self._own is not None:
            if self.stop_at is not None and time.perf_counter() >= self.stop_at:
                return None
            return next(self._own)
        if self._shared:
            return self._shared.popleft()
        return None


class _Connection(asyncio.Protocol):
    """Sends a request, reads one whole response (by Content-Length), sends the next."""

    def __init__(self, source: _Source, tally: _Tally) -> None:
        self._source = source
        self._tally = tally
        self._buffer = bytearray()
        self._needed: int | None = None
        self._status = 0
        self._sent_at = 0.0
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def start(self) -> None:
        """Send the first request (connections are all opened before any sends)."""
        self._send_next()

    def _send_next(self) -> None:
        request = self._source.next()
        if request is None:
            self._finish()
            return
        assert self._transport is not None
        self._sent_at = time.perf_counter()
        self._transport.write(request)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._parse_one():
            self._tally.latencies.append(time.perf_counter() - self._sent_at)
            self._tally.statuses[self._status] += 1
            if self._status == 200:
                self._tally.responses += 1
            else:
                self._tally.errors += 1
            self._send_next()
            if self.done.done():
                return

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


def render(port: int, template: dict[str, Any], fill: dict[str, str]) -> bytes:
    """One HTTP/1.1 request: ``template`` with every placeholder of ``fill`` replaced."""

    # One pass, so a value that happens to contain a placeholder is left as it is.
    pattern = re.compile("|".join(re.escape(placeholder) for placeholder in fill) or "(?!)")

    def put(text: str) -> str:
        return pattern.sub(lambda match: fill[match.group(0)], text)

    body = put(str(template.get("body") or "")).encode()
    lines = [f"{template.get('method', 'GET')} {put(template['path'])} HTTP/1.1"]
    lines.append(f"Host: 127.0.0.1:{port}")
    lines += [f"{name}: {put(str(value))}" for name, value in template["headers"].items()]
    if body or template.get("method", "GET") != "GET":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def run_load(order: dict[str, Any]) -> dict[str, Any]:
    """Carry out one request line (see the module docstring)."""
    port: int = order["port"]
    connections: int = order["connections"]
    seconds: float | None = order.get("seconds")
    template = order.get("template") or {"path": order["path"], "headers": order["headers"]}
    rendered = [render(port, template, fill) for fill in order.get("fills") or [{}]]
    loop = asyncio.get_running_loop()
    tally = _Tally()
    shared = deque(rendered) if seconds is None else None
    protocols = []
    for number in range(connections):
        if shared is not None:
            source = _Source(shared=shared)
        else:
            own = rendered[number::connections] or [rendered[number % len(rendered)]]
            source = _Source(own=own, stop_at=0.0)  # the deadline is set once all are open
        _, protocol = await loop.create_connection(
            functools.partial(_Connection, source, tally), "127.0.0.1", port
        )
        protocols.append((protocol, source))
    cpu_before, started = _cpu_seconds(), time.perf_counter()
    for protocol, source in protocols:
        if seconds is not None:
            source.stop_at = started + seconds
        protocol.start()
    async with asyncio.timeout((seconds or 0) + 60):
        await asyncio.gather(*(protocol.done for protocol, _ in protocols))
    elapsed = time.perf_counter() - started
    answer: dict[str, Any] = {
        "responses": tally.responses,
        "errors": tally.errors,
        "statuses": {str(status): count for status, count in tally.statuses.items()},
        "seconds": elapsed,
        "cpu_seconds": _cpu_seconds() - cpu_before,
    }
    if seconds is None:
        answer["latencies"] = tally.latencies
    return answer


async def main(cpu: int | None) -> None:
    say({"ready": True, "cpu": cpu})
    async for order in requests():
        say(await run_load(order))


if __name__ == "__main__":
    run_pinned(main)
