"""WatchRunner against the sandbox API over real HTTP and a real redis-server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from shared.models import Lead
from shared.runtime import ApiEndpoint, Runtime, open_runtime
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from shared.state.records import Origin, SearchRecord
from shared.watch.runner import Found, RunOutcome, SeenSetDelivery, WatchRunner
from shared.watch.store import Watch

DESCRIPTION = "CTOs at fintech companies discussing cloud migration"

pytestmark = pytest.mark.integration


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with start_sandbox(SandboxConfig(speed=200)) as running:
        yield running


@pytest.fixture
async def runtime(sandbox: RunningSandbox, redis_url: str) -> AsyncIterator[Runtime]:
    endpoint = ApiEndpoint(sandbox.base_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True)
    async with open_runtime(
        Settings(_env_file=None), endpoint=endpoint, redis_url=redis_url
    ) as runtime:
        yield runtime


class Recording(SeenSetDelivery):
    """The channel-less delivery, remembering what it was asked; it can crash once."""

    def __init__(self, runtime: Runtime, *, crash_once: bool = False) -> None:
        super().__init__(runtime.watches)
        self.crash_once = crash_once
        self.paused: list[str] = []

    async def deliver(
        self, watch: Watch, run_id: str, search: SearchRecord, leads: list[Lead]
    ) -> Found:
        found = await super().deliver(watch, run_id, search, leads)
        if self.crash_once:
            self.crash_once = False
            raise ConnectionError("the process died after fixing the new leads")
        return found

    async def tell_paused(self, watch: Watch, reason: str) -> None:
        self.paused.append(reason)


async def run_slot(runtime: Runtime, watch: Watch, delivery: Recording) -> str:
    """Make the watch due, claim its slot and drive the run to its end; the run ID."""
    await runtime.watches.run_now(watch.watch_id)
    [run_id] = await runtime.watches.claim_due(limit=10, recheck=30)
    runner = WatchRunner(runtime.watches, runtime.service)
    for _ in range(50):
        outcome = await runner.run(run_id, delivery)
        if outcome is RunOutcome.DONE:
            return run_id
        assert outcome is RunOutcome.WAITING
        request_id = (await runtime.watches.progress(run_id))["request_id"]
        await runtime.service.wait(request_id, timeout=10)
    raise AssertionError("the run never finished")


async def test_first_run_reports_everything_and_the_next_only_new_people(
    runtime: Runtime, sandbox: RunningSandbox
) -> None:
    watch = await runtime.watches.create(DESCRIPTION, "hourly", Origin(front="mcp"))
    delivery = Recording(runtime)
    first = await run_slot(runtime, watch, delivery)
    leads, cursor = await runtime.watches.new_leads(watch.watch_id, None, limit=500)
    assert leads
    assert {found.run_id for found in leads} == {first}
    shown = await runtime.watches.get(watch.watch_id)
    assert shown is not None
    assert shown.last is not None
    assert (shown.last.status, shown.last.new) == ("found", len(leads))
    assert await runtime.watches.credits(watch.watch_id) == 1
    # The same people again: nothing new is reported, and the run is recorded as such.
    await run_slot(runtime, watch, delivery)
    assert await runtime.watches.new_leads(watch.watch_id, cursor, limit=500) == ([], cursor)
    shown = await runtime.watches.get(watch.watch_id)
    assert shown is not None
    assert shown.last is not None
    assert (shown.last.status, shown.last.new, shown.last.seen) == (
        "nothing_new",
        0,
        len(leads),
    )
    assert await runtime.watches.credits(watch.watch_id) == 2


async def test_a_crash_after_fixing_the_new_leads_reports_them_once(
    runtime: Runtime, sandbox: RunningSandbox
) -> None:
    watch = await runtime.watches.create(DESCRIPTION, "daily", Origin(front="mcp"))
    delivery = Recording(runtime, crash_once=True)
    await runtime.watches.run_now(watch.watch_id)
    [run_id] = await runtime.watches.claim_due(limit=10, recheck=30)
    runner = WatchRunner(runtime.watches, runtime.service)
    assert await runner.run(run_id, delivery) is RunOutcome.WAITING
    await runtime.service.wait((await runtime.watches.progress(run_id))["request_id"], timeout=10)
    with pytest.raises(ConnectionError):
        await runner.run(run_id, delivery)
    # The retry finds the search it submitted and the leads it fixed as new, though they
    # are all in the seen-set by now.
    assert await runner.run(run_id, delivery) is RunOutcome.DONE
    assert await runner.run(run_id, delivery) is RunOutcome.GONE
    leads, _ = await runtime.watches.new_leads(watch.watch_id, None, limit=500)
    assert leads
    assert len({found.cursor for found in leads}) == len(leads)
    assert len({found.lead.author.profile_url for found in leads}) == len(leads)
    usage = await sandbox.usage()
    assert usage["searches"]["total"] == 1


async def test_three_failures_in_a_row_pause_the_watch_and_say_why(
    runtime: Runtime, sandbox: RunningSandbox
) -> None:
    watch = await runtime.watches.create(DESCRIPTION, "hourly", Origin(front="mcp"))
    sandbox.faults.update({"fail_searches": 3})
    delivery = Recording(runtime)
    for _ in range(3):
        await run_slot(runtime, watch, delivery)
    paused = await runtime.watches.get(watch.watch_id)
    assert paused is not None
    assert paused.paused
    assert paused.next_at is None
    assert paused.pause_reason.startswith("3 runs in a row failed; the last: its search failed")
    assert delivery.paused == [paused.pause_reason]  # told once
    assert paused.last is not None
    assert paused.last.status == "failed"


async def test_an_api_refusal_counts_as_a_failure_with_a_reason(
    runtime: Runtime, sandbox: RunningSandbox
) -> None:
    watch = await runtime.watches.create(DESCRIPTION, "daily", Origin(front="mcp"))
    sandbox.faults.update({"fail_requests": 1})  # the submission is answered 500
    await run_slot(runtime, watch, Recording(runtime))
    failed = await runtime.watches.get(watch.watch_id)
    assert failed is not None
    assert failed.last is not None
    assert (failed.last.status, failed.last.note) == ("failed", "the API was unavailable")
    assert failed.failures == 1
    assert not failed.paused
    await run_slot(runtime, watch, Recording(runtime))  # a success resets the count
    recovered = await runtime.watches.get(watch.watch_id)
    assert recovered is not None
    assert recovered.failures == 0
