"""Pending searches recorded "elsewhere": through the store's own API, without the API.

:meth:`SearchStore.create_search` is what :meth:`LeadsService.submit` calls once the API
has accepted a search: the record, its description, its callback token, its first poll and
its place in the recent list. Calling it directly puts thousands of searches in Redis in
seconds, each exactly as a real submission leaves it, with no request to the API.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.state.records import Origin, SearchRecord, SearchState
from shared.state.store import SearchStore

__all__ = ["PendingSearch", "record_pending_searches"]

BATCH = 100
"""Searches recorded at once (one pipeline each, concurrently)."""


@dataclass(frozen=True)
class PendingSearch:
    """A search waiting for its callback."""

    request_id: str
    token: str
    """Its callback token (the last segment of its callback URL)."""


async def record_pending_searches(
    store: SearchStore,
    count: int,
    *,
    description: str,
    origin: Origin,
    first_poll_in: float,
    sandbox: bool,
) -> list[PendingSearch]:
    """Record ``count`` queued searches with callback tokens, first polls ``first_poll_in``
    seconds from now; each description is ``description`` with a number, so none is alike."""
    now = datetime.now(UTC)
    pending = [
        PendingSearch(secrets.token_hex(32), SearchStore.new_callback_token()) for _ in range(count)
    ]

    async def record(number: int, search: PendingSearch) -> None:
        record = SearchRecord(
            request_id=search.request_id,
            description=f"{description} #{number}",
            origin=origin,
            status=SearchState.QUEUED,
            created_at=now,
            phases={SearchState.QUEUED: now},
            has_callback=True,
            sandbox=sandbox,
        )
        await store.create_search(
            record, first_poll_at=time.time() + first_poll_in, callback_token=search.token
        )

    for first in range(0, count, BATCH):
        batch = pending[first : first + BATCH]
        await asyncio.gather(*(record(first + n, s) for n, s in enumerate(batch)))
    return pending
