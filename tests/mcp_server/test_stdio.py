"""``python -m mcp_server`` over stdio, as a desktop assistant runs it: no key, no Redis.

The child gets an environment with none of the caller's settings and a working directory
without a ``.env``, so it starts the embedded sandbox and the in-process store.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters, stdio_client

from tests.mcp_server.support import (
    DESCRIPTION,
    INITIALIZE,
    ProgressLog,
    child_env,
    outcome_of,
    server_command,
)

pytestmark = pytest.mark.integration


def _params(workdir: Path) -> StdioServerParameters:
    command, *args = server_command()
    return StdioServerParameters(command=command, args=args, env=child_env(), cwd=workdir)


async def test_a_search_over_stdio_with_the_official_client(tmp_path: Path) -> None:
    stderr_path = tmp_path / "stderr.log"
    progress = ProgressLog()
    with stderr_path.open("w") as errlog:
        async with Client(stdio_client(_params(tmp_path), errlog=errlog)) as client:
            tools = (await client.list_tools()).tools
            result = await client.call_tool(
                "search_leads",
                {"description": DESCRIPTION, "wait_seconds": 30},
                progress_callback=progress,
            )
    assert {tool.name for tool in tools} == {
        "search_leads",
        "get_search_status",
        "list_searches",
        "share_to_slack",
        "create_watch",
        "list_watches",
        "delete_watch",
        "get_new_leads",
    }
    outcome = outcome_of(result)
    assert outcome.status == "completed"
    assert outcome.source == "sandbox"
    assert outcome.returned == 10
    assert progress.phases[0] == "queued"
    assert progress.phases[-1] == "completed"
    log = stderr_path.read_text()
    assert "local sandbox" in log  # said at start-up, on stderr
    assert "REDIS_URL is not set" in log


async def _read_message(stdout: asyncio.StreamReader, lines: list[bytes]) -> dict[str, Any]:
    line = await asyncio.wait_for(stdout.readline(), timeout=60)
    assert line, "the server closed stdout"
    lines.append(line)
    message: dict[str, Any] = json.loads(line)  # every line on stdout is protocol
    assert message["jsonrpc"] == "2.0"
    return message


async def test_stdout_carries_only_protocol_and_stdin_eof_stops_the_server(
    tmp_path: Path,
) -> None:
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("wb") as errlog:
        process = await asyncio.create_subprocess_exec(
            *server_command(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=errlog,
            env=child_env(),
            cwd=tmp_path,
        )
    assert process.stdin is not None
    assert process.stdout is not None
    requests = [
        INITIALIZE,
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {
                "name": "search_leads",
                "arguments": {"description": DESCRIPTION, "wait_seconds": 30},
                "_meta": {"progressToken": "p1"},
            },
        },
    ]
    lines: list[bytes] = []
    try:
        process.stdin.write(b"".join(json.dumps(r).encode() + b"\n" for r in requests))
        await process.stdin.drain()
        messages = []
        while True:
            message = await _read_message(process.stdout, lines)
            messages.append(message)
            if message.get("id") == 2:
                break
        process.stdin.close()
        assert await asyncio.wait_for(process.wait(), timeout=15) == 0
        rest = await process.stdout.read()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    for line in rest.splitlines():
        assert json.loads(line)["jsonrpc"] == "2.0"
    init = messages[0]["result"]
    assert init["serverInfo"]["name"] == "leads"
    result = messages[-1]["result"]
    assert result["isError"] is False
    assert result["structuredContent"]["status"] == "completed"
    assert result["structuredContent"]["source"] == "sandbox"
    progress = [m["params"] for m in messages if m.get("method") == "notifications/progress"]
    assert progress
    assert all(p["progressToken"] == "p1" for p in progress)
    assert progress[0]["message"].startswith("queued")
    assert progress[-1]["message"].startswith("completed")
