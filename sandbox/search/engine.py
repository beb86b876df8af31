"""The relevance search engine: field-aware BM25 over concept-tagged posts, then dedupe and recency.

Two BM25 indexes (rank-bm25's ``BM25Okapi``): one over author headlines (who people are) and
one over post texts (what they say). Both hold the plain words *and* the vocabulary's concept
tokens, so synonyms meet. A search

1. parses the description into term groups (:mod:`sandbox.search.query`);
2. keeps the posts that satisfy every required group (role, seniority, topic, or the
   unknown words standing in for them), and also the industry and location when at least
   :data:`MIN_STRICT_AUTHORS` people match those too; a description with no required group
   (only an industry and a place) must instead be covered to :data:`MIN_COVERAGE` of its
   weight. That is the weak-match threshold. Inverted lists find the candidates, so only
   they are scored;
3. scores candidates with BM25, group by group, each group in its own field(s), and ranks
   them by how much of the description they match, then by that score;
4. walks them best first, keeping one post per author and skipping near-duplicate texts,
   until ``limit`` leads are found; and
5. returns those leads most recent first.

An engine is immutable once built, so any number of threads may search it at once.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rank_bm25 import BM25Okapi

from sandbox.corpus.store import Post, load_packaged_posts
from sandbox.search.dedupe import is_near_duplicate, shingles
from sandbox.search.query import Field, Query, TermGroup, parse_description
from sandbox.search.text import STOP_WORDS, tokenize
from sandbox.search.vocabulary import Vocabulary, vocabulary

__all__ = ["DEFAULT_LIMIT", "MIN_COVERAGE", "MIN_STRICT_AUTHORS", "SearchEngine"]

DEFAULT_LIMIT = 25
MIN_COVERAGE = 0.6
"""Share of a description's group weight a post must match when no group is required."""
MIN_STRICT_AUTHORS = 5
"""Industry and location filter (rather than only rank) once this many people match them."""
_NARROWING = frozenset({"industry", "location"})

_AUTHOR_KEYS = ("name", "username", "profile_url", "headline", "image_url")
_ENGAGEMENT_KEYS = ("likes", "comments", "shares")


class _BM25(BM25Okapi):  # type: ignore[misc]  # rank_bm25 ships no type hints
    """rank-bm25's ``BM25Okapi`` (the scoring is entirely its own), indexed faster.

    Upstream counts term frequencies in a pure-Python loop per word and turns ``doc_len`` into
    an array on every ``get_batch_scores`` call; on a 100k-post corpus those dominate. Here
    :class:`collections.Counter` does the counting and ``doc_len`` is an array from the start.
    ``tests/sandbox/search/test_engine.py`` checks the scores equal upstream's (except on
    degenerate corpora, see :meth:`_calc_idf`).
    """

    doc_len: list[int] | NDArray[np.float64]

    def __init__(self, corpus: list[list[str]]) -> None:
        super().__init__(corpus)
        self.doc_len = np.asarray(self.doc_len, dtype=np.float64)

    def _calc_idf(self, nd: dict[str, int]) -> None:
        super()._calc_idf(nd)
        if self.average_idf <= 0:
            # Upstream floors common terms' idf at epsilon × the average idf, which is negative
            # when most terms are in most documents (tiny or uniform corpora): then more
            # mentions would score *lower*. Keep the floor positive.
            for word, idf in self.idf.items():
                if idf <= 0:
                    self.idf[word] = self.epsilon

    def _initialize(self, corpus: list[list[str]]) -> dict[str, int]:
        document_frequency: Counter[str] = Counter()
        lengths: list[int] = []
        for document in corpus:
            frequencies = Counter(document)
            self.doc_freqs.append(frequencies)
            lengths.append(len(document))
            document_frequency.update(frequencies.keys())
        self.doc_len = lengths
        self.corpus_size = len(corpus)
        self.avgdl = sum(lengths) / self.corpus_size
        return dict(document_frequency)


