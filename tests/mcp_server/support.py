"""Helpers for the MCP server tests: reading tool results, recording progress, child processes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp.types import CallToolResult

from mcp_server.models import SearchList, SearchOutcome

ROOT = Path(__file__).resolve().parents[2]
DESCRIPTION = "CTOs at fintech companies discussing cloud migration"
OTHER_DESCRIPTION = "Founders talking about hiring their first sales rep"
INITIALIZE: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw-test", "version": "0"},
    },
}
"""A raw legacy-era ``initialize`` request, as desktop hosts send it."""


def text_of(result: CallToolResult) -> str:
    """All text content of a tool result, joined."""
    return "\n".join(block.text for block in result.content if block.type == "text")


def outcome_of(result: CallToolResult) -> SearchOutcome:
    """The structured content of search_leads / get_search_status, checked against its model."""
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return SearchOutcome.model_validate(result.structured_content)


def listing_of(result: CallToolResult) -> SearchList:
    """The structured content of list_searches, checked against its model."""
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return SearchList.model_validate(result.structured_content)


def error_of(result: CallToolResult) -> str:
    """The text of a tool error (and that it is one)."""
    assert result.is_error, f"expected a tool error, got: {text_of(result)[:300]}"
    return text_of(result)


@dataclass
class ProgressLog:
    """A progress_callback that records what it hears."""

    events: list[tuple[float, float | None, str | None]] = field(default_factory=list)

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.events.append((progress, total, message))

    @property
    def phases(self) -> list[str]:
        """The phase named at the start of each message ("searching: …" → "searching")."""
        return [(message or "").split(":")[0] for _, _, message in self.events]

    def reported(self, phase: str) -> Callable[[], bool]:
        """A probe for ``wait_until``: has ``phase`` been reported yet?"""
        return lambda: phase in self.phases


def child_env(**extra: str) -> dict[str, str]:
    """An environment for ``python -m mcp_server`` with none of the caller's settings.

    No API key (so the embedded sandbox), no Redis (so the in-process store), no token;
    the sandbox runs 200x fast so the spec's 105 s search takes about half a second.
    """
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LEADS_SANDBOX_SPEED": "200",
        "LEADS_LOG_LEVEL": "INFO",
    }
    env.update(extra)
    return env


def server_command(*args: str) -> list[str]:
    """The command line that starts the server under test."""
    return [sys.executable, "-m", "mcp_server", *args]


def jsonable(value: Any) -> Any:
    """``value`` with pydantic models dumped (for snapshots)."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return value
