"""NyneClient against httpx.MockTransport: every documented status, retries, polling.

Time is frozen: the client's sleep is replaced by a recorder, so nothing here waits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from shared import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    InvalidDescriptionError,
    InvalidRequestIdError,
    LeadsError,
    NotFoundError,
    NyneClient,
    RateLimitError,
    Search,
    SearchStatus,
    SearchWaitTimeout,
)
from tests.conftest import load_spec_example

REQUEST_ID = "a7f8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8"
DESCRIPTION = "CTOs at fintech companies discussing cloud migration"

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that answers from a script and records every request."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


def error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {
        "success": False,
        "error": {"code": code, "message": f"{code} happened"},
        "timestamp": "2026-01-14T15:30:00Z",
    }
    return httpx.Response(status, json=body, headers=headers)


def accepted() -> httpx.Response:
    return httpx.Response(202, json=load_spec_example("post_202"))


def status_body(status: str) -> dict[str, Any]:
    body: dict[str, Any] = load_spec_example(
        "get_completed" if status == "completed" else "get_processing"
    )
    body["data"]["status"] = status
    return body


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_client(recorder: Recorder, **kwargs: Any) -> tuple[NyneClient, Sleeps]:
    client = NyneClient(
        api_key="key-123456",
        api_secret="secret-abcdef",
        base_url="https://api.test",
        transport=httpx.MockTransport(recorder),
        **kwargs,
    )
    sleeps = Sleeps()
    client._sleep = sleeps
    return client, sleeps


async def test_create_search_sends_documented_request_with_header_auth() -> None:
    recorder = Recorder(accepted())
    client, _ = make_client(recorder)
    async with client:
        result = await client.create_search(
            f"  {DESCRIPTION}  ", callback_url="https://hooks.test/cb/x"
        )
    assert result.request_id == REQUEST_ID
    assert result.status is SearchStatus.QUEUED
    (request,) = recorder.requests
    assert request.method == "POST"
    assert request.url == "https://api.test/person/leads"
    assert request.headers["X-API-Key"] == "key-123456"
    assert request.headers["X-API-Secret"] == "secret-abcdef"
    assert json.loads(request.content) == {
        "search_description": DESCRIPTION,
        "callback_url": "https://hooks.test/cb/x",
    }


async def test_get_search_parses_completed_results() -> None:
    recorder = Recorder(httpx.Response(200, json=status_body("completed")))
    client, _ = make_client(recorder)
    search = await client.get_search(REQUEST_ID)
    assert search.status is SearchStatus.COMPLETED
    assert [lead.author.name for lead in search.results] == ["Sarah Chen", "Alex Thompson"]
    assert recorder.requests[0].url.params["request_id"] == REQUEST_ID


@pytest.mark.parametrize("description", ["", "   ", "123456789", " 12345678 ", "x" * 2001])
async def test_bad_description_raises_before_any_request(description: str) -> None:
    recorder = Recorder(accepted())
    client, _ = make_client(recorder)
    with pytest.raises(InvalidDescriptionError, match="10–2000 characters"):
        await client.create_search(description)
    assert recorder.requests == []


@pytest.mark.parametrize("description", ["1234567890", "x" * 2000, "  " + "y" * 10 + "  "])
async def test_description_at_the_limits_is_sent(description: str) -> None:
    recorder = Recorder(accepted())
    client, _ = make_client(recorder)
    await client.create_search(description)
    assert len(recorder.requests) == 1


@pytest.mark.parametrize("request_id", ["", "  ", "has space", "../etc", "x" * 129])
async def test_bad_request_id_raises_before_any_request(request_id: str) -> None:
    recorder = Recorder(httpx.Response(200, json=status_body("searching")))
    client, _ = make_client(recorder)
    with pytest.raises(InvalidRequestIdError):
        await client.get_search(request_id)
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("status", "code", "exc_type"),
    [
        (400, "missing_parameters", BadRequestError),
        (400, "invalid_search_description", BadRequestError),
        (400, "invalid_callback_url", BadRequestError),
        (401, "invalid_credentials", AuthenticationError),
        (404, "not_found", NotFoundError),
    ],
)
async def test_documented_client_errors_map_to_classes_and_are_never_retried(
    status: int, code: str, exc_type: type[LeadsError]
) -> None:
    recorder = Recorder(error(status, code))
    client, sleeps = make_client(recorder, max_retries=3)
    with pytest.raises(exc_type) as caught:
        await client.create_search(DESCRIPTION)
    assert caught.value.code == code  # type: ignore[attr-defined]
    assert caught.value.status_code == status  # type: ignore[attr-defined]
    assert code in str(caught.value)
    assert len(recorder.requests) == 1
    assert sleeps == []


async def test_401_is_not_retried_on_get_either() -> None:
    recorder = Recorder(error(401, "invalid_credentials"))
    client, sleeps = make_client(recorder, max_retries=5)
    with pytest.raises(AuthenticationError):
        await client.get_search(REQUEST_ID)
    assert len(recorder.requests) == 1
    assert sleeps == []


async def test_get_500_is_retried_with_backoff_then_raised() -> None:
    recorder = Recorder(error(500, "internal_error"))
    client, sleeps = make_client(recorder, max_retries=2)
    with pytest.raises(InternalServerError) as caught:
        await client.get_search(REQUEST_ID)
    assert caught.value.code == "internal_error"
    assert len(recorder.requests) == 3
    assert len(sleeps) == 2
    assert 0.375 <= sleeps[0] <= 0.5
    assert 0.75 <= sleeps[1] <= 1.0


async def test_transient_failures_then_success() -> None:
    recorder = Recorder(
        error(503, "internal_error"),
        error(429, "rate_limit_exceeded", {"Retry-After": "2"}),
        httpx.Response(200, json=status_body("analyzing")),
    )
    client, sleeps = make_client(recorder, max_retries=2)
    search = await client.get_search(REQUEST_ID)
    assert search.status is SearchStatus.ANALYZING
    assert sleeps[1] == 2.0  # Retry-After honoured


async def test_post_is_retried_after_429_because_nothing_was_created() -> None:
    recorder = Recorder(error(429, "rate_limit_exceeded", {"Retry-After": "1"}), accepted())
    client, sleeps = make_client(recorder)
    result = await client.create_search(DESCRIPTION)
    assert result.request_id == REQUEST_ID
    assert sleeps == [1.0]
    assert len(recorder.requests) == 2


async def test_long_retry_after_raises_at_once_without_sleeping() -> None:
    recorder = Recorder(error(429, "rate_limit_exceeded", {"Retry-After": "300"}))
    client, sleeps = make_client(recorder, max_retries=5)
    with pytest.raises(RateLimitError) as caught:
        await client.create_search(DESCRIPTION)
    assert caught.value.retry_after == 300
    assert sleeps == []
    assert len(recorder.requests) == 1


async def test_rate_limit_after_last_retry_carries_a_hint_even_without_header() -> None:
    recorder = Recorder(error(429, "rate_limit_exceeded"))
    client, _ = make_client(recorder, max_retries=1)
    with pytest.raises(RateLimitError) as caught:
        await client.get_search(REQUEST_ID)
    assert caught.value.retry_after is not None
    assert caught.value.retry_after > 0


async def test_get_read_timeout_is_retried() -> None:
    recorder = Recorder(
        httpx.ReadTimeout("slow"), httpx.Response(200, json=status_body("searching"))
    )
    client, sleeps = make_client(recorder)
    assert (await client.get_search(REQUEST_ID)).status is SearchStatus.SEARCHING
    assert len(sleeps) == 1


async def test_post_read_timeout_is_not_retried_so_no_second_search_is_created() -> None:
    recorder = Recorder(httpx.ReadTimeout("slow"), accepted())
    client, sleeps = make_client(recorder, max_retries=3)
    with pytest.raises(APITimeoutError):
        await client.create_search(DESCRIPTION)
    assert len(recorder.requests) == 1
    assert sleeps == []


async def test_post_connect_error_is_retried_because_nothing_was_sent() -> None:
    recorder = Recorder(httpx.ConnectError("refused"), accepted())
    client, sleeps = make_client(recorder)
    assert (await client.create_search(DESCRIPTION)).request_id == REQUEST_ID
    assert len(sleeps) == 1


async def test_connection_errors_exhaust_retries_into_api_connection_error() -> None:
    recorder = Recorder(httpx.ConnectError("refused"))
    client, sleeps = make_client(recorder, max_retries=2)
    with pytest.raises(APIConnectionError) as caught:
        await client.get_search(REQUEST_ID)
    assert not isinstance(caught.value, APITimeoutError)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert len(recorder.requests) == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>gateway</html>"),
        httpx.Response(200, json={"success": True, "data": {"status": "completed"}}),
        httpx.Response(200, json={"success": True, "data": {"request_id": "r", "status": "??"}}),
    ],
)
async def test_unexpected_success_body_raises_validation_error(response: httpx.Response) -> None:
    client, _ = make_client(Recorder(response))
    with pytest.raises(APIResponseValidationError):
        await client.get_search(REQUEST_ID)


async def test_error_with_undocumented_body_still_maps_by_status() -> None:
    client, _ = make_client(Recorder(httpx.Response(404, text="nope")))
    with pytest.raises(NotFoundError) as caught:
        await client.get_search(REQUEST_ID)
    assert caught.value.code is None


async def test_every_attempt_passes_the_gate_with_its_kind() -> None:
    kinds: list[str] = []
    listeners: list[object] = []

    class Gate:
        async def acquire(self, kind: str, *, on_wait: object = None) -> None:
            kinds.append(kind)
            listeners.append(on_wait)

    async def on_wait(seconds: float) -> None:
        """The caller's own listener: handed to the gate for its submission only."""

    recorder = Recorder(error(503, "service_unavailable"), accepted())
    client, _ = make_client(recorder, gate=Gate())
    await client.create_search(DESCRIPTION, on_wait=on_wait)
    recorder.answers = [httpx.Response(200, json=status_body("queued"))]
    await client.get_search(REQUEST_ID)
    assert kinds == ["submit", "submit", "poll"]
    assert listeners == [on_wait, on_wait, None]


