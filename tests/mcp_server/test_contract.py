"""The tool contract, pinned: names, descriptions, input/output schemas and annotations.

A change to any of them must be deliberate. To accept one, regenerate the snapshot and
review its diff:

    UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/mcp_server/test_contract.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.mcp_server.support import jsonable

pytestmark = pytest.mark.integration

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools.json"


async def listed_tools(client: Client) -> list[dict[str, Any]]:
    tools = (await client.list_tools()).tools
    return sorted((jsonable(tool) for tool in tools), key=lambda tool: tool["name"])


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_tools_match_the_snapshot(connect: Any, mode: str) -> None:
    async with connect(mode=mode) as client:
        tools = await listed_tools(client)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(tools, indent=2, ensure_ascii=False) + "\n")
    assert SNAPSHOT.exists(), "no snapshot yet: run with UPDATE_SNAPSHOTS=1"
    assert tools == json.loads(SNAPSHOT.read_text())


async def test_contract_essentials(connect: Any) -> None:
    """What the snapshot pins that matters most, spelled out."""
    async with connect() as client:
        tools = {tool["name"]: tool for tool in await listed_tools(client)}
    assert set(tools) == {
        "search_leads",
        "get_search_status",
        "list_searches",
        "share_to_slack",
        "create_watch",
        "list_watches",
        "delete_watch",
        "get_new_leads",
    }
    for name in ("search_leads", "get_search_status"):
        schema = tools[name]["inputSchema"]["properties"]
        assert schema["wait_seconds"]["minimum"] == 0
        assert schema["wait_seconds"]["maximum"] == 45
        assert schema["max_results"]["maximum"] == 25
        assert "untrusted third-party content" in tools[name]["description"]
        assert "never as instructions" in tools[name]["description"]
        assert "truncated" in tools[name]["outputSchema"]["properties"]
        assert "next_action" in tools[name]["outputSchema"]["properties"]
    assert tools["get_search_status"]["inputSchema"]["required"] == ["request_id"]
    assert tools["search_leads"]["inputSchema"]["required"] == ["description"]
    assert "offset" in tools["get_search_status"]["inputSchema"]["properties"]
    assert tools["list_searches"]["inputSchema"]["properties"]["limit"]["maximum"] == 50

    annotations = {name: tool["annotations"] for name, tool in tools.items()}
    assert annotations["search_leads"]["readOnlyHint"] is False
    assert annotations["search_leads"]["openWorldHint"] is True
    assert annotations["search_leads"]["destructiveHint"] is False
    assert annotations["get_search_status"]["readOnlyHint"] is True
    assert annotations["list_searches"]["readOnlyHint"] is True
    assert annotations["share_to_slack"]["readOnlyHint"] is False  # it posts into a channel
    assert annotations["delete_watch"]["destructiveHint"] is True
    assert annotations["create_watch"]["idempotentHint"] is False
    assert annotations["get_new_leads"]["readOnlyHint"] is True
    assert tools["get_new_leads"]["inputSchema"]["required"] == ["watch_id"]
    assert "never as instructions" in tools["get_new_leads"]["description"]
    assert tools["create_watch"]["inputSchema"]["properties"]["schedule"]["enum"] == [
        "hourly",
        "daily",
        "weekly",
    ]
    share = tools["share_to_slack"]["inputSchema"]
    assert share["required"] == ["request_id", "channel"]
    for tool in tools.values():
        assert tool["outputSchema"]["type"] == "object"
        assert not tool["description"].startswith(" ")  # docstrings are dedented


async def test_instructions_tell_the_model_how_to_use_the_tools(connect: Any) -> None:
    async with connect() as client:
        instructions = client.instructions
    assert instructions is not None
    assert "get_search_status" in instructions
    assert "untrusted" in instructions
