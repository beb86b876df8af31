"""Near-duplicate detection for post texts (reposts, copy-paste spam, "This 👇" quote-posts).

Two texts are near-duplicates when most of the shorter one's word 3-grams also occur in the
longer one. Containment rather than Jaccard similarity, so a copy with a line added in front
("Reposting because this is gold:") still counts as the same post.
"""

from __future__ import annotations

from sandbox.search.text import tokenize

__all__ = ["NEAR_DUPLICATE_CONTAINMENT", "is_near_duplicate", "shingles"]

NEAR_DUPLICATE_CONTAINMENT = 0.8
"""Share of the shorter text's 3-grams that must occur in the other text."""

_SHINGLE = 3
# Below this many 3-grams a text is too short to compare fuzzily: only identical texts match.
_MIN_FUZZY = 4


def shingles(text: str) -> frozenset[str]:
    """The set of word 3-grams of ``text`` (all its words as one shingle if it has fewer)."""
    words = tokenize(text)
    if len(words) < _SHINGLE:
        return frozenset({" ".join(words)})
    return frozenset(" ".join(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1))


def is_near_duplicate(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two shingle sets (from :func:`shingles`) belong to near-identical texts."""
    smaller = min(len(a), len(b))
    if smaller < _MIN_FUZZY:
        return a == b
    return len(a & b) >= NEAR_DUPLICATE_CONTAINMENT * smaller
