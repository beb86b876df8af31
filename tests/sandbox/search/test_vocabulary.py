"""The vocabulary: synonyms meet on one concept, implications broaden documents only."""

from __future__ import annotations

import pytest

from sandbox.search.text import tokenize
from sandbox.search.vocabulary import CONCEPTS, Kind, vocabulary


def concepts_of(text: str) -> set[str]:
    return set(vocabulary().tag(tokenize(text)))


@pytest.mark.parametrize(
    ("left", "right", "concept"),
    [
        ("CTO", "Chief Technology Officer", "role:cto"),
        ("fundraising", "raising our seed round", "topic:fundraising"),
        ("fundraising", "pitching investors", "topic:fundraising"),
        ("fundraising", "closed our Series A", "topic:fundraising"),
        ("HR", "Human Resources", "role:hr"),
        ("HR", "People Ops", "role:hr"),
        ("real estate agent", "Realtor", "role:realtor"),
        ("California", "San Francisco", "location:california"),
        ("California", "Los Angeles, CA", "location:california"),
        ("SaaS", "software-as-a-service", "industry:saas"),
        ("SaaS", "B2B software", "industry:saas"),
        ("cloud migration", "we migrated our ledger to AWS", "topic:cloud_migration"),
        ("AI tools", "ChatGPT", "topic:ai"),
        ("employee engagement", "pulse survey", "topic:employee_engagement"),
    ],
)
def test_synonyms_share_a_concept(left: str, right: str, concept: str) -> None:
    assert concept in concepts_of(left)
    assert concept in concepts_of(right)


def test_longest_phrase_wins() -> None:
    # "real estate agent" is a role, not the industry "real estate" plus a stray "agent".
    matches = vocabulary().match(tokenize("real estate agents"))
    assert [(m.start, m.end, m.concepts) for m in matches] == [(0, 3, ("role:realtor",))]


def test_implications_tag_documents_with_broader_concepts() -> None:
    tags = concepts_of("Chief Marketing Officer | Palo Alto, CA")
    assert {"role:marketing", "seniority:c_level", "location:california", "location:usa"} <= tags


def test_titles_carry_function_and_level() -> None:
    assert {"role:marketing", "seniority:director"} <= concepts_of("Head of Marketing")
    assert {"role:engineering", "seniority:vp"} <= concepts_of("VP of Engineering")


def test_every_concept_is_well_formed() -> None:
    vocab = vocabulary()  # compiling validates implications and phrases
    ids = [concept.id for concept in CONCEPTS]
    assert len(ids) == len(set(ids))
    for concept in CONCEPTS:
        assert concept.kind in Kind
        assert concept.phrases, concept.id
        assert concept.as_topic is None or vocab.concepts[concept.as_topic].kind is Kind.TOPIC
