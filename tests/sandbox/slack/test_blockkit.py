"""Block Kit limits as Slack enforces them: at each limit accepted, one past it refused.

Each limit is checked twice: on the pure validator, and over real HTTP through slack_sdk's
AsyncWebClient (chat.postMessage), which must see Slack's exact error answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import blocks_text_length, validate_blocks
from tests.sandbox.slack.support import button, section

Blocks = list[dict[str, Any]]


def _fields(n: int) -> Blocks:
    return [{"type": "section", "fields": [{"type": "mrkdwn", "text": f"f{i}"} for i in range(n)]}]


def _context(n: int) -> Blocks:
    return [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * n}]


def _actions(n: int) -> Blocks:
    return [{"type": "actions", "elements": [button("b", f"a{i}") for i in range(n)]}]


def _one_button(**fields: Any) -> Blocks:
    return [{"type": "actions", "elements": [{**button("Open post"), **fields}]}]


#: name → (blocks at size n, the limit n, the error one past it)
LIMITS: dict[str, tuple[Callable[[int], Blocks], int, str]] = {
    "blocks per message": (
        lambda n: [{"type": "divider"}] * n,
        50,
        "no more than 50 items allowed [json-pointer:/blocks]",
    ),
    "section text": (
        lambda n: [section("x" * n)],
        3000,
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ),
    "section fields": (
        _fields,
        10,
        "no more than 10 items allowed [json-pointer:/blocks/0/fields]",
    ),
    "section field text": (
        lambda n: [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * n}]}],
        2000,
        "must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]",
    ),
    "header text": (
        lambda n: [{"type": "header", "text": {"type": "plain_text", "text": "h" * n}}],
        150,
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
    ),
    "context elements": (
        _context,
        10,
        "no more than 10 items allowed [json-pointer:/blocks/0/elements]",
    ),
    "actions elements": (
        _actions,
        25,
        "no more than 25 items allowed [json-pointer:/blocks/0/elements]",
    ),
    "button text": (
        lambda n: _one_button(text={"type": "plain_text", "text": "b" * n}),
        75,
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
    ),
    "button action_id": (
        lambda n: _one_button(action_id="a" * n),
        255,
        "must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]",
    ),
    "button value": (
        lambda n: _one_button(value="v" * n),
        2000,
        "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
    ),
    "button url": (
        lambda n: _one_button(url="https://example.com/" + "p" * (n - len("https://example.com/"))),
        3000,
        "must be less than 3001 characters [json-pointer:/blocks/0/elements/0/url]",
    ),
    "block_id": (
        lambda n: [{"type": "divider", "block_id": "i" * n}],
        255,
        "must be less than 256 characters [json-pointer:/blocks/0/block_id]",
    ),
    "markdown block": (
        lambda n: [{"type": "markdown", "text": "m" * n}],
        12_000,
        "must be less than 12001 characters [json-pointer:/blocks/0/text]",
    ),
}


@pytest.mark.parametrize("name", LIMITS)
def test_validator_accepts_the_limit_and_refuses_one_more(name: str) -> None:
    build, limit, error = LIMITS[name]
    assert validate_blocks(build(limit)) == []
    assert error in validate_blocks(build(limit + 1))


@pytest.mark.parametrize("name", LIMITS)
async def test_slack_answers_each_limit_the_same_way(client: AsyncWebClient, name: str) -> None:
    build, limit, error = LIMITS[name]
    ok = await client.chat_postMessage(channel="C0LEADS", text="fallback", blocks=build(limit))
    assert ok["ok"] is True

    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="C0LEADS", text="fallback", blocks=build(limit + 1))
    answer = refused.value.response
    assert answer.status_code == 200
    assert answer["error"] == "invalid_blocks"
    assert error in answer["errors"]
    assert f"[ERROR] {error}" in answer["response_metadata"]["messages"]


async def test_text_object_errors_read_like_slacks(client: AsyncWebClient) -> None:
    """The shape quoted from real Slack answers: schema mismatch first, then the reason."""
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="C0LEADS", text="t", blocks=[section("x" * 3001)])
    assert refused.value.response.data == {
        "ok": False,
        "error": "invalid_blocks",
        "errors": [
            "failed to match all allowed schemas [json-pointer:/blocks/0/text]",
            "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
        ],
        "response_metadata": {
            "messages": [
                "[ERROR] failed to match all allowed schemas [json-pointer:/blocks/0/text]",
                "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
            ]
        },
    }


async def test_total_text_of_a_message_is_capped(client: AsyncWebClient) -> None:
    """Four full sections (12,000 characters) pass; one more character is msg_blocks_too_long."""
    full = [section("x" * 3000) for _ in range(4)]
    assert blocks_text_length(full) == 12_000
    assert (await client.chat_postMessage(channel="C0LEADS", text="t", blocks=full))["ok"]

    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="C0LEADS", text="t", blocks=[*full, section("y")])
    assert refused.value.response.data == {"ok": False, "error": "msg_blocks_too_long"}


async def test_top_level_text_is_truncated_past_40000_with_a_warning(
    client: AsyncWebClient,
) -> None:
    exact = await client.chat_postMessage(channel="C0LEADS", text="a" * 40_000)
    assert exact["message"]["text"] == "a" * 40_000
    assert "warning" not in exact.data

    long = await client.chat_postMessage(channel="C0LEADS", text="b" * 40_001)
    assert long["ok"] is True
    assert long["message"]["text"] == "b" * 40_000
    assert long["warning"] == "message_truncated"
    assert long["response_metadata"]["warnings"] == ["message_truncated"]
    assert long["response_metadata"]["messages"][0].startswith("[WARN] Your message was truncated")


INVALID: dict[str, tuple[Blocks, str]] = {
    "unknown block type": (
        [{"type": "carousel_of_doom"}],
        "unsupported type: carousel_of_doom [json-pointer:/blocks/0/type]",
    ),
    "section with neither text nor fields": (
        [{"type": "section"}],
        "must define either `text` or `fields` [json-pointer:/blocks/0/type]",
    ),
    "header in mrkdwn": (
        [{"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}],
        "must be a valid enum value [json-pointer:/blocks/0/text/type]",
    ),
    "text object of an unknown type": (
        [{"type": "section", "text": {"type": "markdown", "text": "x"}}],
        "must be a valid enum value [json-pointer:/blocks/0/text/type]",
    ),
    "button label in mrkdwn": (
        [
            {
                "type": "actions",
                "elements": [{**button("b"), "text": {"type": "mrkdwn", "text": "b"}}],
            }
        ],
        "must be a valid enum value [json-pointer:/blocks/0/elements/0/text/type]",
    ),
    "empty section text": (
        [section("")],
        "must be more than 0 characters [json-pointer:/blocks/0/text/text]",
    ),
    "duplicate block_id": (
        [{"type": "divider", "block_id": "same"}, {"type": "divider", "block_id": "same"}],
        "duplicate block_id: same [json-pointer:/blocks/1/block_id]",
    ),
    "duplicate action_id in one block": (
        [{"type": "actions", "elements": [button("a", "claim"), button("b", "claim")]}],
        "duplicate action_id: claim [json-pointer:/blocks/0/elements/1/action_id]",
    ),
    "input block in a message": (
        [{"type": "input", "label": {"type": "plain_text", "text": "l"}, "element": {}}],
        "unsupported type: input [json-pointer:/blocks/0/type]",
    ),
    "image without alt_text": (
        [{"type": "image", "image_url": "https://example.com/a.png"}],
        "missing required field: alt_text [json-pointer:/blocks/0]",
    ),
    "unknown property on a block": (
        [{"type": "divider", "colour": "red"}],
        "invalid additional property [json-pointer:/blocks/0/colour]",
    ),
    "button style": (
        _one_button(style="loud"),
        "must be a valid enum value [json-pointer:/blocks/0/elements/0/style]",
    ),
    "block that is not an object": (
        ["divider"],  # type: ignore[list-item]
        "must provide an object [json-pointer:/blocks/0]",
    ),
    "select in a context block": (
        [{"type": "context", "elements": [{"type": "static_select"}]}],
        "must be a valid enum value [json-pointer:/blocks/0/elements/0/type]",
    ),
}


@pytest.mark.parametrize("name", INVALID)
async def test_invalid_blocks_are_refused_with_reasons(client: AsyncWebClient, name: str) -> None:
    blocks, error = INVALID[name]
    assert error in validate_blocks(blocks)
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="C0LEADS", text="t", blocks=blocks)
    assert refused.value.response["error"] == "invalid_blocks"
    assert error in refused.value.response["errors"]


def test_home_tabs_take_100_blocks_and_input() -> None:
    hundred = [{"type": "divider"}] * 100
    assert validate_blocks(hundred, surface="home") == []
    assert validate_blocks(hundred) == ["no more than 50 items allowed [json-pointer:/blocks]"]
    assert validate_blocks([{"type": "divider"}] * 101, surface="home", pointer="/view/blocks") == [
        "no more than 100 items allowed [json-pointer:/view/blocks]"
    ]


def test_a_realistic_lead_card_is_valid() -> None:
    card = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": "3 leads for “CTOs at fintechs”"},
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*<https://example.com/u/ada|Ada Example>* · CTO"},
            "fields": [
                {"type": "mrkdwn", "text": "*Platform*\nLinkedIn"},
                {"type": "mrkdwn", "text": "*Posted*\n2026-01-14"},
            ],
            "accessory": {
                "type": "image",
                "image_url": "https://example.com/ada.png",
                "alt_text": "Ada",
            },
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "👍 12 · 💬 3 · 🔁 1"}]},
        {
            "type": "actions",
            "elements": [
                button("Open post", "open", url="https://example.com/p/1"),
                button("Claim", "claim", value="lead-1", style="primary"),
                button("Not relevant", "dismiss", value="lead-1"),
            ],
        },
        {"type": "divider"},
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": []}]},
    ]
    assert validate_blocks(card) == []
