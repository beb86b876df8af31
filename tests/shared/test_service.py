"""LeadsService end to end: a real redis-server, the sandbox API over real HTTP, a real
callback receiver, and real OS processes racing each other.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.jobs import BackgroundWorker
from sandbox.api.clock import ManualClock
from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from sandbox.launch import embedded_sandbox
from shared.errors import InvalidDescriptionError, LookupLimitError, NotFoundError
from shared.runtime import ApiEndpoint, Runtime, open_runtime
from shared.service import CallbackOutcome, LeadsService
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from shared.state.records import Origin, SearchState
from shared.state.store import StoreTimings
from shared.sweep import Sweeper
from shared.validation import description_fingerprint
from tests.support.state_actor import ASKER, bot_services
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
DESCRIPTION = "CTOs at fintech companies discussing cloud migration"
CLI = Origin(front="cli")
MCP = Origin(front="mcp")

pytestmark = pytest.mark.integration


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    # At speed 200 the spec's 105-second search takes about half a second.
    async with start_sandbox(SandboxConfig(speed=200)) as running:
        yield running


class CallbackReceiver:
    """A real HTTP callback endpoint in front of a service (what the bot serves)."""

    def __init__(self) -> None:
        self.runtime: Runtime | None = None
        self.answers: list[int] = []
        self.app = web.Application()
        self.app.router.add_post("/callbacks/nyne/{token}", self.handle)
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        assert self.runtime is not None
        outcome = await take_callback(
            self.runtime.service, request.match_info["token"], await request.read()
        )
        status = (
            200
            if outcome in (CallbackOutcome.ACCEPTED, CallbackOutcome.DUPLICATE)
            else (outcome.value)
        )
        self.answers.append(status)
        return web.Response(status=status)


async def take_callback(service: LeadsService, token: str, body: bytes) -> CallbackOutcome:
    """What the bot's receiver does: the token first, then the body."""
    request_id = await service.resolve_callback_token(token)
    if request_id is None:
        return CallbackOutcome.UNKNOWN_TOKEN
    return await service.accept_callback(request_id, body)


