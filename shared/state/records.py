"""What Redis remembers about a search.

A **search** is one API request (one ``request_id``): its description, who first asked
(its :class:`Origin`), its status and phase history, and — once done — its results. It is
stored as a flat Redis hash of strings; :meth:`SearchRecord.to_hash`/``from_hash`` convert.
What a front owes the people who asked (a chat answer, say) is the front's own state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.models import SearchStatus

__all__ = ["Origin", "SearchRecord", "SearchState"]


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


class Origin(BaseModel):
    """Who started a search, in the terms of the front that started it.

    The core stores it and hands it back; it never interprets it. Each front fills the
    fields that mean something to it: a chat front its workspace, channel and person, an
    assistant front the client's name, the command line nothing but its name.
    """

    model_config = ConfigDict(frozen=True)

    front: str
    """Which front started the search (a short name the front chooses, e.g. ``"cli"``)."""
    team_id: str | None = None
    """The workspace it was asked in."""
    channel_id: str | None = None
    """The conversation it was asked in."""
    user_id: str | None = None
    """The person who asked."""
    client: str | None = None
    """The program that asked (e.g. an assistant's name)."""
    ref: str | None = None
    """The front's own name for the request (a recorded Slack command's ID), so that a run
    resumed after a crash recognises the search it started as its own, not a reused one."""


def _ts(value: datetime | None) -> str:
    return "" if value is None else f"{value.timestamp():.3f}"


def _dt(value: str | None) -> datetime | None:
    return datetime.fromtimestamp(float(value), UTC) if value else None


# Origins are stored as short flat fields, not JSON: Redis keeps a hash in its compact
# encoding only while every value is at most 64 bytes, which halves a record's memory.
# (The front's name is stored as "origin", as records written before this change have it.)
_ORIGIN_FIELDS = ("team_id", "channel_id", "user_id", "client", "ref")


def _origin_to_fields(origin: Origin) -> dict[str, str]:
    fields: dict[str, str] = {"origin": origin.front}
    for name in _ORIGIN_FIELDS:
        value = getattr(origin, name)
        if value:
            fields[name] = value
    return fields


def _origin_from_fields(fields: dict[str, str]) -> Origin:
    known = {name: fields[name] for name in _ORIGIN_FIELDS if fields.get(name)}
    return Origin(front=fields.get("origin") or "unknown", **known)


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
    spare_polls: int = 0
    """How many of ``polls`` were spare polls: extra checks of an overdue search, made
    from idle budget (``shared/polling.py``); the rest followed the schedule."""
    sandbox: bool = False
    """True when the search ran on the local sandbox, not the real API."""
    rev: int = 0
    """Bumped on every change; lets a front tell old news from new."""

    @property
    def is_terminal(self) -> bool:
        """True when completed, failed or expired."""
        return self.status.is_terminal

    @property
    def scheduled_polls(self) -> int:
        """How many polls followed the poll schedule (its place in it)."""
        return self.polls - self.spare_polls

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
        }
        optional = {
            "completed_at": _ts(self.completed_at),
            "results_count": "" if self.results_count is None else str(self.results_count),
            "error": self.error or "",
            "has_callback": "1" if self.has_callback else "",
            "sandbox": "1" if self.sandbox else "",
            "spare_polls": str(self.spare_polls) if self.spare_polls else "",
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
            spare_polls=int(fields.get("spare_polls") or 0),
            sandbox=fields.get("sandbox") == "1",
            rev=int(fields.get("rev") or 0),
        )
