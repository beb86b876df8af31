"""Bad input over real HTTP: always the documented error body, never a 500 or a traceback."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sandbox.embedded import RunningSandbox

DESCRIPTION = "Real estate agents in California looking for CRM solutions"


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"success", "error", "timestamp"}
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert "Traceback" not in response.text
    return body


@pytest.mark.parametrize(
    "content",
    [b"{", b'{"search_description": }', b"not json", b"\xff\xfe\x00garbage", b"{'a': 1}"],
)
async def test_malformed_json(client: httpx.AsyncClient, content: bytes) -> None:
    response = await client.post(
        "/person/leads", content=content, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize("value", [[DESCRIPTION], DESCRIPTION, 42, None, True])
async def test_body_that_is_not_an_object(client: httpx.AsyncClient, value: Any) -> None:
    response = await client.post("/person/leads", content=json.dumps(value).encode())
    assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"search_description": 12345678901234}, "invalid_search_description"),
        ({"search_description": [DESCRIPTION]}, "invalid_search_description"),
        ({"search_description": {"text": DESCRIPTION}}, "invalid_search_description"),
        ({"search_description": False}, "invalid_search_description"),
        (
            {"search_description": DESCRIPTION, "callback_url": ["https://a.example"]},
            ("invalid_callback_url"),
        ),
        ({"search_description": DESCRIPTION, "callback_url": {"url": "x"}}, "invalid_callback_url"),
        ({"description": DESCRIPTION}, "missing_parameters"),
    ],
)
async def test_wrong_types_and_missing_fields(
    client: httpx.AsyncClient, body: dict[str, Any], code: str
) -> None:
    assert_error(await client.post("/person/leads", json=body), 400, code)


async def test_empty_body_is_missing_parameters(client: httpx.AsyncClient) -> None:
    assert_error(await client.post("/person/leads"), 400, "missing_parameters")
    assert_error(await client.post("/person/leads", content=b"  \n"), 400, "missing_parameters")


async def test_unknown_fields_and_query_parameters_are_ignored(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/person/leads",
        params={"verbose": "1", "utm_source": "x"},
        json={"search_description": DESCRIPTION, "priority": "high", "callback_url": None},
    )
    assert response.status_code == 202
    request_id = response.json()["data"]["request_id"]
    response = await client.get(
        "/person/leads", params={"request_id": request_id, "include": "everything", "page": "2"}
    )
    assert response.status_code == 200


async def test_form_encoded_body_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post("/person/leads", data={"search_description": DESCRIPTION})
    assert response.status_code == 202


async def test_body_over_one_megabyte_is_413(client: httpx.AsyncClient) -> None:
    big = json.dumps({"search_description": "x" * (1024 * 1024 + 10)}).encode()
    body = assert_error(await client.post("/person/leads", content=big), 413, "payload_too_large")
    assert "1 MB" in body["error"]["message"]


async def test_chunked_body_over_one_megabyte_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"search_description": "'
        for _ in range(80):
            yield b"x" * 16384
        yield b'"}'

    assert_error(await client.post("/person/leads", content=chunks()), 413, "payload_too_large")


async def test_body_just_under_the_limit_is_validated_normally(client: httpx.AsyncClient) -> None:
    body = json.dumps({"search_description": "x" * 1_000_000}).encode()
    assert_error(
        await client.post("/person/leads", content=body), 400, "invalid_search_description"
    )


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "HEAD"])
async def test_wrong_method_is_405(client: httpx.AsyncClient, method: str) -> None:
    response = await client.request(method, "/person/leads")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(",")) == {"GET", "POST"}
    if method != "HEAD":
        assert_error(response, 405, "method_not_allowed")


@pytest.mark.parametrize("path", ["/", "/person", "/person/leads/", "/person/leads/abc", "/v1/x"])
async def test_unknown_path_is_404(client: httpx.AsyncClient, path: str) -> None:
    assert_error(await client.get(path), 404, "not_found")


async def test_unexpected_exception_becomes_the_500_body(
    client: httpx.AsyncClient,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("a bug in the sandbox")

    monkeypatch.setattr(sandbox.service, "create", broken)
    with caplog.at_level(logging.ERROR, logger="sandbox.api.middleware"):
        response = await client.post("/person/leads", json={"search_description": DESCRIPTION})
    body = assert_error(response, 500, "internal_error")
    assert body["error"]["message"] == "Internal server error"
    assert "a bug in the sandbox" not in response.text
    [record] = [r for r in caplog.records if r.name == "sandbox.api.middleware"]
    assert record.exc_info is not None  # logged with its traceback


async def test_secret_is_never_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await client.post("/person/leads", json={"search_description": DESCRIPTION})
        await client.get("/person/leads", params={"request_id": "x"})
    assert "sandbox-secret" not in caplog.text


async def test_json_labelled_as_a_form_is_read_as_json(client: httpx.AsyncClient) -> None:
    # What `curl -d '{...}'` sends without -H 'Content-Type: application/json'.
    response = await client.post(
        "/person/leads",
        content=json.dumps({"search_description": DESCRIPTION}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 202
