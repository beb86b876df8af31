"""The scheduler pass: hand out the runs that are due, and the runs left unfinished.

Run as a cron job once across all workers (arq's ``unique``); even two passes at once are
safe, since claiming a slot is atomic (``WatchStore.claim_due``). Its cost is O(due): it
reads the due set by score and touches only the watches it claims.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from shared.watch.store import WatchStore

__all__ = ["schedule_pass"]

log = logging.getLogger(__name__)

RunStarter = Callable[[str], Awaitable[None]]
"""Queues one run (by run ID) on the front's job queue; idempotent per run ID."""


async def schedule_pass(
    store: WatchStore, start: RunStarter, *, batch: int = 200, recheck: float = 30.0
) -> int:
    """Claim the due runs and queue them, then queue again the overdue open ones.

    Returns how many runs were queued. A crash after claiming and before queueing loses
    nothing: the claimed run is open, and a later pass finds it overdue.
    """
    claimed = await store.claim_due(limit=batch, recheck=recheck)
    overdue = await store.overdue_runs(limit=batch, recheck=recheck)
    for run_id in dict.fromkeys([*claimed, *overdue]):
        await start(run_id)
    if claimed or overdue:
        log.info("watch runs queued", extra={"due": len(claimed), "overdue": len(overdue)})
    return len(claimed) + len(overdue)
