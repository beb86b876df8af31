"""Callbacks over real HTTP: the spec's body, the retry schedule, timeouts, failed searches
and the callback faults, received by a small aiohttp server started in the test."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from sandbox.embedded import RunningSandbox
from shared.models import LeadCallback, SearchStatus
from tests.support.sandbox_api import (
    CallbackReceiver,
    SteppedClock,
    callback_receiver,
    submit,
    wait_for_terminal,
)
from tests.support.waiting import wait_until

StartSandbox = Callable[..., AbstractAsyncContextManager[RunningSandbox]]
SpecExample = Callable[[str], dict[str, Any]]
AUTH = {"X-API-Key": "sandbox-key", "X-API-Secret": "sandbox-secret"}
DESCRIPTION = "Startup founders discussing fundraising or looking for investors"


def key_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: key_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        merged: dict[str, Any] = {}
        for item in value:
            merged.update(key_tree(item))
        return [merged]
    return "leaf"


async def callback_log(
    http: httpx.AsyncClient, request_id: str, *, state: str | None = None, timeout: float = 10
) -> dict[str, Any]:
    """``GET /sandbox/callbacks?request_id=``, waiting until it reaches ``state``."""

    async def reached() -> dict[str, Any]:  # empty (falsy) until it reaches ``state``
        response = await http.get("/sandbox/callbacks", params={"request_id": request_id})
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data if state is None or data["state"] == state else {}

    return await wait_until(reached, timeout=timeout, interval=0.01)


async def test_callback_body_is_the_spec_example_shape(
    patient: httpx.AsyncClient, receiver: CallbackReceiver, spec_example: SpecExample
) -> None:
    request_id = await submit(patient, DESCRIPTION, callback_url=receiver.url)
    [received] = await receiver.wait_for(1)
    body = received.body
    assert key_tree(body) == key_tree(spec_example("callback"))
    assert received.headers["Content-Type"] == "application/json"
    callback = LeadCallback.model_validate(body)
    assert callback.request_id == request_id
    assert callback.status is SearchStatus.COMPLETED
    assert callback.completed is True
    assert callback.results_count == len(callback.results) == 3
    assert all("image_url" not in lead["author"] for lead in body["results"])
    # The same leads as the GET, minus the images.
    polled = (await wait_for_terminal(patient, request_id))["data"]
    for lead in polled["results"]:
        del lead["author"]["image_url"]
    assert body["results"] == polled["results"]
    assert body["timestamp"] == polled["completed_on"] + "Z"
    log = await callback_log(patient, request_id, state="delivered")
    assert [attempt["status"] for attempt in log["attempts"]] == [200]
    assert log["callback_url"] == receiver.url


async def test_retry_schedule_is_1_5_15_60_300_scaled(start: StartSandbox) -> None:
    """Over real HTTP, on a manual clock: every attempt is a real POST, but the waits
    between them are the clock's, so the scaled schedule is checked exactly however busy
    the machine is."""
    speed = 200.0
    clock = SteppedClock()
    # Short phases: this test is about what happens after the search.
    async with (
        start(speed=speed, clock=clock, phase_seconds=(1.0,) * 5) as sandbox,
        httpx.AsyncClient(base_url=sandbox.base_url, headers=AUTH) as http,
        callback_receiver(statuses=[500] * 20) as receiver,
    ):
        request_id = await submit(http, DESCRIPTION, callback_url=receiver.url)
        dispatcher = sandbox.service.callbacks
        await run_clock_until_idle(clock, lambda: dispatcher.pending == 0)
        log = await callback_log(http, request_id, state="failed")
        attempts = log["attempts"]
        assert len(attempts) == 6 == len(receiver.received)  # 1 attempt + 5 retries, no more
        assert all(attempt["status"] == 500 for attempt in attempts)
        # The first attempt when the search finished; then each retry its delay later.
        starts = [attempt["started"] for attempt in attempts]
        delays = [seconds / speed for seconds in (1, 5, 15, 60, 300)]
        expected = list(itertools.accumulate(delays, initial=5 * 1.0 / speed))
        assert starts == pytest.approx(expected, abs=1e-6), (starts, expected)
        assert receiver.received[0].body == receiver.received[-1].body
        # Nothing more comes after giving up: no delivery left, nothing asleep on the clock.
        assert clock.next_deadline is None


async def run_clock_until_idle(clock: SteppedClock, done: Callable[[], bool]) -> None:
    """Jump ``clock`` to each sleeper's deadline in turn until ``done()``.

    Between jumps, wait (in real time, with a deadline) for the woken task to finish its
    real HTTP attempt and go back to sleep on the clock, or to be done.
    """

    async def woken_work_settled() -> bool:
        return done() or clock.next_deadline is not None

    for _ in range(100):  # a bound, should a sleeper keep coming back
        await wait_until(woken_work_settled)
        deadline = clock.next_deadline
        if done() or deadline is None:
            return
        clock.advance(deadline - clock.monotonic())
    raise AssertionError("the clock never went idle")


async def test_retries_stop_at_the_first_2xx(
    patient: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    receiver.statuses.extend([500, 404, 201])
    request_id = await submit(patient, DESCRIPTION, callback_url=receiver.url)
    log = await callback_log(patient, request_id, state="delivered")
    assert [attempt["status"] for attempt in log["attempts"]] == [500, 404, 201]
    assert len(receiver.received) == 3


async def test_timeout_is_30_seconds_scaled_then_retried(start: StartSandbox) -> None:
    speed = 200.0
    async with (
        start(speed=speed) as sandbox,
        httpx.AsyncClient(base_url=sandbox.base_url, headers=AUTH) as http,
        callback_receiver(hang_first=1) as receiver,
    ):
        request_id = await submit(http, DESCRIPTION, callback_url=receiver.url)
        log = await callback_log(http, request_id, state="delivered")
        first, second = log["attempts"]
        assert first["status"] is None
        # The scaled timeout (30 s / 200), not the spec's 30 s: it is the one given up on.
        assert first["error"] == "timeout after 0.15 s"
        # The timeout is aiohttp's, in real time: never early, and late only by however
        # busy the machine is (the receiver never answers) — far from the unscaled 30 s.
        assert 30 / speed * 0.95 <= first["duration"] <= 30 / speed + 5.0
        assert second["ok"] is True
        assert len(receiver.received) == 2


async def test_connection_errors_are_retried(client: httpx.AsyncClient) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/webhook"
    request_id = await submit(client, DESCRIPTION, callback_url=url)
    log = await callback_log(client, request_id, state="failed")
    assert len(log["attempts"]) == 6
    assert all(a["status"] is None and a["error"] for a in log["attempts"])


async def test_failed_search_sends_a_failed_callback(
    client: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    await client.post("/sandbox/faults", json={"fail_searches": 1})
    request_id = await submit(client, DESCRIPTION, callback_url=receiver.url)
    [received] = await receiver.wait_for(1)
    body = received.body
    assert body["request_id"] == request_id
    assert (body["status"], body["completed"], body["results_count"], body["results"]) == (
        "failed",
        False,
        0,
        [],
    )
    assert set(body["error"]) == {"code", "message"}
    callback = LeadCallback.model_validate(body)
    assert callback.status is SearchStatus.FAILED
    assert callback.error
    polled = (await wait_for_terminal(client, request_id))["data"]
    assert polled["status"] == "failed"
    assert polled["error"] == body["error"]


async def test_callback_log_for_unknown_search_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/sandbox/callbacks", params={"request_id": "f" * 64})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_callback_listing(client: httpx.AsyncClient, receiver: CallbackReceiver) -> None:
    first = await submit(client, DESCRIPTION, callback_url=receiver.url)
    second = await submit(client, DESCRIPTION, callback_url=receiver.url)
    await receiver.wait_for(2)
    listing = (await client.get("/sandbox/callbacks")).json()["data"]["callbacks"]
    assert [entry["request_id"] for entry in listing] == [second, first]