@pytest.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    receiver = CallbackReceiver()
    runner = web.AppRunner(receiver.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield receiver
    await runner.cleanup()


def endpoint(sandbox: RunningSandbox) -> ApiEndpoint:
    return ApiEndpoint(sandbox.base_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True)


@pytest.fixture
async def runtime(sandbox: RunningSandbox, redis_url: str) -> AsyncIterator[Runtime]:
    settings = Settings(_env_file=None)
    async with open_runtime(settings, endpoint=endpoint(sandbox), redis_url=redis_url) as runtime:
        yield runtime


@pytest.fixture
async def callback_runtime(
    sandbox: RunningSandbox, redis_url: str, receiver: CallbackReceiver
) -> AsyncIterator[Runtime]:
    settings = Settings(_env_file=None)
    async with open_runtime(
        settings, endpoint=endpoint(sandbox), redis_url=redis_url, callback_base_url=receiver.url
    ) as runtime:
        receiver.runtime = runtime
        yield runtime


async def searches_made(sandbox: RunningSandbox) -> int:
    usage = await sandbox.usage()
    return (
        int(usage["searches"]["total"])
        if isinstance(usage["searches"], dict)
        else int(usage["searches"])
    )


async def test_submit_then_wait_completes_by_polling_with_every_phase(runtime: Runtime) -> None:
    result = await runtime.service.submit(DESCRIPTION, CLI)
    assert not result.reused
    seen: list[SearchState] = []
    record = await runtime.service.wait(
        result.search.request_id, timeout=30, on_status=lambda r: seen.append(r.status)
    )
    assert record.status is SearchState.COMPLETED
    assert seen[0] is SearchState.QUEUED
    assert seen[-1] is SearchState.COMPLETED
    assert record.results_count
    assert record.credit_spent
    assert record.sandbox
    assert record.polls <= 3  # a half-second search is seen done by the first poll or two
    results = await runtime.service.results(record.request_id)
    assert len(results) == record.results_count


async def test_a_bad_description_costs_no_request(
    runtime: Runtime, sandbox: RunningSandbox
) -> None:
    with pytest.raises(InvalidDescriptionError):
        await runtime.service.submit("too short", CLI)
    assert await searches_made(sandbox) == 0


async def test_identical_descriptions_reuse_the_search_unless_fresh(
    runtime: Runtime, sandbox: RunningSandbox
) -> None:
    first = await runtime.service.submit(DESCRIPTION, CLI)
    again = await runtime.service.submit(
        "  ctos at FINTECH companies   discussing cloud migration. ", MCP
    )
    assert again.reused
    assert again.search.request_id == first.search.request_id
    assert await searches_made(sandbox) == 1
    fresh = await runtime.service.submit(DESCRIPTION, CLI, fresh=True)
    assert not fresh.reused
    assert fresh.search.request_id != first.search.request_id
    assert await searches_made(sandbox) == 2
    # The fresh search is now the one reused.
    latest = await runtime.service.submit(DESCRIPTION, CLI)
    assert latest.search.request_id == fresh.search.request_id


async def test_concurrent_identical_submissions_make_one_request(
    runtime: Runtime, sandbox: RunningSandbox
) -> None:
    results = await asyncio.gather(*(runtime.service.submit(DESCRIPTION, CLI) for _ in range(6)))
    assert len({r.search.request_id for r in results}) == 1
    assert sum(not r.reused for r in results) == 1
    assert await searches_made(sandbox) == 1


async def test_a_failed_search_is_not_reused(runtime: Runtime, sandbox: RunningSandbox) -> None:
    sandbox.faults.update({"fail_searches": 1})
    failed = await runtime.service.submit(DESCRIPTION, CLI)
    record = await runtime.service.wait(failed.search.request_id, timeout=30)
    assert record.status is SearchState.FAILED
    assert record.error
    assert not record.credit_spent
    retry = await runtime.service.submit(DESCRIPTION, CLI)
    assert not retry.reused


async def test_callback_completes_the_search_without_waiting_for_a_poll(
    callback_runtime: Runtime, receiver: CallbackReceiver, sandbox: RunningSandbox
) -> None:
    service = callback_runtime.service
    result = await service.submit(DESCRIPTION, CLI)
    assert result.search.has_callback
    record = await service.wait(result.search.request_id, timeout=30)
    assert record.status is SearchState.COMPLETED
    assert await wait_until(lambda: receiver.answers, message="the receiver's answer") == [200]
    assert record.polls == 0  # the callback beat the first poll (due after 2 s)


async def test_callbacks_are_checked(callback_runtime: Runtime, sandbox: RunningSandbox) -> None:
    sandbox.faults.update({"drop_callbacks": 1})  # this test plays the API's callbacks itself
    service = callback_runtime.service
    result = await service.submit(DESCRIPTION, CLI)
    rid = result.search.request_id
    token = _token_of(sandbox, rid)
    body = json.dumps(
        {
            "request_id": rid,
            "status": "completed",
            "completed": True,
            "results_count": 0,
            "results": [],
        }
    ).encode()
    other = json.dumps({"request_id": "f" * 64, "status": "completed"}).encode()
    assert await take_callback(service, "not-a-token", body) is CallbackOutcome.UNKNOWN_TOKEN
    assert await take_callback(service, token, b"{not json") is CallbackOutcome.INVALID_BODY
    assert await take_callback(service, token, b'{"status": 3}') is CallbackOutcome.INVALID_BODY
    assert await take_callback(service, token, other) is CallbackOutcome.MISMATCHED_REQUEST
    assert (await service.get(rid)).status is not SearchState.COMPLETED  # type: ignore[union-attr]
    assert await take_callback(service, token, body) is CallbackOutcome.ACCEPTED
    assert await take_callback(service, token, body) is CallbackOutcome.DUPLICATE


def _token_of(sandbox: RunningSandbox, request_id: str) -> str:
    """The callback token of a search, read from the callback URL the API was given.

    (Our store holds only the token's hash.)
    """
    log = sandbox.callbacks(request_id)
    assert log is not None
    url = str(log["callback_url"])
    assert "/callbacks/nyne/" in url
    return url.rsplit("/", 1)[1]


async def test_a_dropped_callback_is_picked_up_by_the_sweep(
    callback_runtime: Runtime, sandbox: RunningSandbox, receiver: CallbackReceiver
) -> None:
    sandbox.faults.update({"drop_callbacks": 1})
    service = callback_runtime.service
    result = await service.submit(DESCRIPTION, CLI)
    sweeper = Sweeper(service)

    async def swept_to_completion() -> bool:
        await sweeper.run_once()
        record = await service.get(result.search.request_id)
        return record is not None and record.is_terminal

    await wait_until(swept_to_completion, timeout=30, message="the sweep to complete the search")
    assert receiver.answers == []
    record = await service.get(result.search.request_id)
    assert record is not None
    assert record.status is SearchState.COMPLETED
    assert record.polls >= 1


async def test_a_search_that_never_finishes_expires_with_a_clear_outcome(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    sandbox.faults.update({"slow_search": 10000})
    settings = Settings(_env_file=None)
    async with open_runtime(
        settings,
        endpoint=endpoint(sandbox),
        redis_url=redis_url,
        timings=StoreTimings(max_pending=1),
    ) as runtime:
        result = await runtime.service.submit(DESCRIPTION, CLI)
        sweeper = Sweeper(runtime.service)

        async def expired() -> bool:
            await sweeper.run_once()
            record = await runtime.service.get(result.search.request_id)
            return record is not None and record.status is SearchState.EXPIRED

        await wait_until(expired, timeout=30, message="the search to expire")
        record = await runtime.service.get(result.search.request_id)
        assert record is not None
        assert "stopped waiting" in (record.error or "")


def actor(*args: str, capture: bool = False) -> subprocess.Popen[str]:
    """Start ``tests/support/state_actor.py`` in its own OS process."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.state_actor", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        text=True,
    )


@pytest.mark.slow
async def test_simultaneous_completions_from_many_processes_deliver_once(
    runtime: Runtime, sandbox: RunningSandbox, redis_url: str
) -> None:
    result = await runtime.service.submit(DESCRIPTION, ASKER.origin)
    rid = result.search.request_id
    async with bot_services(runtime) as services:
        delivery = await services.deliveries.add(rid, asker=ASKER, parent_ts="1.0", reused=False)
    assert delivery is not None
    await wait_until(
        lambda: _api_status_is_completed(runtime, rid), timeout=30, message="API completion"
    )
    processes = [actor("complete", redis_url, sandbox.base_url, rid, "6") for _ in range(6)]
    codes = await asyncio.to_thread(lambda: [p.wait(timeout=60) for p in processes])
    assert codes == [0] * 6
    redis = runtime.connections.redis
    assert await redis.get(f"test:delivered:{rid}") == "1"
    delivery_id = delivery.delivery_id
    assert await redis.get(f"test:posted:{delivery_id}:0") == "1"
    assert await redis.get(f"test:posted:{delivery_id}:1") == "1"


async def _api_status_is_completed(runtime: Runtime, request_id: str) -> bool:
    search = await runtime.client.get_search(request_id)
    return search.status.value == "completed"


@pytest.mark.slow
async def test_a_new_process_resumes_what_a_killed_one_left(
    runtime: Runtime, sandbox: RunningSandbox, redis_url: str
) -> None:
    submitter = actor("submit", redis_url, sandbox.base_url, DESCRIPTION, capture=True)
    assert submitter.stdout is not None
    rid = (await asyncio.to_thread(submitter.stdout.readline)).strip()
    submitter.kill()  # mid-search: submitted and recorded, nothing delivered yet
    submitter.wait(timeout=10)
    submitter.stdout.close()
    assert len(rid) == 64
    record = await runtime.service.get(rid)
    assert record is not None
    assert not record.is_terminal
    successor = actor("sweep", redis_url, sandbox.base_url, rid, "30")
    assert await asyncio.to_thread(successor.wait, 60) == 0
    record = await runtime.service.get(rid)
    assert record is not None
    assert record.status is SearchState.COMPLETED
    assert await runtime.connections.redis.get(f"test:delivered:{rid}") == "1"


@pytest.mark.slow
async def test_a_waiter_wakes_when_another_process_completes_the_search(
    runtime: Runtime, sandbox: RunningSandbox, redis_url: str
) -> None:
    # Polls of this search are far off, so only the cross-process wake-up can end the wait.
    result = await runtime.service.submit(DESCRIPTION, CLI)
    rid = result.search.request_id
    await runtime.store.schedule_poll(rid, time.time() + 3600)
    await wait_until(
        lambda: _api_status_is_completed(runtime, rid), timeout=30, message="API completion"
    )
    waiting = asyncio.create_task(runtime.service.wait(rid, timeout=60))
    await wait_until(lambda: runtime.bus._watchers.get(rid), message="the waiter to subscribe")
    completer = actor("complete", redis_url, sandbox.base_url, rid, "1")
    started = time.monotonic()
    record = await asyncio.wait_for(waiting, timeout=30)
    woke_after = time.monotonic() - started
    await asyncio.to_thread(completer.wait, 30)
    assert record.status is SearchState.COMPLETED
    assert woke_after < 10  # far below the hour-away poll; the benchmark measures precisely


async def test_every_key_has_a_ttl_after_a_full_lifecycle(
    callback_runtime: Runtime, receiver: CallbackReceiver
) -> None:
    service = callback_runtime.service
    async with bot_services(callback_runtime) as services:
        slack = await service.submit(DESCRIPTION, ASKER.origin)
        delivery = await services.deliveries.add(
            slack.search.request_id, asker=ASKER, parent_ts="1.0", reused=False
        )
        assert delivery is not None
        await service.submit(
            "Startup founders discussing fundraising or looking for investors", CLI
        )
        await service.wait(slack.search.request_id, timeout=30)
        redis = callback_runtime.connections.redis
        worker = BackgroundWorker(callback_runtime.connections, services)
        await worker.start()
        # Let the worker deliver and the sweep run at least once.
        await wait_until(
            lambda: _delivered(services.deliveries, delivery.delivery_id), message="the delivery"
        )
        await wait_until(lambda: _swept(redis), message="a sweep pass to set the queue's TTL")
        keys = [key async for key in redis.scan_iter(match="*")]
        assert any(key.startswith("leads:search:") for key in keys)
        assert "leads:jobs" in keys
        await worker.stop()
        assert any(key.startswith("leads:delivery:") for key in keys)
        for key in keys:
            if key.startswith("test:"):  # the counting deliverer's own tallies
                continue
            # -1: no TTL. (-2: gone since the scan — arq deletes its keys as jobs finish.)
            assert await redis.ttl(key) != -1, f"{key} has no TTL"


async def _delivered(deliveries: Any, delivery_id: str) -> bool:
    delivery = await deliveries.get(delivery_id)
    return delivery is not None and delivery.done


async def _swept(redis: Any) -> bool:
    return bool(await redis.exists("leads:jobs")) and await redis.ttl("leads:jobs") > 0


async def test_sweep_passes_never_overlap(runtime: Runtime) -> None:
    result = await runtime.service.submit(DESCRIPTION, CLI)
    await runtime.store.schedule_poll(result.search.request_id, time.time() - 1)  # due now
    store = runtime.store
    held = store.redis.lock(store.keys.sweep_lock, timeout=30, blocking=False)
    assert await held.acquire()  # another worker's pass is running
    assert await Sweeper(runtime.service).run_once() == 0
    await held.release()
    assert await Sweeper(runtime.service).run_once() == 1


async def test_an_unknown_request_id_costs_one_request_then_none(runtime: Runtime) -> None:
    before = await runtime.limiter.usage()
    for _ in range(3):
        with pytest.raises(NotFoundError):
            await runtime.service.lookup("e" * 64, CLI, caller="cli")
    after = await runtime.limiter.usage()
    assert after["60s"] - before["60s"] == 1  # guesses don't drain the shared budget


async def test_processes_with_their_own_sandbox_keep_their_state_apart(redis_url: str) -> None:
    settings = Settings(_env_file=None, redis_url=redis_url, leads_sandbox_speed=200)
    async with (
        embedded_sandbox(True, 200) as first_url,
        embedded_sandbox(True, 200) as second_url,
        open_runtime(settings, sandbox_url=first_url) as first,
        open_runtime(settings, sandbox_url=second_url) as second,
    ):
        assert first.endpoint.sandbox
        assert first.store.keys.prefix.startswith("leads-sandbox-")
        assert first.store.keys.prefix != second.store.keys.prefix
        mine = await first.service.submit(DESCRIPTION, CLI)
        # The other process neither sees nor reuses (nor polls) a search its API never had.
        assert await second.service.get(mine.search.request_id) is None
        theirs = await second.service.submit(DESCRIPTION, CLI)
        assert not theirs.reused
        record = await first.service.wait(mine.search.request_id, timeout=30)
        assert record.status is SearchState.COMPLETED


@pytest.mark.slow
async def test_a_claimant_held_over_a_minute_by_the_limiter_still_gets_reused(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    # A budget of one request a minute: after one spent request, the next submission waits
    # ~61 s in the limiter while holding the claim on its description. An identical request
    # meanwhile must wait for that claim, not take over when the claim would have lapsed
    # (it used to live 60 s while waiters waited 150) and submit a second, billed search.
    settings = Settings(_env_file=None, leads_rate_limit_per_minute=1)
    async with open_runtime(settings, endpoint=endpoint(sandbox), redis_url=redis_url) as runtime:
        with pytest.raises(NotFoundError):
            await runtime.service.lookup(
                "e" * 64, CLI, caller="cli"
            )  # spends the minute's one request
        claimant = asyncio.create_task(runtime.service.submit(DESCRIPTION, CLI))
        await wait_until(
            lambda: _claimed(runtime, DESCRIPTION), message="the first submission to claim"
        )
        started = time.monotonic()
        waiter = await runtime.service.submit(DESCRIPTION, MCP)
        first = await claimant
        assert time.monotonic() - started > 60  # the claimant really was held past a minute
    assert waiter.reused
    assert waiter.search.request_id == first.search.request_id
    assert await searches_made(sandbox) == 1


async def _claimed(runtime: Runtime, description: str) -> bool:
    key = runtime.store.keys.reuse(description_fingerprint(description))
    value = await runtime.connections.redis.get(key)
    return bool(value and value.startswith("claim:"))


async def _api_requests(sandbox: RunningSandbox) -> int:
    """Requests the sandbox API counted in its shortest rate-limit window (all of them, on
    a clock that stands still)."""
    windows = (await sandbox.usage())["rate_limit"].values()
    return int(min(windows, key=lambda w: w["window_seconds"])["used"])


async def test_a_caller_gets_ten_lookups_of_unknown_ids_a_minute(redis_url: str) -> None:
    # On an API clock that stands still, its rate-limit window counts every request made
    # (at speed 200 a real one lasts 0.3 s: a busy machine let requests leave it mid-test).
    async with (
        start_sandbox(SandboxConfig(speed=200), clock=ManualClock()) as sandbox,
        open_runtime(
            Settings(_env_file=None), endpoint=endpoint(sandbox), redis_url=redis_url
        ) as runtime,
    ):
        # Before: remembering unknown IDs stopped repeats, but every fresh random ID spent a
        # request of the budget all fronts share.
        for _ in range(10):
            with pytest.raises(NotFoundError):
                await runtime.service.lookup(secrets.token_hex(32), CLI, caller="slack:T1:U1")
        before = await _api_requests(sandbox)
        with pytest.raises(LookupLimitError) as refused:
            await runtime.service.lookup(secrets.token_hex(32), CLI, caller="slack:T1:U1")
        assert await _api_requests(sandbox) == before  # refused without asking the API
        assert 0 < refused.value.retry_after <= 60
        assert f"try again in {refused.value.retry_after} s" in refused.value.message
        # Another caller is unaffected; known searches and known-unknown IDs cost no lookup.
        with pytest.raises(NotFoundError):
            await runtime.service.lookup(secrets.token_hex(32), CLI, caller="slack:T1:U2")
        assert await _api_requests(sandbox) == before + 1
        known = await runtime.service.submit(DESCRIPTION, CLI)
        record = await runtime.service.lookup(known.search.request_id, CLI, caller="slack:T1:U1")
        assert record.request_id == known.search.request_id
