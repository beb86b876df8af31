"""What Redis remembers about a search and about each answer owed to a person.

A **search** is one API request (one ``request_id``): its description, who first asked,
its status and phase history, and — once done — its results. A **delivery** is one
answer owed to one Slack request: where the parent message is and how much of the
thread was already posted. Identical-search reuse can hang several deliveries on one
search, so a search found once can be answered in several channels.

Both are stored as flat Redis hashes of strings; :meth:`to_hash`/``from_hash`` convert.
"""

from __future__ import annotations

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
    "delivery_id",
    "split_delivery_id",
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


# Origins are stored as short flat fields, not JSON: Redis keeps a hash in its compact
# encoding only while every value is at most 64 bytes, which halves a record's memory.
_ORIGIN_FIELDS = ("team_id", "channel_id", "user_id", "parent_ts", "client")


def _origin_to_fields(origin: SlackOrigin | McpOrigin | CliOrigin) -> dict[str, str]:
    fields: dict[str, str] = {"origin": origin.kind}
    for name in _ORIGIN_FIELDS:
        value = getattr(origin, name, None)
        if value:
            fields[name] = value
    return fields


def _origin_from_fields(fields: dict[str, str]) -> SlackOrigin | McpOrigin | CliOrigin:
    data: dict[str, str] = {"kind": fields.get("origin") or "cli"}
    data |= {name: fields[name] for name in _ORIGIN_FIELDS if fields.get(name)}
    return _ORIGIN.validate_python(data)


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
    deliveries: int = 0
    """How many Slack answers hang on this search (their IDs are ``<request_id>:<n>``)."""

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

    @property
    def delivery_ids(self) -> list[str]:
        """IDs of the Slack answers hanging on this search."""
        return [delivery_id(self.request_id, n) for n in range(1, self.deliveries + 1)]

    def to_hash(self) -> dict[str, str]:
        """Flat string fields for ``HSET``: phases as ``t_<status>``, no description.

        The description is kept under a key of its own: at up to 2000 characters it would
        push the whole hash out of Redis's compact encoding.
        """
        fields = {
            "request_id": self.request_id,
            **_origin_to_fields(self.origin),
            "status": self.status.value,
            "created_at": _ts(self.created_at),
            "polls": str(self.polls),
            "rev": str(self.rev),
            "deliveries": str(self.deliveries),
        }
        optional = {
            "completed_at": _ts(self.completed_at),
            "results_count": "" if self.results_count is None else str(self.results_count),
            "error": self.error or "",
            "has_callback": "1" if self.has_callback else "",
            "sandbox": "1" if self.sandbox else "",
        }
        fields |= {key: value for key, value in optional.items() if value}
        for state, at in self.phases.items():
            fields[f"t_{state.value}"] = _ts(at)
        return fields

    @classmethod
    def from_hash(cls, fields: dict[str, str], description: str) -> SearchRecord:
        """Rebuild from ``HGETALL`` (decoded) and the description."""
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
            description=description,
            origin=_origin_from_fields(fields),
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
            deliveries=int(fields.get("deliveries") or 0),
        )


def delivery_id(request_id: str, number: int) -> str:
    """The ID of the ``number``-th delivery of a search."""
    return f"{request_id}:{number}"


def split_delivery_id(value: str) -> tuple[str, int]:
    """``(request_id, number)`` of a delivery ID; ValueError if it is not one."""
    request_id, _, number = value.rpartition(":")
    if not request_id or not number.isdigit():
        raise ValueError(f"not a delivery ID: {value!r}")
    return request_id, int(number)


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
        """Flat string fields for ``HSET`` (short values: Redis's compact encoding)."""
        fields = {
            **_origin_to_fields(self.origin),
            "created_at": _ts(self.created_at),
            "parts_posted": str(self.parts_posted),
        }
        if self.status_shown:
            fields["status_shown"] = self.status_shown
        if self.done:
            fields["done"] = "1"
        return fields

    @classmethod
    def from_hash(cls, delivery_id: str, fields: dict[str, str]) -> Delivery:
        """Rebuild from its ID and ``HGETALL`` (decoded)."""
        origin = _origin_from_fields(fields)
        if not isinstance(origin, SlackOrigin):
            raise ValueError(f"delivery {delivery_id} has a {origin.kind} origin")
        return cls(
            delivery_id=delivery_id,
            request_id=split_delivery_id(delivery_id)[0],
            origin=origin,
            created_at=_dt(fields.get("created_at")) or datetime.now(UTC),
            parts_posted=int(fields.get("parts_posted") or 0),
            status_shown=fields.get("status_shown") or None,
            done=fields.get("done") == "1",
        )
