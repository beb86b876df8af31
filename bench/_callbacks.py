"""Callbacks on demand: what the sandbox would have POSTed for a search, sent when we choose.

The benchmarks run the sandbox with ``drop_callbacks=always`` so that no callback arrives on
its own; once a search has finished at the API they take its callback — the URL the API
was given and the very bytes it would have sent — and deliver it themselves, at a moment
they time.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from sandbox.api.callbacks import callback_body
from sandbox.embedded import RunningSandbox
from shared.polling import PollSchedule

__all__ = ["DROP_CALLBACKS", "NO_POLLS", "PendingCallback", "callback_for", "token_of"]

DROP_CALLBACKS = {"drop_callbacks": "always"}
"""Sandbox faults: the API never sends a callback itself."""
NO_POLLS = PollSchedule(
    without_callback=(3600.0,),
    with_callback=(3600.0,),
    retry_after_error=3600.0,
    overdue_after=3600.0,
)
"""First (and every) poll, spare ones too, an hour after submission: only a callback can
finish a search."""


@dataclass(frozen=True)
class PendingCallback:
    """A finished search's callback, not sent yet."""

    request_id: str
    path: str
    """``/callbacks/nyne/<token>``: the path of the callback URL the API was given."""
    body: bytes
    results: int

    @property
    def token(self) -> str:
        """The search's callback token (the last segment of the path)."""
        return token_of(self.path)


def token_of(path: str) -> str:
    """The token at the end of a callback URL or path."""
    return path.rstrip("/").rsplit("/", 1)[-1]


async def callback_for(
    sandbox: RunningSandbox, request_id: str, *, timeout: float = 30.0
) -> PendingCallback:
    """The callback of ``request_id`` once the search has finished at the API."""
    service = sandbox.service
    record = service.find(sandbox.config.api_key, request_id)
    if record is None or record.callback_url is None:
        raise LookupError(f"the sandbox has no search {request_id} with a callback URL")
    deadline = time.monotonic() + timeout
    while service.status_of(record) not in ("completed", "failed"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"search {request_id} did not finish within {timeout:g} s")
        # Until the end of its schedule (at least a millisecond): no busy loop.
        left = record.created_mono + record.schedule.total - service.clock.monotonic()
        await asyncio.sleep(max(left, 0.001))
    outcome = await service.settle(record)
    return PendingCallback(
        request_id=request_id,
        path=urlsplit(record.callback_url).path,
        body=callback_body(record, outcome),
        results=len(outcome.results),
    )
