"""Typed models for every payload of the Person Leads API (pydantic v2).

They parse the spec's own examples verbatim. Unknown fields are kept (``extra="allow"``)
so a new API field never breaks parsing, and every field an example omits is optional.
All datetimes are timezone-aware UTC: the API sends ``created_on`` without a zone
(``2026-01-14T15:30:00``) and ``timestamp`` with ``Z``; both mean UTC.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)

log = logging.getLogger(__name__)

__all__ = [
    "TERMINAL_STATUSES",
    "Author",
    "Engagement",
    "ErrorBody",
    "ErrorDetail",
    "Lead",
    "LeadCallback",
    "Search",
    "SearchAccepted",
    "SearchStatus",
    "SuccessEnvelope",
    "UtcDatetime",
]


def _assume_utc(value: datetime) -> datetime:
    """Zone-less API timestamps are UTC; make every datetime aware."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_assume_utc)]
"""A datetime parsed from ISO 8601, with or without a zone, normalised to aware UTC."""


def _none_as(default: object) -> BeforeValidator:
    """An explicit ``null`` (or empty string) from the API counts as the field's default."""
    return BeforeValidator(lambda value: default if value is None or value == "" else value)


Count = Annotated[int, _none_as(0)]
"""An engagement count; ``null`` reads as 0."""
Text = Annotated[str, _none_as("")]
"""Text that may come as ``null``."""
OptionalUtcDatetime = Annotated[UtcDatetime | None, _none_as(None)]
"""A timestamp that may be missing, ``null`` or empty."""


class SearchStatus(StrEnum):
    """Processing stage of a search, in the order the API moves through them."""

    QUEUED = "queued"
    """Accepted (the 202 answer says this)."""
    PENDING = "pending"
    """Request received, waiting to process."""
    ANALYZING = "analyzing"
    """AI is analysing the search description."""
    SEARCHING = "searching"
    """Executing searches across platforms."""
    AGGREGATING = "aggregating"
    """Collecting and deduplicating results."""
    COMPLETED = "completed"
    """Results ready."""
    FAILED = "failed"
    """Request failed (see the error message)."""

    @property
    def is_terminal(self) -> bool:
        """True once the search will not change any more."""
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({SearchStatus.COMPLETED, SearchStatus.FAILED})


class _APIModel(BaseModel):
    """Base for API payloads: tolerant of unknown fields, immutable once parsed."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Author(_APIModel):
    """Who wrote the post."""

    name: str | None = None
    """Full display name of the author."""
    username: str | None = None
    """Platform username/handle."""
    profile_url: str | None = None
    """URL to the author's profile."""
    headline: str | None = None
    """Author's bio or headline."""
    image_url: str | None = None
    """URL to the author's profile image (absent from callback bodies)."""


class Engagement(_APIModel):
    """Reactions to the post."""

    likes: Count = 0
    """Number of likes/reactions."""
    comments: Count = 0
    """Number of comments."""
    shares: Count = 0
    """Number of shares/reposts."""


class Lead(_APIModel):
    """One result: a post by a person who matches the description."""

    platform: Annotated[str, _none_as("unknown")] = "unknown"
    """Source platform (e.g. "linkedin", "twitter")."""
    post_url: str | None = None
    """Direct URL to the original post."""
    post_content: Text = ""
    """Text content of the post. Untrusted third-party text."""
    post_date: OptionalUtcDatetime = None
    """When the post was created."""
    author: Annotated[Author, _none_as({})] = Field(default_factory=Author)
    engagement: Annotated[Engagement, _none_as({})] = Field(default_factory=Engagement)


def _drop_malformed_leads(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Keep the leads that parse; one malformed lead must not sink a whole search."""
    if value is None:
        return []
    if not isinstance(value, list):
        return handler(value)
    leads: list[Lead] = []
    for item in value:
        try:
            leads.append(Lead.model_validate(item))
        except ValidationError as err:
            log.warning("dropped a malformed lead (%d problems)", err.error_count())
    return leads


Leads = Annotated[list[Lead], WrapValidator(_drop_malformed_leads)]
"""Results: malformed items are dropped (and logged) instead of failing the search."""


def _error_text(value: Any) -> Any:
    """A failure's error may come as a string or as ``{"code", "message"}``; keep the text."""
    if isinstance(value, dict):
        return value.get("message") or value.get("code")
    return value


class SearchAccepted(_APIModel):
    """``data`` of the 202 answer to ``POST /person/leads``."""

    request_id: str
    """64-hex identifier to poll with and to match callbacks."""
    status: SearchStatus = SearchStatus.QUEUED
    message: str | None = None


class Search(_APIModel):
    """``data`` of ``GET /person/leads``: a search's status and, once completed, its results."""

    request_id: str
    status: SearchStatus
    created_on: OptionalUtcDatetime = None
    completed_on: OptionalUtcDatetime = None
    results_count: int | None = None
    results: Leads = Field(default_factory=list)
    error: str | None = None
    """Why the search failed, when it did."""

    _normalise_error = field_validator("error", mode="before")(_error_text)

    @property
    def is_terminal(self) -> bool:
        """True when the search is completed or failed."""
        return self.status.is_terminal


class LeadCallback(_APIModel):
    """The body the API POSTs to ``callback_url`` when a search finishes."""

    request_id: str
    status: SearchStatus
    completed: bool = False
    results_count: int | None = None
    results: Leads = Field(default_factory=list)
    timestamp: UtcDatetime | None = None
    error: str | None = None
    """Why the search failed, when it did."""

    _normalise_error = field_validator("error", mode="before")(_error_text)

    def to_search(self) -> Search:
        """The same outcome as a :class:`Search`, so callbacks and polls are handled alike."""
        return Search(
            request_id=self.request_id,
            status=self.status,
            completed_on=self.timestamp,
            results_count=self.results_count,
            results=self.results,
            error=self.error,
        )


DataT = TypeVar("DataT", bound=BaseModel)


class SuccessEnvelope(_APIModel, Generic[DataT]):
    """Every successful answer: ``{"success": true, "data": ..., "timestamp": ...}``."""

    success: bool = True
    data: DataT
    timestamp: UtcDatetime | None = None


class ErrorDetail(_APIModel):
    """``error`` of an error answer."""

    code: str
    message: str = ""


class ErrorBody(_APIModel):
    """Every error answer: ``{"success": false, "error": {...}, "timestamp": ...}``."""

    success: bool = False
    error: ErrorDetail
    timestamp: UtcDatetime | None = None
