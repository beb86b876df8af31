"""The root app and the in-process API: ports, URLs, the Slack mount, admin info and reset."""

from __future__ import annotations

import socket
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from sandbox.slack import DEFAULT_TOKEN, SlackState
from tests.support.sandbox_api import FakeEngine, submit, wait_for_terminal

StartSandbox = Callable[..., AbstractAsyncContextManager[RunningSandbox]]
DESCRIPTION = "Marketing directors at SaaS companies who are interested in AI tools"


async def test_port_zero_reports_the_real_port(sandbox: RunningSandbox) -> None:
    assert sandbox.port > 0
    assert sandbox.base_url == f"http://127.0.0.1:{sandbox.port}"
    assert sandbox.slack_api_url == f"http://127.0.0.1:{sandbox.port}/slack/api/"


async def test_explicit_port_and_wildcard_host(start: StartSandbox) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with start(host="0.0.0.0", port=port) as sandbox:  # noqa: S104 - loopback test
        assert sandbox.port == port
        assert sandbox.base_url == f"http://127.0.0.1:{port}"  # a URL clients can use
        async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
            assert (await http.get("/sandbox")).status_code == 200


@pytest.mark.parametrize(
    "config",
    [
        {"speed": 0},
        {"speed": -2},
        {"port": 70000},
        {"rate_limit_per_minute": -1},
        {"api_secret": ""},
        {"phase_seconds": (1.0, 2.0)},
        {"faults": {"nope": 1}},
        {"max_searches": 0},
    ],
)
def test_invalid_config_is_refused(config: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        SandboxConfig(**config)  # type: ignore[arg-type]


def test_config_repr_hides_the_secret() -> None:
    assert "sandbox-secret" not in repr(SandboxConfig())
    assert "hunter2" not in repr(SandboxConfig(api_secret="hunter2"))


async def test_slack_stand_in_is_mounted_with_its_own_conventions(
    start: StartSandbox,
) -> None:
    state = SlackState()
    async with start(slack_state=state) as sandbox, httpx.AsyncClient() as http:
        assert sandbox.slack is state
        response = await http.post(
            sandbox.slack_api_url + "auth.test",
            headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
        )
        assert response.status_code == 200
        assert response.json()["ok"] is True
        # Slack errors stay Slack-shaped: the API's error middleware leaves /slack alone.
        response = await http.post(sandbox.slack_api_url + "auth.test")
        assert response.json() == {"ok": False, "error": "not_authed"}


async def test_admin_info(anon: httpx.AsyncClient) -> None:
    data = (await anon.get("/sandbox")).json()["data"]
    assert data["speed"] == 500.0
    assert data["search_seconds"] == pytest.approx(0.21)
    assert data["rate_limit"]["minute"] == {"limit": 60, "window_seconds": 0.12}
    assert "fail_requests" in data["faults"]
    assert "fail_after_create" in data["faults"]
    assert "GET /sandbox/searches" in data["routes"]


async def test_admin_searches_lists_the_callers_searches_only(
    client: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    empty = (await client.get("/sandbox/searches")).json()["data"]
    assert empty == {"count": 0, "searches": []}
    first = await submit(client, DESCRIPTION)
    second = await submit(client, DESCRIPTION, callback_url="http://127.0.0.1:9/x")
    data = (await client.get("/sandbox/searches")).json()["data"]
    assert data["count"] == 2
    assert [item["request_id"] for item in data["searches"]] == [first, second]
    assert [item["callback_url"] for item in data["searches"]] == [None, "http://127.0.0.1:9/x"]
    assert all(item["status"] and item["created_on"] for item in data["searches"])
    response = await anon.get("/sandbox/searches")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


async def test_reset_forgets_everything(client: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    request_id = await submit(client, DESCRIPTION)
    await client.post("/sandbox/faults", json={"latency_ms": 5})
    response = await client.post("/sandbox/reset")
    assert response.status_code == 200
    response = await client.get("/person/leads", params={"request_id": request_id})
    assert response.status_code == 404
    assert sandbox.faults.latency_ms == 0
    usage = await sandbox.usage()
    assert usage["searches"]["total"] == 0
    assert usage["rate_limit"]["minute"]["used"] == 1  # only the GET after the reset


async def test_state_accessors(client: httpx.AsyncClient, sandbox: RunningSandbox) -> None:
    request_id = await submit(client, DESCRIPTION, callback_url="http://127.0.0.1:9/x")
    log = sandbox.callbacks(request_id)
    assert log is not None
    assert log["request_id"] == request_id
    assert sandbox.callbacks("f" * 64) is None
    sandbox.faults.update({"fail_requests": 1})
    assert (await client.get("/person/leads")).status_code == 500


async def test_oldest_searches_are_forgotten_past_the_cap(start: StartSandbox) -> None:
    async with (
        start(max_searches=2) as sandbox,
        httpx.AsyncClient(
            base_url=sandbox.base_url,
            headers={"X-API-Key": "sandbox-key", "X-API-Secret": "sandbox-secret"},
        ) as http,
    ):
        ids = [await submit(http, DESCRIPTION) for _ in range(3)]
        statuses = [
            (await http.get("/person/leads", params={"request_id": rid})).status_code for rid in ids
        ]
        assert statuses == [404, 200, 200]


async def test_start_sandbox_cleans_up_on_exit() -> None:
    async with start_sandbox(SandboxConfig(speed=500), engine=FakeEngine()) as sandbox:
        url = sandbox.base_url
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(url + "/sandbox")


async def test_polls_reuse_the_settled_search(
    client: httpx.AsyncClient, sandbox: RunningSandbox, fake_engine: FakeEngine
) -> None:
    """The engine runs once per search and the completed body is serialised once, so
    polling a finished search costs a lookup and a concatenation (GET throughput)."""
    request_id = await submit(client, DESCRIPTION)
    first = (await wait_for_terminal(client, request_id))["data"]
    record = sandbox.service.store.get(request_id)
    assert record is not None
    assert record.outcome is not None
    cached = record.outcome.data_json
    for _ in range(20):
        response = await client.get("/person/leads", params={"request_id": request_id})
        assert response.json()["data"] == first
    assert fake_engine.calls == [DESCRIPTION]
    assert record.outcome.data_json is cached
