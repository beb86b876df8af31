"""Near-duplicate detection of post texts."""

from __future__ import annotations

from sandbox.search.dedupe import is_near_duplicate, shingles

ORIGINAL = (
    "We finally migrated our core ledger off on-prem servers and onto AWS. Every cloud "
    "migration is secretly a data migration."
)


def test_a_repost_with_a_line_in_front_is_a_near_duplicate() -> None:
    copy = "Reposting because this is gold:\n\n" + ORIGINAL
    assert is_near_duplicate(shingles(ORIGINAL), shingles(copy))


def test_case_and_punctuation_do_not_matter() -> None:
    assert is_near_duplicate(shingles(ORIGINAL), shingles(ORIGINAL.upper().replace(".", "!")))


def test_posts_sharing_one_sentence_are_not_duplicates() -> None:
    other = (
        "Every cloud migration is secretly a data migration. Our team spent three months "
        "mapping dependencies, rewriting batch jobs and arguing about egress costs."
    )
    assert not is_near_duplicate(shingles(ORIGINAL), shingles(other))


def test_short_texts_only_match_exactly() -> None:
    assert is_near_duplicate(shingles("Launch day!"), shingles("launch day"))
    assert not is_near_duplicate(shingles("Launch day!"), shingles("Launch week!"))
