"""Relevance on the shipped corpus, judged by rule over headline and post text (no fixed ids).

Each rule is the plain reading of a description: the headline names the role, the post names
the topic. The keyword lists are written here, independently of the engine's vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from sandbox.search import SearchEngine
from sandbox.search.dedupe import is_near_duplicate, shingles


def words(alternatives: str) -> re.Pattern[str]:
    """Case-insensitive ``a|b|c`` matched at a word start."""
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})", re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    """A description and what a lead for it plainly looks like."""

    description: str
    role: tuple[re.Pattern[str], ...]
    """All must occur in the headline."""
    topic: tuple[re.Pattern[str], ...]
    """All must occur in the post text."""

    def matches(self, lead: dict[str, Any]) -> bool:
        headline, text = lead["author"]["headline"], lead["post_content"]
        in_headline = all(p.search(headline) for p in self.role)
        return in_headline and all(p.search(text) for p in self.topic)


AI = words(
    r"ai\b|a\.i\.|artificial intelligence|gen ?ai|generative ai|llms?\b|chatgpt|gpt|copilot|"
    r"claude|gemini|perplexity|cursor|machine learning|ml\b"
)

SPEC_EXAMPLES = [
    Rule(
        "Marketing directors at SaaS companies who are interested in AI tools",
        role=(words("marketing|demand gen|cmo"), words(r"director|head of|vp\b|chief|cmo")),
        topic=(AI,),
    ),
    Rule(
        "Startup founders discussing fundraising or looking for investors",
        role=(words("founder|co-founder|cofounder"),),
        topic=(
            words(
                r"fundrais|investor|vcs?\b|seed|series [abc]\b|term sheet|pitch deck|cap table|"
                r"valuation|runway|angels?\b|raised|raising"
            ),
        ),
    ),
    Rule(
        "HR professionals talking about employee engagement software",
        role=(
            words(
                r"hr\b|human resources|people ops|people operations|people & culture|"
                r"head of people|vp (?:of )?people|director of people|chief people officer|"
                r"chro|hrbp"
            ),
        ),
        topic=(
            words(
                r"employee engagement|engagement (?:survey|score|platform|tool|software)|"
                r"pulse survey|enps|morale|employee experience|recognition|stay interview"
            ),
        ),
    ),
    Rule(
        "Real estate agents in California looking for CRM solutions",
        role=(words("real estate|realtor|broker|listing agent|buyer's agent"),),
        topic=(
            words(r"crms?\b|salesforce|hubspot|follow up boss|pipedrive|kvcore|liondesk|lofty"),
        ),
    ),
    Rule(
        "CTOs at fintech companies discussing cloud migration",
        role=(words(r"cto\b|chief technology officer"),),
        topic=(
            words("cloud|aws|azure|gcp"),
            words(
                "migrat|lift-and-shift|on-prem|data center|cutover|decommission|moving off|"
                "moved off|moving everything"
            ),
        ),
    ),
]

OTHER_DESCRIPTIONS = [
    Rule(
        "Marketing managers at e-commerce companies interested in email automation",
        role=(words("marketing|demand gen"), words("manager")),
        topic=(words("email|newsletter|marketing automation|drip|nurture|open rate|sequence"),),
    ),
    Rule(
        "software engineers talking about kubernetes",
        role=(words(r"engineer|developer|sre\b|cto\b|engineering|chief technology officer"),),
        topic=(
            words(
                "kubernetes|k8s|docker|terraform|devops|ci/cd|deploy|observability|on[- ]call|"
                "postmortem|incident|platform engineering|infrastructure as code"
            ),
        ),
    ),
    Rule(
        "recruiters talking about hiring",
        role=(words("recruit|talent|sourcer"),),
        topic=(words("hir|recruit|interview|candidate|open role|headcount"),),
    ),
    Rule(
        "VCs investing in AI startups",
        role=(words(r"investor|partner\b|principal|vc\b|venture|associate"),),
        topic=(AI,),
    ),
]

NOTHING_IRRELEVANT = [
    Rule(
        "nurses in Texas talking about burnout",
        role=(words(r"nurs|rn\b|bsn"),),
        topic=(
            words(
                "burn|exhaust|understaff|short-staffed|mental health|fatigue|wellbeing|"
                "well-being|overworked"
            ),
        ),
    ),
    Rule(
        "CISOs worried about ransomware",
        role=(words("ciso|chief information security officer"),),
        topic=(
            words(
                r"ransomware|phishing|zero trust|soc 2|mfa|breach|vulnerab|threat|cve\b|security"
            ),
        ),
    ),
]

CALIFORNIAN = words(
    r"california|ca\b|san francisco|los angeles|san diego|san jose|oakland|palo alto|sacramento|"
    r"irvine|santa monica|fresno|pasadena"
)


def in_california(lead: dict[str, Any]) -> bool:
    return bool(CALIFORNIAN.search(lead["author"]["headline"] + " " + lead["post_content"]))


def share_matching(rule: Rule, leads: list[dict[str, Any]]) -> float:
    return sum(rule.matches(lead) for lead in leads) / len(leads)


@pytest.mark.parametrize("rule", SPEC_EXAMPLES, ids=lambda r: r.description[:40])
def test_spec_examples_find_relevant_leads(engine: SearchEngine, rule: Rule) -> None:
    leads = engine.search(rule.description)
    assert 15 <= len(leads) <= 25
    unmatched = [lead["author"]["headline"] for lead in leads if not rule.matches(lead)]
    assert share_matching(rule, leads) >= 0.7, unmatched


@pytest.mark.parametrize("rule", OTHER_DESCRIPTIONS, ids=lambda r: r.description[:40])
def test_other_descriptions_find_relevant_leads(engine: SearchEngine, rule: Rule) -> None:
    leads = engine.search(rule.description)
    assert len(leads) >= 5
    assert share_matching(rule, leads) >= 0.7


@pytest.mark.parametrize("rule", NOTHING_IRRELEVANT, ids=lambda r: r.description[:40])
def test_narrow_descriptions_return_nothing_irrelevant(engine: SearchEngine, rule: Rule) -> None:
    leads = engine.search(rule.description)
    assert [lead for lead in leads if not rule.matches(lead)] == []


def test_a_location_with_enough_matches_filters(engine: SearchEngine) -> None:
    leads = engine.search("Real estate agents in California looking for CRM solutions")
    assert len(leads) >= 5
    assert all(map(in_california, leads))


def test_a_long_wordy_description_still_finds_the_people_it_names(engine: SearchEngine) -> None:
    rule = SPEC_EXAMPLES[-1]
    wordy = (
        "I would really love to find CTOs at fintech companies, ideally ones with strong "
        "opinions on vendor lock-in, egress pricing and multi-region failover, who are "
        "discussing cloud migration or planning one for next year's budget cycle."
    )
    leads = engine.search(wordy)
    assert len(leads) >= 15
    assert share_matching(rule, leads) >= 0.7


def test_an_industry_and_a_place_alone_must_both_hold(engine: SearchEngine) -> None:
    fintech = words("fintech|payment|embedded finance|neobank")
    leads = engine.search("people in fintech in California")
    assert len(leads) >= 5
    for lead in leads:
        assert fintech.search(lead["author"]["headline"] + " " + lead["post_content"])
        assert in_california(lead)


@pytest.mark.parametrize(
    "description",
    [
        "qwzx plorf vrrmb kdjsla",
        "the and of with who are",
        "   ",
        "plumbers in Ohio talking about pipes",
        "founders talking about kombucha",
        "astronauts discussing orbital mechanics",
    ],
)
def test_gibberish_stop_words_and_absent_people_find_nothing(
    engine: SearchEngine, description: str
) -> None:
    assert engine.search(description) == []


@pytest.mark.parametrize("rule", SPEC_EXAMPLES, ids=lambda r: r.description[:40])
def test_results_hold_no_near_duplicate_texts(engine: SearchEngine, rule: Rule) -> None:
    texts = [lead["post_content"] for lead in engine.search(rule.description)]
    signatures = [shingles(text) for text in texts]
    for i, first in enumerate(signatures):
        for second in signatures[i + 1 :]:
            assert not is_near_duplicate(first, second)
    normalized = [" ".join(re.findall(r"[a-z0-9]+", text.lower())) for text in texts]
    assert len(set(normalized)) == len(normalized)
