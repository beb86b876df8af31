"""What the server's lifespan hands to every tool call."""

from __future__ import annotations

from dataclasses import dataclass

from shared.service import LeadsService

__all__ = ["LeadsContext"]


@dataclass(frozen=True)
class LeadsContext:
    """The lifespan context: the process's lead-search service (over Redis and the API)."""

    service: LeadsService
    sandbox: bool
    """True when searches go to the local sandbox rather than the real API."""
