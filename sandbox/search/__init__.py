"""Relevance search over the sandbox's synthetic posts: a description in, lead results out.

>>> engine = SearchEngine.from_package()
>>> leads = engine.search("CTOs at fintech companies discussing cloud migration", limit=25)

Results are dicts in the Person Leads API's completed-GET result shape, one per author, most
recent first. The engine is pure CPU work and safe to share between threads.
"""

from sandbox.search.engine import DEFAULT_LIMIT, MIN_COVERAGE, MIN_STRICT_AUTHORS, SearchEngine
from sandbox.search.query import Query, TermGroup, parse_description

__all__ = [
    "DEFAULT_LIMIT",
    "MIN_COVERAGE",
    "MIN_STRICT_AUTHORS",
    "Query",
    "SearchEngine",
    "TermGroup",
    "parse_description",
]
