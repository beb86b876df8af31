"""Searches and per-key accounts, in memory."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sandbox.api.lifecycle import Schedule

__all__ = ["Account", "Outcome", "SandboxSearch", "SandboxSearchStore"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a search ended. Fixed once set, so its ``data`` is serialised only once."""

    status: str
    """``completed`` or ``failed``."""
    results: list[dict[str, Any]]
    error: dict[str, str] | None
    data_json: bytes
    """The ``data`` of the GET answer, serialised."""


@dataclass(slots=True, eq=False)
class SandboxSearch:
    """One submitted search, as the API keeps it (not the product's ``shared`` record)."""

    request_id: str
    api_key: str
    description: str
    callback_url: str | None
    created_mono: float
    """``Clock.monotonic()`` at submission; the schedule counts from here."""
    created_wall: datetime
    schedule: Schedule
    results: asyncio.Future[list[dict[str, Any]]] | None
    """The engine's answer, computed in the background; ``None`` when forced to fail."""
    created_on: str = ""
    """``created_on`` as the API writes it, formatted once."""
    outcome: Outcome | None = None

    @property
    def finished_wall(self) -> datetime:
        """When the search completes (or fails), by its schedule."""
        return self.created_wall + timedelta(seconds=self.schedule.total)


@dataclass(slots=True)
class Account:
    """What one API key has done. Credits: 1 per completed search with at least one lead."""

    credits_used: int = 0
    searches: int = 0
    completed: int = 0
    completed_without_leads: int = 0
    failed: int = 0
    rate_limited: int = 0
    """Requests answered 429: a client that keeps inside the budget never sees one."""


@dataclass(slots=True)
class SandboxSearchStore:
    """Searches by request ID, in memory, oldest evicted first past ``max_searches``.

    The cap keeps a long benchmark from growing memory without bound; an evicted search
    answers 404 like an unknown one.
    """

    max_searches: int = 10_000
    _records: dict[str, SandboxSearch] = field(default_factory=dict)
    _accounts: dict[str, Account] = field(default_factory=dict)

    def add(self, record: SandboxSearch) -> None:
        """Keep a new search (and count it for its key)."""
        self._records[record.request_id] = record
        self.account(record.api_key).searches += 1
        while len(self._records) > self.max_searches:
            del self._records[next(iter(self._records))]

    def get(self, request_id: str) -> SandboxSearch | None:
        """The search with this ID, if kept."""
        return self._records.get(request_id)

    def for_key(self, api_key: str) -> Iterator[SandboxSearch]:
        """Every kept search of one key, oldest first."""
        return (record for record in list(self._records.values()) if record.api_key == api_key)

    def account(self, api_key: str) -> Account:
        """The account of ``api_key``, created empty on first use."""
        account = self._accounts.get(api_key)
        if account is None:
            account = self._accounts[api_key] = Account()
        return account

    def __len__(self) -> int:
        return len(self._records)

    def clear(self) -> None:
        """Forget every search and account."""
        self._records.clear()
        self._accounts.clear()
