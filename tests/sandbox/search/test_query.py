"""Parsing descriptions into field-aware term groups."""

from __future__ import annotations

from sandbox.search.query import Field, parse_description


def groups(description: str) -> dict[str, tuple[tuple[str, ...], Field, bool]]:
    query = parse_description(description)
    return {g.label: (g.tokens, g.field, g.required) for g in query.groups}


def test_spec_example_cto_fintech_cloud_migration() -> None:
    assert groups("CTOs at fintech companies discussing cloud migration") == {
        "role": (("role:cto",), Field.HEADLINE, True),
        "topic": (("topic:cloud_migration",), Field.TEXT, True),
        "industry": (("industry:fintech",), Field.BOTH, False),
    }


def test_spec_example_marketing_directors() -> None:
    parsed = groups("Marketing directors at SaaS companies who are interested in AI tools")
    assert parsed["role"] == (("role:marketing",), Field.HEADLINE, True)
    assert parsed["seniority"] == (("seniority:director",), Field.HEADLINE, True)
    assert parsed["topic"] == (("topic:ai",), Field.TEXT, True)
    assert parsed["industry"] == (("industry:saas",), Field.BOTH, False)


def test_investors_after_the_cue_are_a_topic_not_a_role() -> None:
    parsed = groups("Startup founders discussing fundraising or looking for investors")
    assert parsed["role"][0] == ("role:founder",)
    assert set(parsed["topic"][0]) == {"topic:fundraising", "role:investor"}
    assert "industry" not in parsed  # "startup founder" is one phrase


def test_a_role_named_as_the_topic_is_searched_in_post_text() -> None:
    parsed = groups("founders discussing hiring a CTO")
    assert parsed["role"][0] == ("role:founder",)
    assert parsed["topic"][1] is Field.TEXT
    assert {"topic:hiring", "role:cto"} <= set(parsed["topic"][0])


def test_location_and_synonyms() -> None:
    parsed = groups("Real estate agents in California looking for CRM solutions")
    assert parsed == {
        "role": (("role:realtor",), Field.HEADLINE, True),
        "topic": (("topic:crm",), Field.TEXT, True),
        "location": (("location:california",), Field.BOTH, False),
    }


def test_stop_words_only_is_empty() -> None:
    assert parse_description("the and of with who are").is_empty
    assert parse_description("").is_empty


def test_unknown_words_become_required_when_they_stand_for_the_role_or_topic() -> None:
    parsed = groups("plumbers in Ohio talking about pipes")
    assert parsed["unknown_who"] == (("plumber",), Field.BOTH, True)
    assert parsed["unknown_what"] == (("pipe",), Field.TEXT, True)
    assert parsed["location"][2] is False


def test_unknown_words_are_optional_next_to_known_role_and_topic() -> None:
    query = parse_description("caffeinated CTOs discussing cloud migration")
    free = query.group("free:caffeinated")
    assert free is not None
    assert not free.required


def test_find_leads_is_not_a_seniority() -> None:
    assert "seniority" not in groups("Find leads: CTOs discussing cloud migration")
    assert groups("team leads discussing hiring")["seniority"][0] == ("seniority:lead",)


def test_an_industry_after_the_cue_is_also_the_topic() -> None:
    parsed = groups("VCs investing in AI startups")
    assert parsed["role"][0] == ("role:investor",)
    assert "topic:ai" in parsed["topic"][0]
    parsed = groups("investors talking about fintech")
    assert parsed["topic"] == (("industry:fintech",), Field.TEXT, True)


def test_topic_groups_rank_by_the_description_wording() -> None:
    topic = parse_description("engineers talking about kubernetes").group("topic")
    assert topic is not None
    assert topic.tokens == ("topic:devops",)
    assert topic.boost == ("kubernetes",)
