"""The tools end to end, in memory: the official client, the server, a real Redis and the
sandbox API over real HTTP.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from mcp_server.views import RESULT_BYTES, outcome_text
from sandbox.api.clock import ManualClock
from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from shared.client import NyneClient
from shared.runtime import ApiEndpoint, Runtime, open_runtime
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from shared.state.records import Origin
from tests.mcp_server.support import (
    DESCRIPTION,
    OTHER_DESCRIPTION,
    ProgressLog,
    listing_of,
    outcome_of,
    text_of,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

PHASES = ["queued", "pending", "analyzing", "searching", "aggregating", "completed"]


async def searches_made(sandbox: RunningSandbox) -> int:
    usage = await sandbox.usage()
    return int(usage["searches"]["total"])


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_a_search_that_finishes_within_the_wait_returns_its_leads(
    connect: Any, mode: str
) -> None:
    async with connect(mode=mode) as client:
        result = await client.call_tool("search_leads", {"description": DESCRIPTION})

    outcome = outcome_of(result)
    assert outcome.status == "completed"
    assert outcome.finished
    assert outcome.source == "sandbox"
    assert outcome.description == DESCRIPTION
    assert not outcome.reused
    assert outcome.credit_spent
    assert outcome.results_count == 25
    assert outcome.returned == len(outcome.leads) == 10  # the default page
    assert [lead.position for lead in outcome.leads] == list(range(1, 11))
    first = outcome.leads[0]
    assert first.author.name
    assert first.post_text
    assert first.post_url
    assert first.post_url.split("/")[2].endswith(".example")  # synthetic, never real
    assert outcome.truncated
    assert outcome.next_offset == 10
    assert outcome.next_action is not None
    assert f'get_search_status(request_id="{outcome.request_id}", offset=10)' in (
        outcome.next_action
    )
    assert outcome.elapsed_seconds is not None
    assert outcome.elapsed_seconds < 30

    text = text_of(result)
    assert outcome.request_id in text
    assert "sandbox" in text
    assert "untrusted" in text
    assert first.author.name in text
    assert len(text.encode()) < len(json.dumps(result.structured_content).encode())


async def test_a_search_still_running_is_followed_up_with_get_search_status(
    connect: Any, sandbox: RunningSandbox
) -> None:
    sandbox.faults.update({"slow_search": 4})  # about 2 s at speed 200
    async with connect() as client:
        started = time.monotonic()
        first = outcome_of(
            await client.call_tool("search_leads", {"description": DESCRIPTION, "wait_seconds": 0})
        )
        assert time.monotonic() - started < 5
        assert not first.finished
        assert first.status in PHASES[:-1]
        assert first.leads == []
        assert first.results_count is None
        assert first.next_action is not None
        assert f'get_search_status(request_id="{first.request_id}"' in first.next_action

        followed = first
        deadline = time.monotonic() + 30
        while not followed.finished and time.monotonic() < deadline:
            followed = outcome_of(
                await client.call_tool(
                    "get_search_status", {"request_id": first.request_id, "wait_seconds": 1}
                )
            )
    assert followed.status == "completed"
    assert followed.request_id == first.request_id
    assert followed.returned == 10
    assert followed.source == "sandbox"


async def test_wait_seconds_bounds_how_long_search_leads_takes(
    connect: Any, sandbox: RunningSandbox
) -> None:
    sandbox.faults.update({"slow_search": 10_000})  # never finishes during the test
    async with connect() as client:
        started = time.monotonic()
        outcome = outcome_of(
            await client.call_tool("search_leads", {"description": DESCRIPTION, "wait_seconds": 2})
        )
    took = time.monotonic() - started
    assert 2 <= took < 6
    assert not outcome.finished
    assert outcome.elapsed_seconds is not None
    assert outcome.elapsed_seconds >= 2


async def test_progress_is_reported_once_per_phase_in_order(connect: Any) -> None:
    progress = ProgressLog()
    async with connect() as client:
        outcome = outcome_of(
            await client.call_tool(
                "search_leads", {"description": DESCRIPTION}, progress_callback=progress
            )
        )
    assert outcome.status == "completed"
    assert progress.phases[0] == "queued"
    assert progress.phases[-1] == "completed"
    assert progress.events[-1][2] == "completed: 25 leads"
    _assert_in_phase_order(progress)


async def test_progress_follows_every_phase_news_lands_from_another_process(
    connect: Any, settings: Settings
) -> None:
    """Phases found by someone else (the bot's sweep, a callback) reach the waiting call.

    The API runs on a manual clock moved one phase at a time, and each phase is held until
    the call has reported it: on a real clock, one stall of the machine could skip one.
    """
    clock = ManualClock(start=datetime.now(UTC))
    # Limits off: the API's minute never passes on this clock.
    config = SandboxConfig(
        speed=1, phase_seconds=(10.0,) * 5, rate_limit_per_minute=0, rate_limit_per_hour=0
    )
    progress = ProgressLog()
    async with start_sandbox(config, clock=clock) as sandbox:
        api_endpoint = ApiEndpoint(
            sandbox.base_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True
        )
        async with (
            open_runtime(settings, endpoint=api_endpoint) as runtime,
            connect(endpoint_=api_endpoint) as client,
            # Another process, which polls the API and records what it sees in Redis.
            NyneClient(
                api_key=SANDBOX_API_KEY, api_secret=SANDBOX_API_SECRET, base_url=sandbox.base_url
            ) as api,
        ):
            call = asyncio.create_task(
                client.call_tool(
                    "search_leads",
                    {"description": DESCRIPTION, "wait_seconds": 45},
                    progress_callback=progress,
                )
            )
            request_id = await _first_search_id(runtime)
            await wait_until(progress.reported("queued"), message="queued reported")
            for phase in PHASES[1:]:
                clock.advance(10)
                await runtime.service.apply(await api.get_search(request_id), polled=True)
                await wait_until(progress.reported(phase), message=f"{phase} reported")
            outcome = outcome_of(await asyncio.wait_for(call, timeout=30))
    assert outcome.status == "completed"
    assert progress.phases == PHASES
    _assert_in_phase_order(progress)


async def _first_search_id(runtime: Runtime) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        recent = await runtime.service.recent(1)
        if recent:
            return recent[0].request_id
        await asyncio.sleep(0.02)
    raise AssertionError("the search never showed up in Redis")


def _assert_in_phase_order(progress: ProgressLog) -> None:
    positions = [PHASES.index(phase) for phase in progress.phases]
    assert positions == sorted(set(positions)), progress.events  # in order, each once
    values = [value for value, _, _ in progress.events]
    assert values == sorted(set(values))  # progress only ever increases
    assert all(total == len(PHASES) for _, total, _ in progress.events)


async def test_an_identical_search_is_reused_unless_a_new_one_is_asked_for(
    connect: Any, sandbox: RunningSandbox
) -> None:
    async with connect() as client:
        first = outcome_of(await client.call_tool("search_leads", {"description": DESCRIPTION}))
        again = outcome_of(
            await client.call_tool("search_leads", {"description": f"  {DESCRIPTION.upper()} "})
        )
        assert await searches_made(sandbox) == 1
        fresh = outcome_of(
            await client.call_tool("search_leads", {"description": DESCRIPTION, "new_search": True})
        )
    assert again.reused
    assert again.request_id == first.request_id
    assert again.leads == first.leads
    assert "reused" in outcome_text(again)
    assert not fresh.reused
    assert fresh.request_id != first.request_id
    assert await searches_made(sandbox) == 2


async def test_pages_follow_next_offset_to_every_lead_within_the_byte_cap(
    connect: Any,
) -> None:
    async with connect() as client:
        page = outcome_of(
            await client.call_tool("search_leads", {"description": DESCRIPTION, "max_results": 25})
        )
        # 25 leads would pass the byte budget: the page stops early and says so.
        assert 0 < page.returned < 25
        assert page.truncated
        assert len(page.model_dump_json().encode()) <= RESULT_BYTES
        seen = list(page.leads)
        while page.truncated:
            assert page.next_offset == page.offset + page.returned
            assert f"offset={page.next_offset}, max_results=25" in (page.next_action or "")
            result = await client.call_tool(
                "get_search_status",
                {"request_id": page.request_id, "offset": page.next_offset, "max_results": 25},
            )
            page = outcome_of(result)
            assert len(json.dumps(result.structured_content).encode()) <= RESULT_BYTES
            seen.extend(page.leads)
        assert page.next_action is None
        assert [lead.position for lead in seen] == list(range(1, 26))

        small = outcome_of(
            await client.call_tool(
                "get_search_status",
                {"request_id": page.request_id, "max_results": 5, "offset": 20},
            )
        )
        assert [lead.position for lead in small.leads] == [21, 22, 23, 24, 25]
        assert not small.truncated

        small = outcome_of(
            await client.call_tool(
                "get_search_status", {"request_id": page.request_id, "max_results": 5}
            )
        )
        assert small.returned == 5
        assert small.truncated
        assert small.next_offset == 5
        assert "offset=5, max_results=5" in (small.next_action or "")

        past = outcome_of(
            await client.call_tool(
                "get_search_status", {"request_id": page.request_id, "offset": 40}
            )
        )
    assert past.returned == 0
    assert not past.truncated
    assert past.results_count == 25


async def test_list_searches_shows_recent_searches_newest_first(
    connect: Any, sandbox: RunningSandbox
) -> None:
    async with connect() as client:
        empty = listing_of(await client.call_tool("list_searches", {}))
        assert empty.count == 0
        assert empty.next_action is None
        first = outcome_of(await client.call_tool("search_leads", {"description": DESCRIPTION}))
        sandbox.faults.update({"slow_search": 10_000})
        second = outcome_of(
            await client.call_tool(
                "search_leads", {"description": OTHER_DESCRIPTION, "wait_seconds": 0}
            )
        )
        result = await client.call_tool("list_searches", {"limit": 5})
        one = listing_of(await client.call_tool("list_searches", {"limit": 1}))
    listing = listing_of(result)
    assert [item.request_id for item in listing.searches] == [second.request_id, first.request_id]
    assert listing.count == 2
    newest, oldest = listing.searches
    assert not newest.finished
    assert newest.results_count is None
    assert oldest.status == "completed"
    assert oldest.results_count == 25
    assert oldest.description == DESCRIPTION
    assert {item.origin for item in listing.searches} == {"mcp"}
    assert {item.source for item in listing.searches} == {"sandbox"}
    assert [item.request_id for item in one.searches] == [second.request_id]
    text = text_of(result)
    assert first.request_id in text
    assert second.request_id in text


async def test_a_search_started_from_slack_is_visible(connect: Any, runtime: Runtime) -> None:
    slack = Origin(front="slack", team_id="T1", channel_id="C1", user_id="U1")
    submitted = await runtime.service.submit(OTHER_DESCRIPTION, slack)
    request_id = submitted.search.request_id
    async with connect() as client:
        outcome = outcome_of(
            await client.call_tool(
                "get_search_status", {"request_id": request_id, "wait_seconds": 30}
            )
        )
        listing = listing_of(await client.call_tool("list_searches", {}))
    assert outcome.status == "completed"
    assert outcome.description == OTHER_DESCRIPTION
    assert outcome.returned == 10
    assert [(item.request_id, item.origin) for item in listing.searches] == [(request_id, "slack")]


async def test_a_search_unknown_to_redis_is_found_through_the_api(
    connect: Any, sandbox: RunningSandbox
) -> None:
    """E.g. started by a deployment with another Redis but the same API key."""
    async with NyneClient(
        api_key=SANDBOX_API_KEY, api_secret=SANDBOX_API_SECRET, base_url=sandbox.base_url
    ) as api:
        accepted = await api.create_search(DESCRIPTION)
    async with connect() as client:
        outcome = outcome_of(
            await client.call_tool("get_search_status", {"request_id": f" {accepted.request_id} "})
        )
    assert outcome.request_id == accepted.request_id
    assert outcome.status == "completed"
    assert outcome.results_count == 25
    assert outcome.description is None


async def test_a_failed_search_says_so_and_what_to_do(
    connect: Any, sandbox: RunningSandbox
) -> None:
    sandbox.faults.update({"fail_searches": 1})
    async with connect() as client:
        result = await client.call_tool("search_leads", {"description": DESCRIPTION})
    outcome = outcome_of(result)
    assert outcome.status == "failed"
    assert outcome.finished
    assert outcome.error
    assert not outcome.credit_spent
    assert outcome.leads == []
    assert "search_leads" in (outcome.next_action or "")
    assert "failed" in text_of(result)
