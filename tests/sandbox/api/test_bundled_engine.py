"""End to end with the bundled corpus (no fake engine): a spec example finds leads, all on
synthetic domains, and gibberish finds none and costs no credit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from shared.models import Search, SearchStatus, SuccessEnvelope
from tests.support.sandbox_api import submit, wait_for_terminal

AUTH = {"X-API-Key": "sandbox-key", "X-API-Secret": "sandbox-secret"}


@pytest.fixture
async def bundled() -> AsyncIterator[tuple[RunningSandbox, httpx.AsyncClient]]:
    async with (
        start_sandbox(SandboxConfig(speed=500)) as sandbox,
        httpx.AsyncClient(base_url=sandbox.base_url, headers=AUTH) as http,
    ):
        yield sandbox, http


def is_synthetic(url: str | None) -> bool:
    host = urlsplit(url or "").hostname or ""
    return host.endswith((".example", "example.com", "example.org", "example.net"))


@pytest.mark.integration
async def test_spec_example_finds_at_least_five_synthetic_leads(
    bundled: tuple[RunningSandbox, httpx.AsyncClient],
) -> None:
    sandbox, http = bundled
    request_id = await submit(http, "CTOs at fintech companies discussing cloud migration")
    body = await wait_for_terminal(http, request_id)
    search = SuccessEnvelope[Search].model_validate(body).data
    assert search.status is SearchStatus.COMPLETED
    assert search.results_count == len(search.results) >= 5
    for lead in search.results:
        assert is_synthetic(lead.post_url), lead.post_url
        assert is_synthetic(lead.author.profile_url), lead.author.profile_url
    dates = [lead.post_date for lead in search.results if lead.post_date is not None]
    assert len(dates) == len(search.results)
    assert dates == sorted(dates, reverse=True)  # most recent first, as the spec says
    assert (await sandbox.usage())["credits_used"] == 1


@pytest.mark.integration
async def test_gibberish_finds_nothing_and_costs_nothing(
    bundled: tuple[RunningSandbox, httpx.AsyncClient],
) -> None:
    sandbox, http = bundled
    request_id = await submit(http, "zzqx blorf wibble quux")
    data = (await wait_for_terminal(http, request_id))["data"]
    assert (data["status"], data["results_count"]) == ("completed", 0)
    assert (await sandbox.usage())["credits_used"] == 0
