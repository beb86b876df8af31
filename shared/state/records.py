"""What Redis remembers about a search and about each answer owed to a person.

A **search** is one API request (one ``request_id``): its description, who first asked,
its status and phase history, and — once done — its results. A **delivery** is one
answer owed to one Slack request: where the parent message is and how much of the
thread was already posted. Identical-search reuse can hang several deliveries on one
search, so a search found once can be answered in several channels.

Both are stored as flat Redis hashes of strings; :meth:`to_hash`/``from_hash`` convert.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from shared.models import SearchStatus

__all__ = [
    "CliOrigin",
    "Delivery",
    "McpOrigin",
    "Origin",
    "SearchRecord",
    "SearchState",
    "SlackOrigin",
]


class SearchState(StrEnum):
    """The API's statuses plus ``expired``: we stopped waiting for an abandoned search."""

    QUEUED = "queued"
    PENDING = "pending"
    ANALYZING = "analyzing"
    SEARCHING = "searching"
    AGGREGATING = "aggregating"
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """True when the search will not change any more."""
        return self in _TERMINAL

    @classmethod
    def from_api(cls, status: SearchStatus) -> SearchState:
        """The state for an API status."""
        return cls(status.value)


_TERMINAL = frozenset({SearchState.COMPLETED, SearchState.FAILED, SearchState.EXPIRED})
TERMINAL_VALUES = frozenset(state.value for state in _TERMINAL)


class SlackOrigin(BaseModel):
    """A ``/leads`` request: where to answer and who asked."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["slack"] = "slack"
    team_id: str
    channel_id: str
    user_id: str
    parent_ts: str | None = None
    """The visible parent message the thread hangs under (set once it is posted)."""


class McpOrigin(BaseModel):
    """A tool call from an AI assistant."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["mcp"] = "mcp"
    client: str | None = None


class CliOrigin(BaseModel):
    """The ``leads`` command line."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["cli"] = "cli"


Origin = Annotated[SlackOrigin | McpOrigin | CliOrigin, Field(discriminator="kind")]
_ORIGIN: TypeAdapter[SlackOrigin | McpOrigin | CliOrigin] = TypeAdapter(Origin)


def _ts(value: datetime | None) -> str:
    return "" if value is None else f"{value.timestamp():.3f}"


def _dt(value: str | None) -> datetime | None:
    return datetime.fromtimestamp(float(value), UTC) if value else None


class SearchRecord(BaseModel):
    """One API search, as Redis knows it."""

    request_id: str
    description: str
    origin: Origin
    status: SearchState
    created_at: datetime
    phases: dict[SearchState, datetime] = Field(default_factory=dict)
    """When each status was first seen."""
    completed_at: datetime | None = None
    results_count: int | None = None
    error: str | None = None
    has_callback: bool = False
    polls: int = 0
    """How many status polls this search has cost."""
    sandbox: bool = False
    """True when the search ran on the local sandbox, not the real API."""
    rev: int = 0
    """Bumped on every change; lets deliveries tell old news from new."""

    @property
    def is_terminal(self) -> bool:
        """True when completed, failed or expired."""
        return self.status.is_terminal

    @property
    def credit_spent(self) -> bool:
        """The API charges one credit for a completed search that found leads."""
        return self.status is SearchState.COMPLETED and bool(self.results_count)

    @property
    def elapsed_seconds(self) -> float | None:
        """Submission to completion, when done."""
        if self.completed_at is None:
            return None
        return max(0.0, (self.completed_at - self.created_at).total_seconds())

    def to_hash(self) -> dict[str, str]:
        """Flat string fields for ``HSET`` (phases as ``t_<status>``)."""
        fields = {
            "request_id": self.request_id,
            "description": self.description,
            "origin": _ORIGIN.dump_json(self.origin).decode(),
            "status": self.status.value,
            "created_at": _ts(self.created_at),
            "completed_at": _ts(self.completed_at),
            "results_count": "" if self.results_count is None else str(self.results_count),
            "error": self.error or "",
            "has_callback": "1" if self.has_callback else "0",
            "polls": str(self.polls),
            "sandbox": "1" if self.sandbox else "0",
            "rev": str(self.rev),
        }
        for state, at in self.phases.items():
            fields[f"t_{state.value}"] = _ts(at)
        return fields

    @classmethod
    def from_hash(cls, fields: dict[str, str]) -> SearchRecord:
        """Rebuild from ``HGETALL`` (decoded)."""
        seen = [
            (at, SearchState(key[2:]))
            for key, value in fields.items()
            if key.startswith("t_") and (at := _dt(value)) is not None
        ]
        order = list(SearchState)
        seen.sort(key=lambda pair: (pair[0], order.index(pair[1])))
        phases = {state: at for at, state in seen}
        created = _dt(fields.get("created_at"))
        return cls(
            request_id=fields["request_id"],
            description=fields.get("description", ""),
            origin=_ORIGIN.validate_json(fields.get("origin") or '{"kind": "cli"}'),
            status=SearchState(fields["status"]),
            created_at=created or datetime.now(UTC),
            phases=phases,
            completed_at=_dt(fields.get("completed_at")),
            results_count=int(fields["results_count"]) if fields.get("results_count") else None,
            error=fields.get("error") or None,
            has_callback=fields.get("has_callback") == "1",
            polls=int(fields.get("polls") or 0),
            sandbox=fields.get("sandbox") == "1",
            rev=int(fields.get("rev") or 0),
        )


class Delivery(BaseModel):
    """One answer owed to one Slack request, and how far it has got."""

    delivery_id: str
    request_id: str
    origin: SlackOrigin
    created_at: datetime
    parts_posted: int = 0
    """Thread messages already posted: a resumed delivery starts after them."""
    status_shown: str | None = None
    """The state the parent message shows now."""
    done: bool = False

    def to_hash(self) -> dict[str, str]:
        """Flat string fields for ``HSET``."""
        return {
            "delivery_id": self.delivery_id,
            "request_id": self.request_id,
            "origin": self.origin.model_dump_json(),
            "created_at": _ts(self.created_at),
            "parts_posted": str(self.parts_posted),
            "status_shown": self.status_shown or "",
            "done": "1" if self.done else "0",
        }

    @classmethod
    def from_hash(cls, fields: dict[str, str]) -> Delivery:
        """Rebuild from ``HGETALL`` (decoded)."""
        return cls(
            delivery_id=fields["delivery_id"],
            request_id=fields["request_id"],
            origin=SlackOrigin.model_validate(json.loads(fields["origin"])),
            created_at=_dt(fields.get("created_at")) or datetime.now(UTC),
            parts_posted=int(fields.get("parts_posted") or 0),
            status_shown=fields.get("status_shown") or None,
            done=fields.get("done") == "1",
        )
