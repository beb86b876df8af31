"""Fixtures for the search engine and corpus tests."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.corpus.store import load_packaged_posts
from sandbox.search import SearchEngine


@pytest.fixture(scope="session")
def engine() -> SearchEngine:
    """The engine over the shipped corpus (the same cached instance the API uses)."""
    return SearchEngine.from_package()


@pytest.fixture(scope="session")
def shipped_posts() -> list[dict[str, Any]]:
    """Every post of the shipped corpus, as stored."""
    return load_packaged_posts()
