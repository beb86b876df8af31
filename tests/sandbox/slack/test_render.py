"""Terminal rendering: what a person would read in Slack, with and without ANSI styling."""

from __future__ import annotations

import io

from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import SlackState, render_message, render_thread
from sandbox.slack.render import auto_style
from tests.sandbox.slack.support import button, section

LEAD_CARD = {
    "type": "message",
    "user": "U0LEADSBOT",
    "bot_id": "B0LEADSBOT",
    "ts": "1700000000.000100",
    "text": "1 lead",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Leads for R&D"}},
        section(
            "*<https://example.com/in/ada|Ada Example>* — CTO at Q&amp;A Labs\n"
            "&gt; Moving our &lt;core&gt; ledger to the cloud &amp; loving it. "
            "Asked by <@U0ALICE> in <#C0LEADS>. <!here> <https://example.com/raw>"
        ),
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Platform*\nLinkedIn"},
                {"type": "plain_text", "text": "Posted 2026-01-14"},
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "👍 12 · 💬 3"}]},
        {
            "type": "actions",
            "elements": [
                button("Open post", "open", url="https://example.com/p/1"),
                button("Claim", "claim", style="primary"),
                button("Not relevant", "dismiss"),
            ],
        },
        {"type": "divider"},
    ],
    "edited": {"user": "U0LEADSBOT", "ts": "1700000001.000000"},
}
NAMES = {"U0ALICE": "alice", "U0LEADSBOT": "leads"}


def test_plain_rendering_of_an_escaped_lead_card() -> None:
    shown = render_message(LEAD_CARD, users=NAMES, channels={"C0LEADS": "leads"})
    assert shown == "\n".join(
        [
            "Leads for R&D",
            "═════════════",
            "*Ada Example (https://example.com/in/ada)* — CTO at Q&A Labs",
            "> Moving our <core> ledger to the cloud & loving it. Asked by @alice in #leads."
            " @here https://example.com/raw",
            "  *Platform*",
            "  LinkedIn",
            "  Posted 2026-01-14",
            "👍 12 · 💬 3",
            "[ Open post ]  [ Claim ]  [ Not relevant ]",
            "─" * 40 + " (edited)",
        ]
    )
    assert "\x1b[" not in shown


def test_ansi_rendering_styles_instead_of_marking_up() -> None:
    shown = render_message(LEAD_CARD, users=NAMES, style="ansi")
    assert "\x1b[1m\x1b[4mLeads for R&D\x1b[0m" in shown  # header: bold + underline
    assert "\x1b[1mPlatform\x1b[0m" in shown  # *bold* rendered, asterisks gone
    assert "*Platform*" not in shown
    assert "\x1b[32m[ Claim ]\x1b[0m" in shown  # primary button in green
    assert "═" not in shown


def test_text_only_messages_and_unresolved_ids() -> None:
    shown = render_message({"text": "ping <@U0NOBODY|nobody> and <@U0GHOST> &amp; done"})
    assert shown == "ping @nobody and @U0GHOST & done"


def test_an_escaped_mention_stays_literal_and_double_escaping_shows() -> None:
    assert render_message({"text": "&lt;@U0ALICE&gt;"}, users=NAMES) == "<@U0ALICE>"
    assert render_message({"text": "R&amp;amp;D"}) == "R&amp;D"


def test_auto_style_only_colours_terminals() -> None:
    assert auto_style(io.StringIO()) == "plain"


async def test_thread_rendering(client: AsyncWebClient, state: SlackState) -> None:
    parent = await client.chat_postMessage(
        channel="C0LEADS", text="2 leads", blocks=[section("*2 leads* for <@U0ALICE>")]
    )
    await client.chat_postMessage(channel="C0LEADS", text="Ada &amp; co", thread_ts=parent["ts"])
    await client.files_upload_v2(
        channel="C0LEADS", thread_ts=parent["ts"], content="a,b\n", filename="leads.csv"
    )

    shown = render_thread(state, "C0LEADS", parent["ts"])
    lines = shown.splitlines()
    assert lines[0].startswith("leads [APP]  ")
    assert lines[1] == "*2 leads* for @alice"
    replies = [line for line in lines if line.startswith("    │ ")]
    assert "    │ Ada & co" in replies
    assert "    │ [file: leads.csv, 4 B]" in replies
    assert render_thread(state, "C0LEADS", "1.000001") == ""


def test_rich_text_markdown_and_images() -> None:
    message = {
        "blocks": [
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "text", "text": "Hi "},
                            {"type": "user", "user_id": "U0BOB"},
                        ],
                    },
                    {
                        "type": "rich_text_list",
                        "elements": [
                            {
                                "type": "rich_text_section",
                                "elements": [{"type": "text", "text": "a"}],
                            },
                            {
                                "type": "rich_text_section",
                                "elements": [{"type": "text", "text": "b"}],
                            },
                        ],
                    },
                ],
            },
            {"type": "markdown", "text": "**bold** markdown"},
            {"type": "image", "image_url": "https://example.com/x.png", "alt_text": "chart"},
        ],
        "files": [{"name": "big.csv", "size": 2048}],
    }
    assert render_message(message).splitlines() == [
        "Hi @U0BOB",
        "• a",
        "• b",
        "**bold** markdown",
        "[image: chart]",
        "[file: big.csv, 2.0 KB]",
    ]
