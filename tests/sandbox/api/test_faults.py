"""Fault injection over real HTTP: the admin endpoint, start-up faults, and each fault."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from sandbox.api.clock import ManualClock
from sandbox.api.faults import Faults
from sandbox.embedded import RunningSandbox
from shared.models import Search, SearchStatus, SuccessEnvelope
from tests.support.sandbox_api import CallbackReceiver, callback_receiver, submit, wait_for_terminal
from tests.support.waiting import wait_until

StartSandbox = Callable[..., AbstractAsyncContextManager[RunningSandbox]]
AUTH = {"X-API-Key": "sandbox-key", "X-API-Secret": "sandbox-secret"}
DESCRIPTION = "HR professionals talking about employee engagement software"
NO_FAULTS = {
    "fail_requests": 0,
    "fail_after_create": 0,
    "latency_ms": 0.0,
    "fail_searches": 0,
    "slow_search": 1.0,
    "drop_callbacks": 0,
    "duplicate_callbacks": 0,
    "duplicate_copies": 1,
    "reorder_callbacks": 0,
    "misroute_callbacks": 0,
    "misroute_to": "",
}


async def faults(http: httpx.AsyncClient, method: str = "GET", **kwargs: Any) -> httpx.Response:
    return await http.request(method, "/sandbox/faults", **kwargs)


async def test_admin_faults_endpoint(anon: httpx.AsyncClient) -> None:
    assert (await faults(anon)).json()["data"] == NO_FAULTS  # no API key needed
    response = await faults(anon, "POST", json={"fail_requests": 2, "drop_callbacks": "always"})
    assert response.status_code == 200
    assert response.json()["data"] == {**NO_FAULTS, "fail_requests": 2, "drop_callbacks": "always"}
    response = await faults(anon, "DELETE", params={"name": "drop_callbacks"})
    assert response.json()["data"] == {**NO_FAULTS, "fail_requests": 2}
    response = await faults(anon, "DELETE")
    assert response.json()["data"] == NO_FAULTS


@pytest.mark.parametrize(
    "kwargs",
    [
        {"json": {"no_such_fault": 1}},
        {"json": {"fail_requests": "many"}},
        {"json": {"slow_search": -1}},
        {"json": [1, 2]},
        {"json": {"drop_callbacks": "130%"}},
        {"json": {"drop_callbacks": "a lot%"}},
        {"json": {"duplicate_copies": 0}},
        {"json": {"misroute_to": "ftp://elsewhere:21"}},
        {"json": {"misroute_to": "http://127.0.0.1:3000/callbacks"}},
        {"content": b"{nope"},
    ],
)
async def test_admin_faults_rejects_bad_input(
    anon: httpx.AsyncClient, kwargs: dict[str, Any]
) -> None:
    response = await faults(anon, "POST", **kwargs)
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"invalid_fault", "invalid_json"}
    assert (await faults(anon)).json()["data"] == NO_FAULTS


async def test_delete_unknown_fault_is_400(anon: httpx.AsyncClient) -> None:
    response = await faults(anon, "DELETE", params={"name": "nope"})
    assert response.status_code == 400


async def test_fail_requests_answers_500_before_anything_else(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    await faults(client, "POST", json={"fail_requests": 3})
    failed = [
        await client.post("/person/leads", json={"search_description": DESCRIPTION}),
        await anon.get("/person/leads"),  # no credentials: still the 500
        await client.get("/person/leads", params={"request_id": "x"}),
    ]
    for response in failed:
        assert response.status_code == 500
        body = response.json()
        assert body["success"] is False
        assert body["error"] == {"code": "internal_error", "message": "Internal server error"}
    assert (await client.get("/sandbox/usage")).status_code == 200  # admin routes unaffected
    usage = await sandbox.usage()
    assert usage["searches"]["total"] == 0  # the failed POST created nothing
    assert usage["rate_limit"]["minute"]["used"] == 0  # and nothing counted
    await submit(client, DESCRIPTION)


async def test_fail_after_create_keeps_the_search_and_answers_500(
    client: httpx.AsyncClient, sandbox: RunningSandbox, receiver: CallbackReceiver
) -> None:
    # The spec-silent case: a POST answered 500 may still have created its search.
    await faults(client, "POST", json={"fail_after_create": 1})
    response = await client.post(
        "/person/leads", json={"search_description": DESCRIPTION, "callback_url": receiver.url}
    )
    assert response.status_code == 500
    body = response.json()
    assert set(body) == {"success", "error", "timestamp"}
    assert body["success"] is False
    assert body["error"] == {"code": "internal_error", "message": "Internal server error"}
    assert (await faults(client)).json()["data"]["fail_after_create"] == 0  # counted down

    # The caller never saw its request_id; the admin listing has it, and GET finds it.
    listing = (await client.get("/sandbox/searches")).json()["data"]
    assert listing["count"] == 1
    [listed] = listing["searches"]
    request_id = listed["request_id"]
    assert listed["callback_url"] == receiver.url
    response = await client.get("/person/leads", params={"request_id": request_id})
    assert response.status_code == 200
    final = await wait_for_terminal(client, request_id)
    assert final["data"]["status"] == "completed"
    assert final["data"]["results_count"] == 3
    [callback] = await receiver.wait_for(1)
    assert callback.body["request_id"] == request_id
    usage = await sandbox.usage()
    assert usage["searches"]["total"] == 1
    assert usage["credits_used"] == 1  # a search that found leads is charged, 500 or not

    # Only the next POST: the one after it is accepted as usual.
    await submit(client, DESCRIPTION)
    assert (await client.get("/sandbox/searches")).json()["data"]["count"] == 2


async def test_fail_after_create_leaves_refused_posts_uncreated(
    client: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    # Only a POST that would have been accepted creates anything; a 400 stays a 400.
    await faults(client, "POST", json={"fail_after_create": "always"})
    response = await client.post("/person/leads", json={"search_description": "short"})
    assert response.status_code == 400
    response = await client.get("/person/leads", params={"request_id": "x" * 64})
    assert response.status_code == 404  # GETs are untouched
    assert (await sandbox.usage())["searches"]["total"] == 0
    response = await client.post("/person/leads", json={"search_description": DESCRIPTION})
    assert response.status_code == 500
    assert (await sandbox.usage())["searches"]["total"] == 1


async def test_faults_from_the_start(start: StartSandbox) -> None:
    async with (
        start(faults={"fail_requests": 1}) as sandbox,
        httpx.AsyncClient(base_url=sandbox.base_url, headers=AUTH) as http,
    ):
        assert (await http.get("/person/leads")).status_code == 500
        assert (await http.get("/person/leads")).status_code == 400


async def test_latency_is_added_to_api_requests(client: httpx.AsyncClient) -> None:
    # A whole second: without it, the same request must take less, with room for a stall
    # of a busy machine (a request takes milliseconds).
    await faults(client, "POST", json={"latency_ms": 1000})
    began = time.monotonic()
    response = await client.get("/person/leads", params={"request_id": "x" * 64})
    assert response.status_code == 404
    assert time.monotonic() - began >= 1.0
    await faults(client, "DELETE")
    began = time.monotonic()
    await client.get("/person/leads", params={"request_id": "x" * 64})
    assert time.monotonic() - began < 1.0


async def test_fail_searches(client: httpx.AsyncClient) -> None:
    await faults(client, "POST", json={"fail_searches": 1})
    failing = await submit(client, DESCRIPTION)
    succeeding = await submit(client, DESCRIPTION)
    body = await wait_for_terminal(client, failing)
    search = SuccessEnvelope[Search].model_validate(body).data
    assert search.status is SearchStatus.FAILED
    assert search.error
    data = body["data"]
    assert set(data) == {"request_id", "status", "created_on", "error"}
    assert data["error"]["code"] == "search_failed"
    assert (await wait_for_terminal(client, succeeding))["data"]["status"] == "completed"
    assert (await faults(client)).json()["data"]["fail_searches"] == 0


async def test_slow_search_multiplies_phases(start: StartSandbox) -> None:
    clock = ManualClock()
    async with (
        start(speed=1, clock=clock, faults={"slow_search": 2}) as sandbox,
        httpx.AsyncClient(base_url=sandbox.base_url, headers=AUTH) as http,
    ):
        request_id = await submit(http, DESCRIPTION)

        async def status() -> str:
            response = await http.get("/person/leads", params={"request_id": request_id})
            value: str = response.json()["data"]["status"]
            return value

        clock.advance(105)
        assert await status() == "searching"  # a normal search would be done by now
        clock.advance(104.9)  # phases 2, 8, 30, 120, 50 s: done at 210 s
        assert await status() == "aggregating"
        clock.advance(0.1)
        assert await status() == "completed"


async def test_slow_search_in_real_time(client: httpx.AsyncClient) -> None:
    await faults(client, "POST", json={"slow_search": 3})
    began = time.monotonic()
    request_id = await submit(client, DESCRIPTION)
    await wait_for_terminal(client, request_id)
    assert time.monotonic() - began >= 3 * 105 / 500 * 0.95


async def test_drop_callbacks(patient: httpx.AsyncClient, receiver: CallbackReceiver) -> None:
    await faults(patient, "POST", json={"drop_callbacks": 1})
    dropped = await submit(patient, DESCRIPTION, callback_url=receiver.url)
    delivered = await submit(patient, DESCRIPTION, callback_url=receiver.url)
    [received] = await receiver.wait_for(1)
    assert received.body["request_id"] == delivered

    async def settled() -> bool:
        response = await patient.get("/sandbox/callbacks", params={"request_id": dropped})
        return bool(response.json()["data"]["state"] == "dropped")

    await wait_until(settled, timeout=5)
    assert len(receiver.received) == 1


async def test_duplicate_callbacks(client: httpx.AsyncClient, receiver: CallbackReceiver) -> None:
    await faults(client, "POST", json={"duplicate_callbacks": 1})
    request_id = await submit(client, DESCRIPTION, callback_url=receiver.url)
    first, second = await receiver.wait_for(2)
    assert first.body == second.body
    assert first.body["request_id"] == request_id
    assert second.at - first.at >= 2 / 500 * 0.9  # sent again later, not at once


async def test_reorder_callbacks(start: StartSandbox) -> None:
    # Searches take 0.5 s and a held callback waits up to 0.5 s for another to overtake
    # it: ample for the second search, submitted right after, even on a loaded machine.
    async with (
        start(speed=20, phase_seconds=(2.0,) * 5) as sandbox,
        httpx.AsyncClient(base_url=sandbox.base_url, headers=AUTH) as http,
        callback_receiver() as receiver,
    ):
        await faults(http, "POST", json={"reorder_callbacks": 1})
        earlier = await submit(http, DESCRIPTION, callback_url=receiver.url)
        later = await submit(http, DESCRIPTION, callback_url=receiver.url)
        received = await receiver.wait_for(2)
        assert [item.body["request_id"] for item in received] == [later, earlier]


async def test_percentages_are_set_shown_and_cleared(anon: httpx.AsyncClient) -> None:
    response = await faults(anon, "POST", json={"drop_callbacks": "30%", "fail_requests": "0%"})
    assert response.json()["data"] == {**NO_FAULTS, "drop_callbacks": "30%"}
    response = await faults(anon, "POST", json={"drop_callbacks": 2})  # a count replaces it
    assert response.json()["data"] == {**NO_FAULTS, "drop_callbacks": 2}
    await faults(anon, "POST", json={"drop_callbacks": "12.5%"})
    response = await faults(anon, "DELETE", params={"name": "drop_callbacks"})
    assert response.json()["data"] == NO_FAULTS


def test_a_percentage_fires_about_that_often_and_a_seed_repeats_the_draws() -> None:
    def draws(seed: int) -> list[bool]:
        injected = Faults()
        injected.seed(seed)
        injected.update({"drop_callbacks": "30%"})
        return [injected.take("drop_callbacks") for _ in range(2000)]

    first = draws(7)
    assert first == draws(7)
    assert first != draws(8)
    assert 500 <= sum(first) <= 700  # 30% of 2000, give or take 5 standard deviations
    never = Faults()
    never.update({"drop_callbacks": "0%"})
    assert not any(never.take("drop_callbacks") for _ in range(100))
    always = Faults()
    always.update({"drop_callbacks": "100%"})
    assert all(always.take("drop_callbacks") for _ in range(100))


def test_misroute_picks_another_origin_and_keeps_path_and_query() -> None:
    injected = Faults()
    injected.update({"misroute_to": "http://127.0.0.1:1001, http://127.0.0.1:1002/"})
    assert injected.misroute_to == "http://127.0.0.1:1001,http://127.0.0.1:1002"
    url = "http://127.0.0.1:1001/callbacks/nyne/abc?x=1"
    assert injected.misroute(url) == "http://127.0.0.1:1002/callbacks/nyne/abc?x=1"
    # An origin not in the list may go to either of them, never to itself.
    elsewhere = {injected.misroute("http://127.0.0.1:9/cb") for _ in range(50)}
    assert elsewhere == {"http://127.0.0.1:1001/cb", "http://127.0.0.1:1002/cb"}
    alone = Faults()
    alone.update({"misroute_to": "http://127.0.0.1:1001"})
    assert alone.misroute(url) == url  # nowhere else to go


async def test_duplicate_copies_sends_a_callback_that_many_more_times(
    client: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    await faults(client, "POST", json={"duplicate_callbacks": 1, "duplicate_copies": 2})
    request_id = await submit(client, DESCRIPTION, callback_url=receiver.url)
    received = await receiver.wait_for(3)
    assert [item.body["request_id"] for item in received] == [request_id] * 3
    log = (await client.get("/sandbox/callbacks", params={"request_id": request_id})).json()
    assert [a["duplicate"] for a in log["data"]["attempts"]] == [False, True, True]


async def test_misroute_callbacks_sends_every_attempt_to_the_other_origin(
    client: httpx.AsyncClient,
) -> None:
    async with (
        callback_receiver(statuses=[503]) as meant,
        callback_receiver(statuses=[503]) as other,
    ):
        other_origin = other.url.removesuffix("/webhook/leads")
        meant_origin = meant.url.removesuffix("/webhook/leads")
        await faults(
            client,
            "POST",
            json={"misroute_callbacks": 1, "misroute_to": f"{meant_origin},{other_origin}"},
        )
        misrouted = await submit(client, DESCRIPTION, callback_url=meant.url)
        first, retried = await other.wait_for(2)  # the 503 is retried, at the same place
        assert first.body["request_id"] == retried.body["request_id"] == misrouted
        assert meant.received == []
        log = (await client.get("/sandbox/callbacks", params={"request_id": misrouted})).json()
        assert log["data"]["faults"] == ["misrouted"]
        assert log["data"]["callback_url"] == meant.url
        assert log["data"]["sent_to"] == other.url
        # The fault was for one callback: the next goes where it was meant to.
        following = await submit(client, DESCRIPTION, callback_url=meant.url)
        received = await meant.wait_for(2)
        assert {item.body["request_id"] for item in received} == {following}
