"""The engine's contract: result shape, dedupe, order, cap, immutability, speed, threads."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from sandbox.corpus.store import load_packaged_posts
from sandbox.search import MIN_STRICT_AUTHORS, SearchEngine
from sandbox.search.engine import _BM25
from shared.models import Lead
from tests.sandbox.search.support import make_post

CTO_QUERY = "CTOs at fintech companies discussing cloud migration"
RESULT_KEYS = {"platform", "post_url", "post_content", "post_date", "author", "engagement"}
AUTHOR_KEYS = {"name", "username", "profile_url", "headline", "image_url"}
ENGAGEMENT_KEYS = {"likes", "comments", "shares"}
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def cloud_post(user: str, day: int, extra: str = "") -> dict[str, Any]:
    text = f"Day {day}: our cloud migration to AWS is going well for {user}. {extra}".strip()
    return make_post(user, text, f"2026-11-{day:02d}T09:00:00Z")


def test_results_have_exactly_the_spec_shape(engine: SearchEngine) -> None:
    results = engine.search(CTO_QUERY)
    assert results
    for result in results:
        assert set(result) == RESULT_KEYS
        assert set(result["author"]) == AUTHOR_KEYS
        assert set(result["engagement"]) == ENGAGEMENT_KEYS
        assert result["platform"] in {"linkedin", "twitter"}
        assert ISO_Z.fullmatch(result["post_date"])
        assert all(isinstance(result["engagement"][k], int) for k in ENGAGEMENT_KEYS)
        lead = Lead.model_validate(result)
        assert lead.post_date is not None
        assert lead.author.username


def test_one_lead_per_author_keeping_their_best_post() -> None:
    posts = [
        cloud_post("ada", 3),
        cloud_post("ada", 5, "Cloud migration, cloud migration, AWS migration."),
        cloud_post("ada", 7, "Also: lunch."),
        cloud_post("bob", 4),
    ]
    results = SearchEngine.from_posts(posts).search(CTO_QUERY)
    assert [r["author"]["username"] for r in results] == ["ada", "bob"]
    assert results[0]["post_date"] == "2026-11-05T09:00:00Z"  # ada's most on-topic post


def test_near_identical_posts_by_different_authors_collapse() -> None:
    text = (
        "We finally migrated our core ledger off on-prem servers and onto AWS; the cloud "
        "migration took nine months and the data was the hard part."
    )
    posts = [
        make_post("ada", text, "2026-11-03T09:00:00Z"),
        make_post("bob", "Reposting because this is gold:\n\n" + text, "2026-11-04T09:00:00Z"),
        make_post("cyd", text.upper(), "2026-11-05T09:00:00Z"),
        cloud_post("dee", 6),
    ]
    results = SearchEngine.from_posts(posts).search(CTO_QUERY)
    assert len(results) == 2
    assert results[1]["author"]["username"] in {"ada", "bob", "cyd"}
    assert results[0]["author"]["username"] == "dee"


def test_most_recent_first_and_capped() -> None:
    days = [9, 2, 17, 5, 28, 11, 23, 14]
    posts = [
        make_post(f"user{d}", f"Migrating service {d} of our {d * 7} to Azure; cloud bills, ugh.",
                  f"2026-11-{d:02d}T08:00:00Z")
        for d in days
    ]  # fmt: skip
    engine = SearchEngine.from_posts(posts)
    everything = engine.search(CTO_QUERY, limit=25)
    assert [r["post_date"][8:10] for r in everything] == [f"{d:02d}" for d in sorted(days)[::-1]]
    capped = engine.search(CTO_QUERY, limit=3)
    assert len(capped) == 3
    assert [r["post_date"] for r in capped] == sorted(
        (r["post_date"] for r in capped), reverse=True
    )


def test_shipped_results_are_deduplicated_sorted_and_capped(engine: SearchEngine) -> None:
    for limit in (5, 25):
        results = engine.search("Startup founders discussing fundraising", limit=limit)
        assert len(results) == limit
        authors = [(r["platform"], r["author"]["username"]) for r in results]
        assert len(set(authors)) == len(authors)
        dates = [r["post_date"] for r in results]
        assert dates == sorted(dates, reverse=True)


def cto(user: str, city: str) -> dict[str, Any]:
    text = f"Our cloud migration to AWS is going well, {user} here."
    return make_post(user, text, headline=f"CTO at Ledgerly | {city}")


def test_industry_and_location_filter_when_enough_people_match() -> None:
    posts = [cto(f"berliner{i}", "Berlin, Germany") for i in range(MIN_STRICT_AUTHORS)]
    posts += [cto(f"austinite{i}", "Austin, TX") for i in range(3)]
    leads = SearchEngine.from_posts(posts).search("CTOs in Berlin discussing cloud migration")
    assert sorted(lead["author"]["username"] for lead in leads) == sorted(
        f"berliner{i}" for i in range(MIN_STRICT_AUTHORS)
    )


def test_industry_and_location_only_rank_when_too_few_people_match() -> None:
    posts = [cto("berliner", "Berlin, Germany")]
    posts += [cto(f"austinite{i}", "Austin, TX") for i in range(3)]
    engine = SearchEngine.from_posts(posts)
    leads = engine.search("CTOs in Berlin discussing cloud migration")
    assert len(leads) == 4
    [best] = engine.search("CTOs in Berlin discussing cloud migration", limit=1)
    assert best["author"]["username"] == "berliner"


def test_limit_must_be_positive(engine: SearchEngine) -> None:
    with pytest.raises(ValueError, match="limit"):
        engine.search(CTO_QUERY, limit=0)


def test_dates_are_normalised_to_utc_z() -> None:
    post = make_post("ada", "Our cloud migration to AWS starts today.", "2026-11-03T10:30:00+02:00")
    [result] = SearchEngine.from_posts([post]).search(CTO_QUERY)
    assert result["post_date"] == "2026-11-03T08:30:00Z"


def test_results_are_copies() -> None:
    engine = SearchEngine.from_posts([cloud_post("ada", 3)])
    first = engine.search(CTO_QUERY)[0]
    first["author"]["headline"] = "tampered"
    first["post_content"] = "tampered"
    again = engine.search(CTO_QUERY)[0]
    assert again["author"]["headline"] == "CTO at Ledgerly | Fintech"
    assert "tampered" not in again["post_content"]


def test_malformed_posts_are_rejected_by_index() -> None:
    good = cloud_post("ada", 3)
    bad = {k: v for k, v in good.items() if k != "post_date"}
    with pytest.raises(ValueError, match="post 1"):
        SearchEngine.from_posts([good, bad])


def test_empty_corpus_finds_nothing() -> None:
    assert SearchEngine.from_posts([]).search(CTO_QUERY) == []


def test_from_package_is_cached(engine: SearchEngine) -> None:
    assert SearchEngine.from_package() is engine
    assert len(engine) >= 5000


def test_concurrent_searches_agree_with_sequential_ones(engine: SearchEngine) -> None:
    descriptions = [
        CTO_QUERY,
        "HR professionals talking about employee engagement software",
        "Real estate agents in California looking for CRM solutions",
        "qwzx plorf vrrmb kdjsla",
    ] * 4
    expected = [engine.search(d) for d in descriptions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(engine.search, descriptions))
    assert concurrent == expected


def test_our_bm25_scores_like_rank_bm25() -> None:
    corpus = [["cloud", "migration", "aws"], ["cloud", "cloud", "cost"], ["hiring"], []]
    ours, upstream = _BM25(corpus), BM25Okapi(corpus)
    ids = [0, 1, 2, 3]
    for query in (["cloud"], ["migration", "aws"], ["hiring", "cloud"], ["absent"]):
        assert np.allclose(ours.get_batch_scores(query, ids), upstream.get_batch_scores(query, ids))
        assert np.allclose(ours.get_scores(query), upstream.get_scores(query))


def test_loading_and_searching_the_shipped_corpus_is_fast(engine: SearchEngine) -> None:
    # CPU time, not wall time, so a busy machine does not make this flaky.
    started = time.process_time()
    SearchEngine.from_posts(load_packaged_posts())
    assert time.process_time() - started < 1.5

    timings = []
    for description in [CTO_QUERY, "Startup founders discussing fundraising", "nurses in Texas"]:
        started = time.process_time()
        engine.search(description)
        timings.append(time.process_time() - started)
    assert sorted(timings)[1] < 0.05
