"""The Slack client's retry decisions and the health probe's caching (no Slack needed)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.health import Reachability
from bot.slack_client import CappedRateLimitRetryHandler, create_slack_client
from shared.settings import Settings

REQUEST = HttpRequest(method="POST", url="https://slack.example/api/chat.postMessage", headers={})


@pytest.mark.parametrize(
    ("status", "headers", "attempt", "retries"),
    [
        (429, {"Retry-After": "1"}, 0, True),
        (429, {"retry-after": "30"}, 2, True),
        (429, {}, 0, True),  # no hint: slack_sdk waits about a second
        (429, {"Retry-After": "31"}, 0, False),  # too long to hold a job: the queue retries
        (429, {"Retry-After": "600"}, 0, False),
        (429, {"Retry-After": "soon"}, 0, False),
        (429, {"Retry-After": "1"}, 3, False),  # out of retries
        (200, {}, 0, False),
        (500, {}, 0, False),
    ],
)
async def test_which_slack_answers_are_retried(
    status: int, headers: dict[str, str], attempt: int, retries: bool
) -> None:
    handler = CappedRateLimitRetryHandler(max_retry_count=3, max_wait=30.0)
    response = HttpResponse(status_code=status, headers=dict(headers))
    decision = await handler.can_retry_async(
        state=RetryState(current_attempt=attempt), request=REQUEST, response=response
    )
    assert decision is retries


@pytest.mark.parametrize(
    ("headers", "least"),
    [({"Retry-After": "1"}, 1.0), ({"retry-after": "7"}, 7.0), ({}, 1.0)],
)
async def test_a_429_waits_its_retry_after_and_at_most_a_quarter_second_more(
    monkeypatch: pytest.MonkeyPatch, headers: dict[str, str], least: float
) -> None:
    # slack_sdk's own handler adds up to a second to every wait: on the way to a thread,
    # that was most of a slow delivery.
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("bot.slack_client.asyncio.sleep", sleep)
    handler = CappedRateLimitRetryHandler(max_retry_count=3, max_wait=30.0)
    response = HttpResponse(status_code=429, headers=dict(headers))
    for _ in range(20):
        state = RetryState(current_attempt=0)
        await handler.prepare_for_next_attempt_async(
            state=state, request=REQUEST, response=response
        )
        assert state.next_attempt_requested
        assert state.current_attempt == 1
    assert all(least <= seconds <= least + 0.25 for seconds in slept), slept
    assert len(set(slept)) > 1  # jittered, so the callers it held back don't retry together


def test_the_client_uses_slack_api_url_and_both_retry_handlers() -> None:
    settings = Settings(
        _env_file=None, slack_bot_token="xoxb-1", slack_api_url="http://127.0.0.1:9/slack/api/"
    )
    client = create_slack_client(settings)
    assert client.base_url == "http://127.0.0.1:9/slack/api/"
    assert client.token == "xoxb-1"
    kinds = {type(handler) for handler in client.retry_handlers}
    assert kinds == {AsyncConnectionErrorRetryHandler, CappedRateLimitRetryHandler}


async def test_reachability_connects_at_most_once_per_ttl() -> None:
    connections = 0

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        probe = Reachability(f"http://127.0.0.1:{port}/api", ttl=3600)
        assert all(await asyncio.gather(*(probe.check() for _ in range(10))))
        await asyncio.sleep(0)  # let the server see the one connection
        assert connections == 1
    finally:
        server.close()
        await server.wait_closed()
    assert await probe.check()  # still the cached answer
    fresh = Reachability(f"http://127.0.0.1:{port}/api", ttl=0)
    assert not await fresh.check()


def test_an_error_body_that_is_not_slack_json_reads_as_unknown_error() -> None:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_slack_response import AsyncSlackResponse

    from bot.messages import error_code

    response = AsyncSlackResponse(
        client=None,
        http_verb="POST",
        api_url="http://127.0.0.1/api/chat.getPermalink",
        req_args={},
        data=cast(Any, "405: Method Not Allowed"),  # what a non-JSON answer leaves there
        headers={},
        status_code=405,
    )
    assert error_code(SlackApiError("failed", response)) == "unknown_error"  # type: ignore[no-untyped-call]


def test_a_tag_is_found_only_on_the_message_it_names() -> None:
    from bot.messages import is_tagged, tag

    wanted = tag("leads_thread_reply", delivery="r1:1", part=2)
    assert wanted == {
        "event_type": "leads_thread_reply",
        "event_payload": {"delivery": "r1:1", "part": 2},
    }
    assert is_tagged({"ts": "1.2", "metadata": wanted}, wanted)
    # Slack may hand a number back as a string: it still matches.
    as_text = tag("leads_thread_reply", delivery="r1:1", part="2")
    assert is_tagged({"metadata": as_text}, wanted)
    assert not is_tagged({"metadata": wanted}, tag("leads_thread_reply", delivery="r1:1", part=1))
    assert not is_tagged({"metadata": wanted}, tag("leads_command", delivery="r1:1", part=2))
    assert not is_tagged({"ts": "1.2"}, wanted)
    assert not is_tagged({"metadata": None}, tag("leads_command", command="c1"))
