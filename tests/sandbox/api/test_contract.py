"""Contract tests over real HTTP: every example and table of the spec, checked against the
sandbox on a free port with httpx."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from sandbox.api.clock import ManualClock
from sandbox.embedded import RunningSandbox
from shared.models import ErrorBody, Search, SearchAccepted, SearchStatus, SuccessEnvelope
from tests.support.sandbox_api import submit, wait_for_terminal
from tests.support.waiting import wait_until

StartSandbox = Callable[..., AbstractAsyncContextManager[RunningSandbox]]
SpecExample = Callable[[str], dict[str, Any]]

REQUEST_ID = re.compile(r"^[0-9a-f]{64}$")
UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
NAIVE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
DESCRIPTION = "Startup founders discussing fundraising or seed rounds in the tech industry"
PHASE_ORDER = ["queued", "pending", "analyzing", "searching", "aggregating", "completed"]


def key_tree(value: Any) -> Any:
    """The recursive key structure of a JSON value; lists by the union of their items."""
    if isinstance(value, dict):
        return {key: key_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        merged: dict[str, Any] = {}
        for item in value:
            merged.update(key_tree(item))
        return [merged]
    return "leaf"


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The one error body: exactly success/error{code,message}/timestamp."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"success", "error", "timestamp"}
    assert body["success"] is False
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert UTC_Z.match(body["timestamp"])
    ErrorBody.model_validate(body)
    return body


# --- POST: the 202 ----------------------------------------------------------------------


async def test_202_body_is_exactly_the_spec_example(
    client: httpx.AsyncClient, spec_example: SpecExample
) -> None:
    response = await client.post("/person/leads", json=spec_example("post_request"))
    assert response.status_code == 202
    body = response.json()
    example = spec_example("post_202")
    assert key_tree(body) == key_tree(example)
    assert body["success"] is True
    assert body["data"]["status"] == "queued"
    assert body["data"]["message"] == example["data"]["message"]
    assert REQUEST_ID.match(body["data"]["request_id"])
    assert UTC_Z.match(body["timestamp"])
    accepted = SuccessEnvelope[SearchAccepted].model_validate(body).data
    assert accepted.status is SearchStatus.QUEUED


async def test_request_ids_are_unique(client: httpx.AsyncClient) -> None:
    ids = {await submit(client, DESCRIPTION) for _ in range(5)}
    assert len(ids) == 5


# --- authentication -------------------------------------------------------------------


async def test_auth_by_headers_and_by_query_parameters(
    sandbox: RunningSandbox, anon: httpx.AsyncClient
) -> None:
    by_query = {"api_key": "sandbox-key", "api_secret": "sandbox-secret"}
    response = await anon.post(
        "/person/leads", params=by_query, json={"search_description": DESCRIPTION}
    )
    assert response.status_code == 202, response.text
    request_id = response.json()["data"]["request_id"]
    response = await anon.get("/person/leads", params={**by_query, "request_id": request_id})
    assert response.status_code == 200, response.text
    headers = {"X-API-Key": "sandbox-key", "X-API-Secret": "sandbox-secret"}
    response = await anon.get("/person/leads", params={"request_id": request_id}, headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({}, {}),
        ({"X-API-Key": "sandbox-key"}, {}),
        ({"X-API-Secret": "sandbox-secret"}, {}),
        ({"X-API-Key": "sandbox-key", "X-API-Secret": "wrong"}, {}),
        ({"X-API-Key": "wrong", "X-API-Secret": "sandbox-secret"}, {}),
        ({"X-API-Key": "sandbox-key", "X-API-Secret": ""}, {}),
        ({}, {"api_key": "sandbox-key", "api_secret": "nope"}),
        ({}, {"api_key": "sandbox-key"}),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_wrong_or_missing_credentials_get_401(
    anon: httpx.AsyncClient, method: str, headers: dict[str, str], params: dict[str, str]
) -> None:
    response = await anon.request(
        method,
        "/person/leads",
        headers=headers,
        params={**params, "request_id": "a" * 64},
        json={"search_description": DESCRIPTION} if method == "POST" else None,
    )
    body = assert_error(response, 401, "invalid_credentials")
    assert body["error"]["message"] == "API key or secret is incorrect"


async def test_secret_never_echoed(anon: httpx.AsyncClient) -> None:
    response = await anon.get(
        "/person/leads", headers={"X-API-Key": "sandbox-key", "X-API-Secret": "guess-123"}
    )
    assert "guess-123" not in response.text
    assert "sandbox-secret" not in response.text


# --- the lifecycle --------------------------------------------------------------------


async def test_spec_examples_reproduced_on_a_manual_clock(
    start: StartSandbox, spec_example: SpecExample
) -> None:
    """At speed 1 on a clock starting at the spec's 15:30:00, the sandbox answers the spec's
    examples field for field (request ID and leads aside)."""
    clock = ManualClock()
    async with (
        start(speed=1, clock=clock) as sandbox,
        httpx.AsyncClient(
            base_url=sandbox.base_url,
            headers={"X-API-Key": "sandbox-key", "X-API-Secret": "sandbox-secret"},
        ) as http,
    ):
        posted = (await http.post("/person/leads", json=spec_example("post_request"))).json()
        expected_202 = spec_example("post_202")
        request_id = posted["data"]["request_id"]
        expected_202["data"]["request_id"] = request_id
        assert posted == expected_202

        clock.advance(30)
        processing = (await http.get("/person/leads", params={"request_id": request_id})).json()
        expected_processing = spec_example("get_processing")
        expected_processing["data"]["request_id"] = request_id
        assert processing == expected_processing

        clock.advance(90)  # 15:32:00, completed at 15:31:45
        completed = (await http.get("/person/leads", params={"request_id": request_id})).json()
        expected = spec_example("get_completed")
        for field in ("created_on", "completed_on", "status"):
            assert completed["data"][field] == expected["data"][field]
        assert completed["timestamp"] == expected["timestamp"]


async def test_every_phase_is_observed_in_order(start: StartSandbox) -> None:
    """Polled every 10 s of a manual clock through five 50 s phases, a search shows each
    phase in turn; on a real clock one stall of the machine could skip a phase."""
    clock = ManualClock()
    async with (
        start(speed=1, clock=clock, phase_seconds=(50.0,) * 5) as sandbox,
        httpx.AsyncClient(
            base_url=sandbox.base_url,
            headers={"X-API-Key": "sandbox-key", "X-API-Secret": "sandbox-secret"},
        ) as http,
    ):
        request_id = await submit(http, DESCRIPTION)
        seen: list[str] = []
        for _ in range(5 * 50 // 10 + 1):
            # 26 GETs: under the 60 a minute, and the clock moves, so the window empties.
            response = await http.get("/person/leads", params={"request_id": request_id})
            assert response.status_code == 200, response.text
            status: str = response.json()["data"]["status"]
            if not seen or seen[-1] != status:
                seen.append(status)
            clock.advance(10)
        assert seen == PHASE_ORDER


async def test_default_phases_never_go_backwards(client: httpx.AsyncClient) -> None:
    request_id = await submit(client, DESCRIPTION)
    seen: list[str] = []

    async def completed() -> bool:
        response = await client.get("/person/leads", params={"request_id": request_id})
        seen.append(response.json()["data"]["status"])
        return seen[-1] == "completed"

    await wait_until(completed, timeout=10, interval=0.01)
    positions = [PHASE_ORDER.index(status) for status in seen]
    assert positions == sorted(positions)


async def test_completed_body_has_the_spec_example_structure(
    client: httpx.AsyncClient, spec_example: SpecExample
) -> None:
    request_id = await submit(client, DESCRIPTION)
    body = await wait_for_terminal(client, request_id)
    assert key_tree(body) == key_tree(spec_example("get_completed"))
    data = body["data"]
    assert data["request_id"] == request_id
    assert NAIVE.match(data["created_on"])
    assert NAIVE.match(data["completed_on"])
    assert data["completed_on"] >= data["created_on"]
    assert UTC_Z.match(body["timestamp"])
    assert data["results_count"] == len(data["results"]) == 3
    search = SuccessEnvelope[Search].model_validate(body).data
    assert search.status is SearchStatus.COMPLETED
    assert all(lead.author.image_url for lead in search.results)


async def test_processing_body_has_the_spec_example_structure(
    start: StartSandbox, spec_example: SpecExample
) -> None:
    async with (
        start(speed=1) as sandbox,
        httpx.AsyncClient(
            base_url=sandbox.base_url,
            headers={"X-API-Key": "sandbox-key", "X-API-Secret": "sandbox-secret"},
        ) as http,
    ):
        request_id = await submit(http, DESCRIPTION)
        body = (await http.get("/person/leads", params={"request_id": request_id})).json()
        assert key_tree(body) == key_tree(spec_example("get_processing"))
        assert body["data"]["status"] in {"queued", "pending"}
        assert NAIVE.match(body["data"]["created_on"])
        SuccessEnvelope[Search].model_validate(body)


async def test_search_without_leads_completes_empty(client: httpx.AsyncClient) -> None:
    request_id = await submit(client, "there is nothing to find about this")
    data = (await wait_for_terminal(client, request_id))["data"]
    assert (data["status"], data["results_count"], data["results"]) == ("completed", 0, [])


async def test_a_search_belongs_to_the_key_that_created_it(start: StartSandbox) -> None:
    mine = {"X-API-Key": "sandbox-key", "X-API-Secret": "sandbox-secret"}
    theirs = {"X-API-Key": "other-key", "X-API-Secret": "other-secret"}
    async with (
        start(extra_credentials={"other-key": "other-secret"}) as sandbox,
        httpx.AsyncClient(base_url=sandbox.base_url) as http,
    ):
        response = await http.post(
            "/person/leads", headers=mine, json={"search_description": DESCRIPTION}
        )
        request_id = response.json()["data"]["request_id"]
        response = await http.get(
            "/person/leads", headers=theirs, params={"request_id": request_id}
        )
        assert_error(response, 404, "not_found")
        response = await http.get("/person/leads", headers=mine, params={"request_id": request_id})
        assert response.status_code == 200


# --- the error table ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "missing_parameters"),
        ({"callback_url": "https://yourapp.com/webhook/leads"}, "missing_parameters"),
        ({"search_description": None}, "missing_parameters"),
        ({"search_description": "too short"}, "invalid_search_description"),
        ({"search_description": "         x          "}, "invalid_search_description"),
        ({"search_description": "x" * 2001}, "invalid_search_description"),
        ({"search_description": 1234567890123}, "invalid_search_description"),
        ({"search_description": DESCRIPTION, "callback_url": "not a url"}, "invalid_callback_url"),
        (
            {"search_description": DESCRIPTION, "callback_url": "ftp://x.com/a"},
            "invalid_callback_url",
        ),
        ({"search_description": DESCRIPTION, "callback_url": 7}, "invalid_callback_url"),
    ],
)
async def test_post_400s(client: httpx.AsyncClient, body: dict[str, Any], code: str) -> None:
    assert_error(await client.post("/person/leads", json=body), 400, code)


async def test_description_limits_apply_after_trimming(client: httpx.AsyncClient) -> None:
    padded = "   " + "x" * 2000 + "   "
    response = await client.post("/person/leads", json={"search_description": padded})
    assert response.status_code == 202
    response = await client.post("/person/leads", json={"search_description": " 0123456789 "})
    assert response.status_code == 202


async def test_get_without_request_id_is_400(client: httpx.AsyncClient) -> None:
    body = assert_error(await client.get("/person/leads"), 400, "missing_parameters")
    assert "request_id" in body["error"]["message"]
    assert_error(
        await client.get("/person/leads", params={"request_id": "  "}), 400, "missing_parameters"
    )


@pytest.mark.parametrize("request_id", ["f" * 64, "not-an-id", "../../etc/passwd", "é" * 10])
async def test_unknown_request_id_is_404(client: httpx.AsyncClient, request_id: str) -> None:
    body = assert_error(
        await client.get("/person/leads", params={"request_id": request_id}), 404, "not_found"
    )
    assert body["error"]["message"] == "Request ID not found"
