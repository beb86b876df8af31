"""Helpers for tests that drive the sandbox: a callback receiver, a deterministic search
engine, a manual clock that says when its next sleeper wakes, and shortcuts for the two
spec calls. None of this runs in the sandbox itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from aiohttp import web

from sandbox.api.clock import ManualClock
from tests.support.waiting import wait_until

__all__ = [
    "CallbackReceiver",
    "FakeEngine",
    "Received",
    "SteppedClock",
    "callback_receiver",
    "submit",
    "wait_for_terminal",
]


class SteppedClock(ManualClock):
    """A :class:`ManualClock` that knows when its earliest sleeper wakes.

    Tests step it from one deadline to the next (:attr:`next_deadline`) instead of guessing
    how far to :meth:`advance`. It learns the deadlines through ``sleep`` alone.
    """

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__(start)
        self._deadlines: list[float] = []

    async def sleep(self, seconds: float) -> None:
        """:meth:`ManualClock.sleep`, remembering its deadline until it wakes or is cancelled."""
        if seconds <= 0:
            await super().sleep(seconds)
            return
        deadline = self.monotonic() + seconds
        self._deadlines.append(deadline)
        try:
            await super().sleep(seconds)
        finally:
            self._deadlines.remove(deadline)

    @property
    def next_deadline(self) -> float | None:
        """When the earliest pending sleeper wakes, or ``None`` when nobody sleeps.

        A sleeper woken by :meth:`advance` whose task has not run yet is no longer pending.
        """
        now = self.monotonic()
        return min((at for at in self._deadlines if at > now), default=None)


async def submit(client: httpx.AsyncClient, description: str, **extra: Any) -> str:
    """POST a search with an authenticated client (asserting 202); return its request_id."""
    response = await client.post("/person/leads", json={"search_description": description, **extra})
    assert response.status_code == 202, response.text
    request_id: str = response.json()["data"]["request_id"]
    return request_id


async def wait_for_terminal(
    client: httpx.AsyncClient, request_id: str, *, timeout: float = 10.0
) -> dict[str, Any]:
    """Poll until the search is completed or failed; return that GET body."""

    async def finished() -> dict[str, Any]:  # empty (falsy) until it has finished
        response = await client.get("/person/leads", params={"request_id": request_id})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body if body["data"]["status"] in {"completed", "failed"} else {}

    return await wait_until(
        finished, timeout=timeout, interval=0.005, message=f"search {request_id} to finish"
    )


class FakeEngine:
    """A deterministic search engine for tests.

    A description containing ``nothing`` finds no leads, one containing ``explode``
    raises; any other finds ``count`` leads on ``.example`` URLs. Results carry an extra
    ``score`` key, which the sandbox must not pass on.
    """

    def __init__(self, count: int = 3) -> None:
        self.count = count
        self.calls: list[str] = []

    def search(self, description: str, *, limit: int = 25) -> list[dict[str, Any]]:
        """Leads for ``description`` (see the class docstring)."""
        self.calls.append(description)
        if "explode" in description:
            raise RuntimeError("engine exploded (FakeEngine)")
        if "nothing" in description:
            return []
        return [self.lead(index) for index in range(min(self.count, limit))]

    @staticmethod
    def lead(index: int) -> dict[str, Any]:
        """The ``index``-th fake lead."""
        return {
            "platform": "linkedin" if index % 2 == 0 else "twitter",
            "post_url": f"https://linkedin.example/feed/update/{index}",
            "post_content": f"Synthetic post number {index} about fundraising.",
            "post_date": f"2026-01-{13 - index % 13:02d}T10:30:00Z",
            "author": {
                "name": f"Person {index}",
                "username": f"person{index}",
                "profile_url": f"https://linkedin.example/in/person{index}",
                "headline": "Founder at Example Corp",
                "image_url": f"https://images.example/person{index}.png",
            },
            "engagement": {"likes": 10 * index, "comments": index, "shares": 1},
            "score": 0.5,
        }


@dataclass(frozen=True, slots=True)
class Received:
    """One request a :class:`CallbackReceiver` got."""

    at: float
    """``time.monotonic()`` on arrival."""
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class CallbackReceiver:
    """A callback endpoint for tests (start one with :func:`callback_receiver`).

    It answers each request with the next of ``statuses`` (200 once they run out). The
    first ``hang_first`` requests get no answer until the receiver stops, so the sender
    times out.
    """

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    hang_first: int = 0
    received: list[Received] = field(default_factory=list)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp handler."""
        body = await request.json()
        self.received.append(Received(time.monotonic(), body, dict(request.headers)))
        if len(self.received) <= self.hang_first:
            await self._stopping.wait()
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({"ok": status < 300}, status=status)

    async def wait_for(self, count: int, *, timeout: float = 10.0) -> list[Received]:
        """Wait until at least ``count`` requests arrived; return all received so far."""

        async def enough() -> bool:
            return len(self.received) >= count

        await wait_until(
            enough, timeout=timeout, interval=0.005, message=f"{count} callback requests"
        )
        return self.received


@asynccontextmanager
async def callback_receiver(
    *, statuses: list[int] | None = None, hang_first: int = 0, path: str = "/webhook/leads"
) -> AsyncIterator[CallbackReceiver]:
    """Serve a :class:`CallbackReceiver` on a free loopback port."""
    receiver = CallbackReceiver(statuses=list(statuses or []), hang_first=hang_first)
    app = web.Application()
    app.router.add_post(path, receiver.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}{path}"
        yield receiver
    finally:
        receiver._stopping.set()
        await runner.cleanup()
