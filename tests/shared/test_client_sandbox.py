"""NyneClient against the real sandbox over real HTTP: what a retry does to the API's state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from shared import InternalServerError, NyneClient, SearchStatus
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET

DESCRIPTION = "CTOs at fintech companies discussing cloud migration"
AUTH = {"X-API-Key": SANDBOX_API_KEY, "X-API-Secret": SANDBOX_API_SECRET}

pytestmark = pytest.mark.integration


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    # At speed 200 the spec's 105-second search takes about half a second.
    async with start_sandbox(SandboxConfig(speed=200)) as running:
        yield running


@pytest.fixture
async def admin(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client of the sandbox, for its ``/sandbox/`` admin routes."""
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=AUTH) as http:
        yield http


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[NyneClient]:
    async with NyneClient(
        api_key=SANDBOX_API_KEY,
        api_secret=SANDBOX_API_SECRET,
        base_url=sandbox.base_url,
        max_retries=3,
    ) as nyne:
        yield nyne


async def set_faults(admin: httpx.AsyncClient, **values: object) -> None:
    response = await admin.post("/sandbox/faults", json=values)
    assert response.status_code == 200, response.text


async def searches(admin: httpx.AsyncClient) -> dict[str, Any]:
    response = await admin.get("/sandbox/searches")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_a_post_answered_500_after_creating_the_search_is_not_repeated(
    client: NyneClient, admin: httpx.AsyncClient
) -> None:
    # Every POST creates its search and then answers 500: had the client retried, each
    # attempt would have left (and billed) one more search.
    await set_faults(admin, fail_after_create="always")
    with pytest.raises(InternalServerError) as caught:
        await client.create_search(DESCRIPTION)
    assert caught.value.status_code == 500
    assert caught.value.code == "internal_error"
    listing = await searches(admin)
    assert listing["count"] == 1
    # The one search the API made runs on; a caller who learns its ID can still fetch it.
    [made] = listing["searches"]
    search = await client.wait_for_search(made["request_id"], timeout=30)
    assert search.status is SearchStatus.COMPLETED


async def test_a_500_that_created_nothing_is_raised_too_and_a_get_goes_through_one(
    client: NyneClient, admin: httpx.AsyncClient
) -> None:
    # The sandbox's default reading of a 500: refused before anything was created.
    await set_faults(admin, fail_requests=1)
    with pytest.raises(InternalServerError):
        await client.create_search(DESCRIPTION)
    assert (await searches(admin))["count"] == 0
    accepted = await client.create_search(DESCRIPTION)
    # A GET is safe to repeat: the client goes through a 500 to the answer.
    await set_faults(admin, fail_requests=1)
    search = await client.get_search(accepted.request_id)
    assert search.request_id == accepted.request_id
    assert (await admin.get("/sandbox/faults")).json()["data"]["fail_requests"] == 0
    assert (await searches(admin))["count"] == 1