class _FieldIndex:
    """BM25 scores plus an inverted list (token → document ids) for one field."""

    def __init__(self, documents: list[list[str]]) -> None:
        self.size = len(documents)
        # BM25Okapi divides by the corpus' token count; a field with no tokens scores nothing.
        self._bm25 = _BM25(documents) if any(documents) else None
        postings: defaultdict[str, list[int]] = defaultdict(list)
        if self._bm25 is not None:
            # BM25 already counted each document's distinct tokens; reuse them.
            for doc_id, frequencies in enumerate(self._bm25.doc_freqs):
                for token in frequencies:
                    postings[token].append(doc_id)
        self._postings = {tok: np.asarray(ids, dtype=np.intp) for tok, ids in postings.items()}

    def mask(self, tokens: Iterable[str]) -> NDArray[np.bool_]:
        """Documents containing any of ``tokens``."""
        found = np.zeros(self.size, dtype=bool)
        for token in tokens:
            ids = self._postings.get(token)
            if ids is not None:
                found[ids] = True
        return found

    def scores(self, tokens: Sequence[str], doc_ids: NDArray[np.intp]) -> NDArray[np.float64]:
        """BM25 of ``tokens`` (summed) for each of ``doc_ids``."""
        if self._bm25 is None or doc_ids.size == 0:
            return np.zeros(doc_ids.size)
        return np.asarray(self._bm25.get_batch_scores(list(tokens), doc_ids.tolist()))


def _analyze(text: str, vocab: Vocabulary) -> list[str]:
    """Index tokens of a text: its content words plus the concepts it mentions."""
    tokens = tokenize(text)
    return [tok for tok in tokens if tok not in STOP_WORDS] + vocab.tag(tokens)


_CANONICAL_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _utc(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _canonical(post: Mapping[str, Any], index: int) -> tuple[Post, float]:
    """A private copy of ``post`` in exactly the API's result shape (dates as ``...Z``), and
    its time as a POSIX timestamp."""
    try:
        author = post["author"]
        date = post["post_date"]
        when = _utc(date)
        platform, url, content = post["platform"], post["post_url"], post["post_content"]
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"post {index} is not a lead result: {err!r}") from err
    if not isinstance(content, str) or not (author.get("username") or author.get("profile_url")):
        raise ValueError(f"post {index} needs text and an author username or profile_url")
    if not _CANONICAL_DATE.fullmatch(date):
        date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    engagement = post.get("engagement") or {}
    canonical = {
        "platform": platform,
        "post_url": url,
        "post_content": content,
        "post_date": date,
        "author": {key: author.get(key) for key in _AUTHOR_KEYS},
        "engagement": {key: int(engagement.get(key) or 0) for key in _ENGAGEMENT_KEYS},
    }
    return canonical, when.timestamp()


def _copy(post: Post) -> Post:
    """A copy callers may mutate without touching the engine's own posts."""
    return {**post, "author": dict(post["author"]), "engagement": dict(post["engagement"])}


