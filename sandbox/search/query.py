"""Turn a plain-English description of people into weighted, field-aware groups of search terms.

A description reads "<who> [at <industry>] [in <location>] <cue> <what>": "CTOs at fintech
companies discussing cloud migration". Words before the first *cue* ("discussing", "talking",
"who", "looking", ...) say who the people are; words after it say what they post about. So a
role named after the cue ("founders discussing hiring a CTO") is searched in the post text,
not in the headline.

Each group is one facet of the description (the role, the topic, the location, ...) holding
synonymous index tokens, any of which satisfies it. The engine requires the *required* groups
(role, seniority, topic) and ranks by all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from sandbox.search.text import STOP_WORDS, tokenize
from sandbox.search.vocabulary import Kind, Match, Vocabulary, vocabulary

__all__ = ["Field", "Query", "TermGroup", "parse_description"]


class Field(Enum):
    """Where in a post a group's terms are looked up."""

    HEADLINE = "headline"
    TEXT = "text"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class TermGroup:
    """One facet of a description: any of ``tokens`` found in ``field`` satisfies it."""

    label: str
    """What the group stands for ("role", "topic", "free:kombucha"); for explanations and tests."""
    tokens: tuple[str, ...]
    """Index tokens: concept ids (``"role:cto"``) or stemmed words."""
    field: Field
    weight: float
    required: bool
    boost: tuple[str, ...] = ()
    """Words to rank by but not to match on: the description's own wording of a topic
    ("kubernetes" in a devops group), so posts saying it literally come first."""


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed description."""

    description: str
    groups: tuple[TermGroup, ...]

    @property
    def is_empty(self) -> bool:
        """True when nothing in the description is searchable (stop words only, or blank)."""
        return not self.groups

    def group(self, label: str) -> TermGroup | None:
        """The group called ``label``, if the description has one."""
        return next((g for g in self.groups if g.label == label), None)


# Why these weights: the role and the topic are what a lead search is *about* (both required);
# seniority narrows the role; industry and location refine the ranking but, being often left
# implicit in a post, do not exclude on their own.
WEIGHTS: dict[str, float] = {
    "role": 3.0,
    "seniority": 2.0,
    "topic": 3.0,
    "industry": 1.5,
    "location": 1.5,
    "unknown_who": 3.0,
    "unknown_what": 3.0,
    "free": 1.0,
}

# Words that end the "who" part of a description and start the "what" part.
CUE_WORDS = frozenset(
    tokenize(
        """discussing discuss discusses discussed talking talk talks about interested
        interest posting posts post tweeting writing write sharing share looking seeking
        investing invest backing
        want wanting wants need needs needing who that regarding exploring explore evaluating
        evaluate considering consider asking ask complaining struggling focused focusing
        building build using adopting implementing planning researching mentioning mention
        curious excited passionate shopping buying"""
    )
)

# Words that say nothing about *which* people in a description (they stay searchable in
# documents, where "software" or "company" is ordinary text).
FILLER_WORDS = frozenset(
    tokenize(
        """people person folks anyone someone somebody everyone professionals individuals
        companies company firms organizations orgs businesses teams team users user
        solutions software tools tool platforms platform apps app services service products
        vendors options alternatives things stuff topics topic
        find show get give list search searching help helping recommend me like similar
        currently recently actively active really mainly especially primarily mostly
        based located working work job jobs title titles role roles position positions
        industry industries sector sectors space field fields area areas world market markets
        related various type types kind kinds level levels
        experienced seasoned aspiring new top best great good successful small large big
        mid sized size fast growing early late recent latest local independent global
        international emerging established potential relevant leading
        linkedin twitter tweets tweet online lately today week weeks month months year years
        currently also"""
    )
)

# "Find leads: CTOs ..." means results, not team leads; "team leads" keeps its meaning.
_LEADS_MEANING_RESULTS = re.compile(r"(?<!team )(?<!tech )\bleads\b", re.IGNORECASE)

_WHO_CONTEXT_KINDS = frozenset({Kind.ROLE, Kind.SENIORITY, Kind.INDUSTRY, Kind.LOCATION})


_FIELDS = {
    "role": Field.HEADLINE,
    "seniority": Field.HEADLINE,
    "topic": Field.TEXT,
    "industry": Field.BOTH,
    "location": Field.BOTH,
}
_REQUIRED = frozenset({"role", "seniority", "topic"})


class _Facets:
    """Concept ids gathered per facet ("role", "topic", ...), plus the topic's own wording."""

    def __init__(self) -> None:
        self.ids: dict[str, list[str]] = {}
        self.topic_words: list[str] = []

    def add(self, facet: str, ids: Iterable[str], words: Sequence[str]) -> None:
        bucket = self.ids.setdefault(facet, [])
        bucket.extend(cid for cid in ids if cid not in bucket)
        if facet == "topic":
            new = (w for w in words if w not in STOP_WORDS and w not in self.topic_words)
            self.topic_words.extend(new)

    def place(self, match: Match, words: Sequence[str], *, in_who: bool, vocab: Vocabulary) -> None:
        """File each concept of ``match`` under its facet, reading it in context."""
        kinds = {vocab.concepts[cid].kind for cid in match.concepts}
        for cid in match.concepts:
            concept = vocab.concepts[cid]
            kind = concept.kind
            if kind in (Kind.INDUSTRY, Kind.LOCATION):
                self.add(kind.value, [cid], words)
                if kind is Kind.INDUSTRY and not in_who:
                    # "VCs investing in fintech": the industry is what their posts are about.
                    self.add("topic", [cid], words)
            elif kind is Kind.TOPIC:
                # A phrase that also names who someone is ("VC") describes the person here,
                # not what they post about.
                if not (in_who and kinds & _WHO_CONTEXT_KINDS):
                    self.add("topic", [cid], words)
            elif in_who:
                self.add(kind.value, [cid], words)
            elif Kind.TOPIC not in kinds:
                # "...discussing hiring a CTO": the role is something the post talks about.
                self.add("topic", [cid, *([concept.as_topic] if concept.as_topic else [])], words)

    def groups(self) -> list[TermGroup]:
        out = []
        for facet, field in _FIELDS.items():
            if ids := self.ids.get(facet):
                boost = tuple(self.topic_words) if facet == "topic" else ()
                required = facet in _REQUIRED
                out.append(TermGroup(facet, tuple(ids), field, WEIGHTS[facet], required, boost))
        return out


