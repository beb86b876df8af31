"""The MCP server rides out a Redis restart: no tool call fails, nothing is forgotten.

A real redis-server with an AOF is stopped and started again while a search runs; a tool
called during the outage waits for Redis (up to ~30 s) instead of failing, and the search
submitted before it is followed to its leads afterwards, with no restart of the server.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from pydantic import SecretStr

from sandbox.embedded import RunningSandbox
from tests.mcp_server.support import DESCRIPTION, outcome_of
from tests.support.servers import run_redis_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_a_redis_restart_fails_no_tool_call_and_loses_no_search(
    connect: Any, sandbox: RunningSandbox
) -> None:
    sandbox.faults.update({"slow_search": 4})  # about 2 s at speed 200
    with run_redis_server(appendonly=True) as server:
        async with connect(redis_url=SecretStr(server.url)) as client:
            first = outcome_of(
                await client.call_tool(
                    "search_leads", {"description": DESCRIPTION, "wait_seconds": 0}
                )
            )
            assert not first.finished
            server.stop()
            # Asked while Redis is away: the call waits for it rather than fail.
            during = asyncio.create_task(
                client.call_tool(
                    "get_search_status", {"request_id": first.request_id, "wait_seconds": 0}
                )
            )
            # The outage itself: 2 s of Redis away (what is injected, not a wait for a result).
            await asyncio.sleep(2.0)
            assert not during.done()  # still waiting for Redis, not failed
            await asyncio.to_thread(server.restart)
            assert outcome_of(await during).request_id == first.request_id

            followed = first
            deadline = time.monotonic() + 60
            while not followed.finished and time.monotonic() < deadline:
                followed = outcome_of(
                    await client.call_tool(
                        "get_search_status", {"request_id": first.request_id, "wait_seconds": 5}
                    )
                )
    assert followed.status == "completed"
    assert followed.returned == 10
    usage = await sandbox.usage()
    assert usage["searches"]["total"] == 1  # nothing submitted twice
