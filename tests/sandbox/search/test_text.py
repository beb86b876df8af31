"""Tokenising and stemming: the one normalisation documents and descriptions share."""

from __future__ import annotations

import pytest

from sandbox.search.text import STOP_WORDS, stem, tokenize


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("ctos", "cto"),
        ("directors", "director"),
        ("companies", "company"),
        ("vps", "vp"),
        ("vcs", "vc"),
        ("crms", "crm"),
        ("aws", "aws"),
        ("saas", "saas"),
        ("analysis", "analysis"),
        ("business", "business"),
        ("sales", "sales"),
        ("marketing", "marketing"),
    ],
)
def test_stem_strips_plurals_only(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_tokenize_folds_case_accents_punctuation_and_possessives() -> None:
    assert tokenize("São Paulo's CTOs, buyer’s agents & e-commerce!") == [
        "sao", "paulo", "cto", "buyer", "agent", "e", "commerce",
    ]  # fmt: skip


def test_tokenize_keeps_language_names_and_splits_hashtags() -> None:
    assert tokenize("C++ and C# devs #CloudMigration #AI a+b") == [
        "c++", "and", "c#", "dev", "cloud", "migration", "ai", "a", "b",
    ]  # fmt: skip


def test_tokenize_drops_emoji_and_markup_but_keeps_words() -> None:
    assert tokenize("🚀 <!channel> <@U123> <https://evil.example|click> P&L") == [
        "channel", "u123", "http", "evil", "example", "click", "p", "l",
    ]  # fmt: skip


def test_tokenize_keeps_stop_words_for_phrase_matching() -> None:
    tokens = tokenize("Head of Marketing, Series A")
    assert tokens == ["head", "of", "marketing", "series", "a"]
    assert {"of", "a"} <= STOP_WORDS