def parse_description(description: str, *, vocab: Vocabulary | None = None) -> Query:
    """Parse ``description`` into term groups (see the module docstring)."""
    vocab = vocab or vocabulary()
    tokens = tokenize(_LEADS_MEANING_RESULTS.sub(" ", description))
    matches = vocab.match(tokens)
    covered = {i for m in matches for i in range(m.start, m.end)}
    cue = next(
        (i for i, tok in enumerate(tokens) if tok in CUE_WORDS and i not in covered), len(tokens)
    )

    facets = _Facets()
    for match in matches:
        words = tokens[match.start : match.end]
        facets.place(match, words, in_who=match.start < cue, vocab=vocab)
    groups = facets.groups()

    unknown_who: list[str] = []
    unknown_what: list[str] = []
    for i, tok in enumerate(tokens):
        if i in covered or tok in STOP_WORDS or tok in FILLER_WORDS or tok in CUE_WORDS:
            continue
        target = unknown_who if i < cue else unknown_what
        if tok not in target:
            target.append(tok)

    # Words the vocabulary does not know. With no known role they probably *are* the role
    # ("plumbers in Ohio"), with no known topic they are the topic ("... about kombucha"):
    # then they must match, or a description about plumbers would return every Ohioan.
    # Otherwise they only help the ranking.
    free: list[str] = []
    for label, words, field, known in (
        ("unknown_who", unknown_who, Field.BOTH, "role" in facets.ids),
        ("unknown_what", unknown_what, Field.TEXT, "topic" in facets.ids),
    ):
        if words and not known:
            groups.append(TermGroup(label, tuple(words), field, WEIGHTS[label], required=True))
        else:
            free.extend(w for w in words if w not in free)
    groups += [TermGroup(f"free:{w}", (w,), Field.BOTH, WEIGHTS["free"], False) for w in free]
    return Query(description, tuple(groups))