class SearchEngine:
    """Finds leads in a fixed set of posts from a plain-English description of people.

    Build one with :meth:`from_package` (the shipped corpus, cached) or :meth:`from_posts`.
    """

    def __init__(
        self, posts: Sequence[Mapping[str, Any]], *, vocab: Vocabulary | None = None
    ) -> None:
        """Index ``posts`` (lead-shaped dicts). Prefer :meth:`from_posts`/:meth:`from_package`."""
        self._vocab = vocab or vocabulary()
        canonical = [_canonical(p, i) for i, p in enumerate(posts)]
        self._posts: tuple[Post, ...] = tuple(post for post, _ in canonical)
        self._time = np.array([when for _, when in canonical], dtype=np.float64)

        author_ids: dict[tuple[str, str], int] = {}
        headlines: list[list[str]] = []
        post_author = np.empty(len(self._posts), dtype=np.intp)
        for i, post in enumerate(self._posts):
            author = post["author"]
            key = (post["platform"], author["username"] or author["profile_url"])
            if key not in author_ids:
                author_ids[key] = len(author_ids)
                headlines.append(_analyze(author["headline"] or "", self._vocab))
            post_author[i] = author_ids[key]
        self._post_author = post_author
        self._headlines = _FieldIndex(headlines)
        self._texts = _FieldIndex([_analyze(p["post_content"], self._vocab) for p in self._posts])

    @classmethod
    def from_posts(cls, posts: Sequence[Mapping[str, Any]]) -> SearchEngine:
        """An engine over ``posts``, each a dict in the API's lead result shape.

        Raises ``ValueError`` naming the first post that lacks a required field.
        """
        return cls(posts)

    @classmethod
    def from_package(cls) -> SearchEngine:
        """The engine over the corpus shipped in ``sandbox/data`` (built once per process)."""
        with _PACKAGED_LOCK:
            engine = _PACKAGED.get(cls)
            if engine is None:
                engine = _PACKAGED[cls] = cls(load_packaged_posts())
            return engine

    def __len__(self) -> int:
        """Number of posts indexed."""
        return len(self._posts)

    def search(self, description: str, *, limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
        """Leads matching ``description``: one per author, most recent first, at most ``limit``.

        Each lead is a fresh dict in the API's completed-GET result shape. An empty list means
        nothing matched well enough (gibberish, stop words only, or no such people).
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        return self._search(parse_description(description, vocab=self._vocab), limit)

    def _search(self, query: Query, limit: int) -> list[dict[str, Any]]:
        if query.is_empty or not self._posts:
            return []
        masks = [self._group_mask(group) for group in query.groups]
        keep = np.ones(len(self._posts), dtype=bool)
        coverage = np.zeros(len(self._posts))
        for group, mask in zip(query.groups, masks, strict=True):
            if group.required:
                keep &= mask
            coverage += group.weight * mask
        if not any(group.required for group in query.groups):
            # Only soft facets ("people in fintech in California"): most of them must hold.
            keep &= coverage >= MIN_COVERAGE * sum(g.weight for g in query.groups) - 1e-9
        else:
            keep = self._narrow(query, masks, keep)
        candidates = np.flatnonzero(keep)
        if candidates.size == 0:
            return []

        score = np.zeros(candidates.size)
        for group, mask in zip(query.groups, masks, strict=True):
            hit = mask[candidates]
            if hit.any():
                score[hit] += group.weight * self._group_scores(group, candidates[hit])

        # Posts matching more of the description first (a SaaS marketing director beats any
        # marketing director), then by BM25; among equals the more recent post wins.
        ranking = (-self._time[candidates], -score, -coverage[candidates])
        order = candidates[np.lexsort(ranking)]
        chosen = self._select(order, limit)
        chosen.sort(key=lambda i: (-self._time[i], self._posts[i]["post_url"]))
        return [_copy(self._posts[i]) for i in chosen]

    def _narrow(
        self, query: Query, masks: list[NDArray[np.bool_]], keep: NDArray[np.bool_]
    ) -> NDArray[np.bool_]:
        """Also require the industry and location when enough people match them.

        "Real estate agents in California": with a few dozen Californian agents to show, agents
        elsewhere would only dilute the answer; with hardly any, showing similar people (the
        Californians ranked first) beats showing next to none. Unknown extra words never
        narrow, so a wordy description still finds the people it names.
        """
        strict = keep.copy()
        narrowing = False
        for group, mask in zip(query.groups, masks, strict=True):
            if group.label in _NARROWING:
                strict &= mask
                narrowing = True
        if narrowing and np.unique(self._post_author[strict]).size >= MIN_STRICT_AUTHORS:
            return strict
        return keep

    def _group_mask(self, group: TermGroup) -> NDArray[np.bool_]:
        mask = np.zeros(len(self._posts), dtype=bool)
        if group.field in (Field.HEADLINE, Field.BOTH):
            mask |= self._headlines.mask(group.tokens)[self._post_author]
        if group.field in (Field.TEXT, Field.BOTH):
            mask |= self._texts.mask(group.tokens)
        return mask

    def _group_scores(self, group: TermGroup, posts: NDArray[np.intp]) -> NDArray[np.float64]:
        terms = group.tokens + group.boost
        best = np.zeros(posts.size)
        if group.field in (Field.HEADLINE, Field.BOTH):
            authors, inverse = np.unique(self._post_author[posts], return_inverse=True)
            best = np.maximum(best, self._headlines.scores(terms, authors)[inverse])
        if group.field in (Field.TEXT, Field.BOTH):
            best = np.maximum(best, self._texts.scores(terms, posts))
        return best

    def _select(self, ranked: NDArray[np.intp], limit: int) -> list[int]:
        """The best ``limit`` posts with one per author and no near-duplicate texts."""
        chosen: list[int] = []
        authors: set[int] = set()
        seen: list[frozenset[str]] = []
        for index in ranked.tolist():
            author = int(self._post_author[index])
            if author in authors:
                continue
            signature = shingles(self._posts[index]["post_content"])
            if any(is_near_duplicate(signature, other) for other in seen):
                continue
            chosen.append(index)
            authors.add(author)
            seen.append(signature)
            if len(chosen) == limit:
                break
        return chosen


_PACKAGED_LOCK = threading.Lock()
_PACKAGED: dict[type[SearchEngine], SearchEngine] = {}