async def test_gate_refusal_stops_the_request() -> None:
    class Gate:
        async def acquire(self, kind: str, *, on_wait: object = None) -> None:
            raise RateLimitError("budget spent", retry_after=12)

    recorder = Recorder(accepted())
    client, _ = make_client(recorder, gate=Gate())
    with pytest.raises(RateLimitError):
        await client.create_search(DESCRIPTION)
    assert recorder.requests == []


async def test_wait_for_search_polls_on_the_schedule_and_reports_each_phase() -> None:
    statuses = ["queued", "analyzing", "analyzing", "searching", "completed"]
    recorder = Recorder(*(httpx.Response(200, json=status_body(s)) for s in statuses))
    client, sleeps = make_client(recorder)
    seen: list[SearchStatus] = []

    async def on_status(search: Search) -> None:
        seen.append(search.status)

    search = await client.wait_for_search(REQUEST_ID, timeout=600, on_status=on_status)
    assert search.status is SearchStatus.COMPLETED
    assert seen == ["queued", "analyzing", "searching", "completed"]
    # The product's one poll schedule (shared.polling), as a search without a callback.
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 15.0]


async def test_a_search_done_in_about_a_second_costs_two_polls() -> None:
    recorder = Recorder(
        httpx.Response(200, json=status_body("analyzing")),
        httpx.Response(200, json=status_body("completed")),
    )
    client, sleeps = make_client(recorder)
    await client.wait_for_search(REQUEST_ID, timeout=60, on_status=lambda s: None)
    assert len(recorder.requests) == 2
    assert sum(sleeps) == 3.0  # polls 1 s and 3 s after submission


