"""Injected 429s and failures, armed over the admin endpoint, met by slack_sdk's retry handlers."""

from __future__ import annotations

import time

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler

from sandbox.slack import SlackState
from tests.sandbox.slack.support import Sandbox


async def test_rate_limit_then_success_through_slack_sdks_retry_handler(
    sandbox: Sandbox, http: aiohttp.ClientSession, state: SlackState
) -> None:
    spec = {"rate_limit": {"method": "chat.postMessage", "count": 2, "retry_after": 1}}
    async with http.post(f"{sandbox.base_url}/_admin/faults", json=spec) as armed:
        assert armed.status == 200
        assert (await armed.json())["faults"][0]["remaining"] == 2

    client = sandbox.client(retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)])
    started = time.monotonic()
    answer = await client.chat_postMessage(channel="C0LEADS", text="after the storm")
    waited = time.monotonic() - started

    assert answer["ok"] is True
    assert waited >= 2.0  # two answers of Retry-After: 1 were honoured
    assert [m.text for m in state.history("C0LEADS")] == ["after the storm"]
    assert state.faults.to_list() == []


async def test_the_429_answer_itself(sandbox: Sandbox, state: SlackState) -> None:
    state.faults.rate_limit("conversations.history", count=1, retry_after=7)
    with pytest.raises(SlackApiError) as limited:
        await sandbox.client().conversations_history(channel="C0LEADS")
    response = limited.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.data == {"ok": False, "error": "ratelimited"}
    # Only the next call was armed: the one after it goes through.
    assert (await sandbox.client().conversations_history(channel="C0LEADS"))["ok"]


async def test_failures_and_wildcards(
    sandbox: Sandbox, http: aiohttp.ClientSession, state: SlackState
) -> None:
    spec = {"fail": [{"method": "*", "error": "fatal_error", "count": 1}]}
    async with http.post(f"{sandbox.base_url}/_admin/faults", json=spec) as armed:
        assert armed.status == 200
    with pytest.raises(SlackApiError) as failed:
        await sandbox.client().users_info(user="U0ALICE")
    assert failed.value.response.data == {"ok": False, "error": "fatal_error"}

    state.faults.fail("auth.test", "service_unavailable", status=503, count=5)
    async with http.get(f"{sandbox.base_url}/_admin/faults") as listed:
        assert (await listed.json())["faults"][0]["error"] == "service_unavailable"
    async with http.delete(f"{sandbox.base_url}/_admin/faults") as cleared:
        assert (await cleared.json())["faults"] == []
    assert (await sandbox.client().auth_test())["ok"]


async def test_every_nth_call_is_rate_limited_until_cleared(
    sandbox: Sandbox, http: aiohttp.ClientSession, state: SlackState
) -> None:
    spec = {"rate_limit_every": {"method": "*", "every": 3, "retry_after": 2}}
    async with http.post(f"{sandbox.base_url}/_admin/faults", json=spec) as armed:
        assert armed.status == 200
        assert (await armed.json())["faults"][0]["every"] == 3
    client = sandbox.client()  # no retry handler: every answer shows
    outcomes = []
    for _ in range(7):
        try:
            await client.auth_test()
            outcomes.append("ok")
        except SlackApiError as err:
            answer = err.response
            outcomes.append(
                f"{answer.status_code} {answer.data['error']} {answer.headers['Retry-After']}"
            )
    limited_now = "429 ratelimited 2"
    assert outcomes == ["ok", "ok", limited_now, "ok", "ok", limited_now, "ok"]
    # A one-shot fault answers first, and the call it answered is not counted: the 8th
    # counted call goes through, the 9th is limited.
    state.faults.fail("auth.test", "fatal_error")
    with pytest.raises(SlackApiError) as failed:
        await client.auth_test()
    assert failed.value.response.data["error"] == "fatal_error"
    assert (await client.auth_test())["ok"]
    with pytest.raises(SlackApiError) as limited:
        await client.auth_test()
    assert limited.value.response.status_code == 429
    state.faults.clear()
    assert all([(await client.auth_test())["ok"] for _ in range(4)])


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "json_not_object"),
        (b'{"rate_limit": {"count": 1}}', "invalid_arguments"),
        (b'{"rate_limit": {"method": "x", "count": "2"}}', "invalid_arguments"),
        (b'{"rate_limit": {"method": "x", "count": 0}}', "invalid_arguments"),
        (b'{"fail": {"method": "x"}}', "invalid_arguments"),
        (b'{"explode": {}}', "invalid_arguments"),
        (b'{"fail": "everything"}', "invalid_arguments"),
        (b'{"rate_limit_every": {"method": "*"}}', "invalid_arguments"),
        (b'{"rate_limit_every": {"method": "*", "every": 0}}', "invalid_arguments"),
    ],
)
async def test_admin_refuses_bad_fault_specs(
    sandbox: Sandbox, http: aiohttp.ClientSession, body: bytes, error: str
) -> None:
    async with http.post(
        f"{sandbox.base_url}/_admin/faults",
        data=body,
        headers={"Content-Type": "application/json"},
    ) as refused:
        assert refused.status == 400
        answer = await refused.json()
    assert answer["ok"] is False
    assert answer["error"] == error
