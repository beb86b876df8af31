"""The search engine behind the sandbox: the interface it must offer, and the bundled one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sandbox.search import SearchEngine

__all__ = ["LeadFinder", "load_default_engine", "project_lead"]

# The spec's result fields, in the spec's order. Anything else an engine adds (scores,
# ids) stays inside the sandbox.
_LEAD_FIELDS = ("platform", "post_url", "post_content", "post_date")
_AUTHOR_FIELDS = ("name", "username", "profile_url", "headline", "image_url")
_ENGAGEMENT_FIELDS = ("likes", "comments", "shares")


class LeadFinder(Protocol):
    """What the sandbox needs from a search engine (``sandbox.search.SearchEngine``)."""

    def search(self, description: str, *, limit: int = 25) -> list[dict[str, Any]]:
        """Leads for ``description`` in the completed-GET result shape, best first."""
        ...


def load_default_engine() -> LeadFinder:
    """The engine over the bundled synthetic corpus.

    ``SearchEngine.from_package`` builds it once per process and shares it (it is
    immutable and thread-safe), so every sandbox in a test run reuses the first load.
    """
    engine: LeadFinder = SearchEngine.from_package()
    return engine


def project_lead(result: Mapping[str, Any]) -> dict[str, Any]:
    """One engine result reduced to the spec's fields, in the spec's order."""
    lead = {name: result[name] for name in _LEAD_FIELDS if name in result}
    author = result.get("author")
    if isinstance(author, Mapping):
        lead["author"] = {name: author[name] for name in _AUTHOR_FIELDS if name in author}
    engagement = result.get("engagement")
    if isinstance(engagement, Mapping):
        lead["engagement"] = {
            name: engagement[name] for name in _ENGAGEMENT_FIELDS if name in engagement
        }
    return lead