async def test_wait_for_search_returns_failed_searches() -> None:
    body = status_body("failed")
    body["data"]["error"] = {"code": "search_failed", "message": "upstream down"}
    client, _ = make_client(Recorder(httpx.Response(200, json=body)))
    search = await client.wait_for_search(REQUEST_ID, timeout=60)
    assert search.status is SearchStatus.FAILED
    assert search.error == "upstream down"


async def test_wait_for_search_times_out_with_the_last_status() -> None:
    client, sleeps = make_client(Recorder(httpx.Response(200, json=status_body("searching"))))
    clock = [0.0]

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    client._sleep = fake_sleep
    client._now = lambda: clock[0]
    with pytest.raises(SearchWaitTimeout) as caught:
        await client.wait_for_search(REQUEST_ID, timeout=10)
    assert caught.value.last_status == "searching"
    assert sum(sleeps) == pytest.approx(10.0)
    assert sleeps[-1] == pytest.approx(10 - 7.0)  # after 1 + 2 + 4 s, cut to the deadline


def test_repr_and_errors_never_show_secrets() -> None:
    client, _ = make_client(Recorder(accepted()))
    assert "secret-abcdef" not in repr(client)
    assert "key-123456" not in repr(client)


@pytest.mark.parametrize(
    ("method", "status", "attempts"),
    [
        # A POST is repeated only where the API cannot have taken it.
        ("POST", 429, 3),
        ("POST", 503, 3),
        ("POST", 500, 1),  # may come after the search was created
        ("POST", 502, 1),  # a gateway may have passed the POST on
        ("POST", 504, 1),
        # A GET is safe to repeat on any 5xx.
        ("GET", 429, 3),
        ("GET", 500, 3),
        ("GET", 502, 3),
        ("GET", 503, 3),
        ("GET", 504, 3),
    ],
)
async def test_attempts_per_error_status(method: str, status: int, attempts: int) -> None:
    code = "rate_limit_exceeded" if status == 429 else "internal_error"
    recorder = Recorder(error(status, code))
    client, sleeps = make_client(recorder, max_retries=2)
    call = client.create_search(DESCRIPTION) if method == "POST" else client.get_search(REQUEST_ID)
    with pytest.raises(RateLimitError if status == 429 else InternalServerError):
        await call
    assert len(recorder.requests) == attempts
    assert [request.method for request in recorder.requests] == [method] * attempts
    assert len(sleeps) == attempts - 1


async def test_post_answered_500_raises_at_once_so_no_second_search_is_created() -> None:
    recorder = Recorder(error(500, "internal_error"), accepted())
    client, sleeps = make_client(recorder, max_retries=3)
    with pytest.raises(InternalServerError) as caught:
        await client.create_search(DESCRIPTION)
    assert caught.value.status_code == 500
    assert caught.value.code == "internal_error"
    assert len(recorder.requests) == 1
    assert sleeps == []


async def test_post_is_not_retried_after_a_gateway_page_without_the_error_body() -> None:
    recorder = Recorder(httpx.Response(502, text="bad gateway"), accepted())
    client, sleeps = make_client(recorder, max_retries=3)
    with pytest.raises(InternalServerError):
        await client.create_search(DESCRIPTION)
    assert len(recorder.requests) == 1
    assert sleeps == []
