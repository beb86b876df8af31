"""Hostile tool calls through the official MCP client, as one table (issue 14).

Each row says what the caller sees (the tool error's text) and checks that nothing changed:
no search was made at the API, ``list_searches`` lists exactly what it listed before, and
nothing reached Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

from sandbox.embedded import RunningSandbox
from sandbox.slack import DEFAULT_TOKEN
from tests.bot.support import searches_made
from tests.mcp_server.conftest import ClientFactory
from tests.mcp_server.support import DESCRIPTION, error_of, listing_of, outcome_of

pytestmark = pytest.mark.integration

KNOWN = "<the search made before the row>"
"""Stands for the request ID of a real, completed search: the row is refused for its other
argument, not for the ID."""
UNKNOWN_ID = "ab" * 32
MALFORMED_ID = "see the search above!"
UNKNOWN = (f"Unknown request ID {UNKNOWN_ID}", "neither this server nor", "list_searches")
NOT_AN_ID = ("not a request ID", "64 hex characters", "list_searches")
# share_to_slack is enabled (a bot token), so a row reaches the ID check, not "disabled".
SLACK = {"slack_bot_token": SecretStr(DEFAULT_TOKEN)}


@dataclass(frozen=True)
class Row:
    tool: str
    arguments: dict[str, Any]
    says: tuple[str, ...]
    """What the caller reads in the tool error (each part, in the text)."""


def bound(argument: str, bound: str) -> tuple[str, ...]:
    """A refused argument: the error names it and the bound it broke."""
    return (f"\n{argument}\n", f"Input should be {bound}")


ROWS = {
    "wait_seconds=-1": Row(
        "search_leads",
        {"description": DESCRIPTION, "wait_seconds": -1},
        bound("wait_seconds", "greater than or equal to 0"),
    ),
    "wait_seconds=46": Row(
        "search_leads",
        {"description": DESCRIPTION, "wait_seconds": 46},
        bound("wait_seconds", "less than or equal to 45"),
    ),
    'wait_seconds="ten"': Row(
        "search_leads",
        {"description": DESCRIPTION, "wait_seconds": "ten"},
        bound("wait_seconds", "a valid integer"),
    ),
    "max_results=0": Row(
        "get_search_status",
        {"request_id": KNOWN, "max_results": 0},
        bound("max_results", "greater than or equal to 1"),
    ),
    "max_results=26": Row(
        "get_search_status",
        {"request_id": KNOWN, "max_results": 26},
        bound("max_results", "less than or equal to 25"),
    ),
    "offset=-1": Row(
        "get_search_status",
        {"request_id": KNOWN, "offset": -1},
        bound("offset", "greater than or equal to 0"),
    ),
    "list_searches limit=0": Row(
        "list_searches", {"limit": 0}, bound("limit", "greater than or equal to 1")
    ),
    "list_searches limit=51": Row(
        "list_searches", {"limit": 51}, bound("limit", "less than or equal to 50")
    ),
    "status of an unknown ID": Row(
        "get_search_status", {"request_id": UNKNOWN_ID, "wait_seconds": 0}, UNKNOWN
    ),
    "status of a malformed ID": Row("get_search_status", {"request_id": MALFORMED_ID}, NOT_AN_ID),
    "share of an unknown ID": Row(
        "share_to_slack", {"request_id": UNKNOWN_ID, "channel": "#leads"}, UNKNOWN
    ),
    "share of a malformed ID": Row(
        "share_to_slack", {"request_id": MALFORMED_ID, "channel": "#leads"}, NOT_AN_ID
    ),
}


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
async def test_hostile_tool_calls_are_refused_and_change_nothing(
    connect: ClientFactory, sandbox: RunningSandbox, row: Row
) -> None:
    async with connect(**SLACK) as client:
        known = outcome_of(
            await client.call_tool("search_leads", {"description": DESCRIPTION, "wait_seconds": 30})
        )
        assert known.finished
        listed = listing_of(await client.call_tool("list_searches", {"limit": 50}))
        assert [s.request_id for s in listed.searches] == [known.request_id]
        searches = await searches_made(sandbox)
        slack_seq = sandbox.slack.last_seq

        arguments = {k: known.request_id if v == KNOWN else v for k, v in row.arguments.items()}
        text = error_of(await client.call_tool(row.tool, arguments))

        assert await searches_made(sandbox) == searches  # no search was made
        assert listing_of(await client.call_tool("list_searches", {"limit": 50})) == listed
    assert sandbox.slack.last_seq == slack_seq  # nothing reached Slack
    for part in row.says:
        assert part in text, text
    assert "Traceback" not in text
