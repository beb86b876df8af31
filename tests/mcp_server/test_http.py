"""``python -m mcp_server --transport streamable-http``: bearer token, Host/Origin checks,
the official client over real HTTP, and the refusal to listen off loopback unprotected.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_server.http import (
    MIN_AUTH_TOKEN_LENGTH,
    exposure_problem,
    is_loopback,
    transport_security,
)
from shared.logs import MIN_REDACTED_LENGTH
from tests.mcp_server.support import (
    DESCRIPTION,
    INITIALIZE,
    ProgressLog,
    child_env,
    outcome_of,
    server_command,
)
from tests.support.servers import free_port
from tests.support.waiting import wait_until_sync

TOKEN = "test-token-0123456789abcdef-0123456789"
EVERYWHERE = "0.0.0.0"  # noqa: S104 - what a user might pass; nothing binds it here
PUBLIC_HOST = "mcp.example.com"
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


@dataclass
class HttpServer:
    url: str
    port: int
    stderr: Path
    pid: int


def _listening(port: int, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        return True  # exited: stop waiting, the fixture reports it
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
    except httpx.TransportError:
        return False
    return True


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    """The server over HTTP with a token, accepting the public hostname too."""
    workdir = tmp_path_factory.mktemp("mcp-http")
    stderr = workdir / "stderr.log"
    port = free_port()
    args = ["--transport", "streamable-http", "--port", str(port), "--allowed-host", PUBLIC_HOST]
    with stderr.open("wb") as errlog:
        process = subprocess.Popen(
            server_command(*args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errlog,
            env=child_env(MCP_AUTH_TOKEN=TOKEN),
            cwd=workdir,
        )
    try:
        wait_until_sync(lambda: _listening(port, process), timeout=60, message="the server")
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}: {stderr.read_text()}")
        yield HttpServer(f"http://127.0.0.1:{port}/mcp", port, stderr, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _post(server: HttpServer, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(server.url, json=INITIALIZE, headers={**MCP_HEADERS, **headers}, timeout=10)


@pytest.mark.integration
def test_a_request_without_the_token_is_refused(http_server: HttpServer) -> None:
    response = _post(http_server, {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "MCP_AUTH_TOKEN" in response.json()["error_description"]
    # Every path, not only the MCP endpoint.
    assert httpx.get(f"http://127.0.0.1:{http_server.port}/", timeout=10).status_code == 401
    assert httpx.get(http_server.url, timeout=10).status_code == 401


@pytest.mark.integration
@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {TOKEN}x", "Bearer", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN[:-1]}"],
)
def test_a_request_with_a_wrong_token_is_refused(
    http_server: HttpServer, authorization: str
) -> None:
    response = _post(http_server, {"Authorization": authorization})
    assert response.status_code == 401


@pytest.mark.integration
def test_the_right_token_is_let_in(http_server: HttpServer) -> None:
    response = _post(http_server, {"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert "serverInfo" in response.text
    assert TOKEN not in http_server.stderr.read_text()  # never logged


def _open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.integration
def test_get_on_the_stateless_endpoint_gets_405_and_holds_nothing_open(
    http_server: HttpServer,
) -> None:
    # Regression: GET /mcp opened an SSE stream that never closed (one fd and ~80 KB each).
    if not Path(f"/proc/{http_server.pid}/fd").is_dir():
        pytest.skip("needs /proc to count the server's open files")
    headers = {"Accept": "text/event-stream", "Authorization": f"Bearer {TOKEN}"}
    assert _post(http_server, {"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    before = _open_files(http_server.pid)
    for _ in range(30):
        # A read timeout would mean the stream is back: the caller gets an answer at once.
        response = httpx.get(http_server.url, headers=headers, timeout=5)
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert response.json()["error"]["message"].startswith("Method Not Allowed")
    # Each GET's connection is closed by the client; the server lets go of all of them.
    wait_until_sync(
        lambda: _open_files(http_server.pid) <= before,
        timeout=10,
        message="the server to close the GET connections",
    )
    # Without the token the caller still gets 401, not 405 (the token check comes first).
    assert httpx.get(http_server.url, headers={"Accept": "text/event-stream"}).status_code == 401
    # POST, the way requests are made, still works.
    response = _post(http_server, {"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert "serverInfo" in response.text


@pytest.mark.integration
@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Host": PUBLIC_HOST}, 200),
        ({"Host": f"{PUBLIC_HOST}:443"}, 200),
        ({"Host": "evil.example"}, 421),
        ({"Origin": "https://evil.example"}, 403),
        ({"Origin": "http://localhost:3000"}, 200),
    ],
)
def test_host_and_origin_are_checked(
    http_server: HttpServer, headers: dict[str, str], status: int
) -> None:
    response = _post(http_server, {"Authorization": f"Bearer {TOKEN}", **headers})
    assert response.status_code == status


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_the_official_client_searches_over_http(http_server: HttpServer, mode: str) -> None:
    progress = ProgressLog()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=90)) as http,
        Client(streamable_http_client(http_server.url, http_client=http), mode=mode) as client,
    ):
        tools = (await client.list_tools()).tools
        result = await client.call_tool(
            "search_leads",
            {"description": DESCRIPTION, "wait_seconds": 30},
            progress_callback=progress,
        )
    assert len(tools) == 8  # four search tools, four watch tools
    outcome = outcome_of(result)
    assert outcome.status == "completed"
    assert outcome.source == "sandbox"
    assert progress.phases[-1] == "completed"


@pytest.mark.integration
async def test_the_official_client_fails_with_a_wrong_token(http_server: HttpServer) -> None:
    with pytest.raises(BaseException) as caught:  # noqa: PT011 - an ExceptionGroup of MCPError
        async with (
            httpx2.AsyncClient(headers={"Authorization": "Bearer nope"}) as http,
            Client(streamable_http_client(http_server.url, http_client=http)) as client,
        ):
            await client.list_tools()
    assert not isinstance(caught.value, (KeyboardInterrupt, SystemExit))


def _run_main(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        server_command(*args),
        env=child_env(**env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.integration
def test_listening_off_loopback_without_a_token_is_refused(tmp_path: Path) -> None:
    done = _run_main(tmp_path, "--transport", "streamable-http", "--host", EVERYWHERE)
    assert done.returncode == 2
    assert "MCP_AUTH_TOKEN" in done.stderr
    assert EVERYWHERE in done.stderr
    assert done.stdout == ""


@pytest.mark.integration
@pytest.mark.parametrize("short_token", ["a", "s3cret", "t" * (MIN_AUTH_TOKEN_LENGTH - 1)])
def test_listening_off_loopback_with_a_short_token_is_refused(
    tmp_path: Path, short_token: str
) -> None:
    done = _run_main(
        tmp_path, "--transport", "streamable-http", "--host", EVERYWHERE, MCP_AUTH_TOKEN=short_token
    )
    # The caller sees exit status 2 and a message naming the variable and how to make one,
    # without the token in it.
    assert done.returncode == 2
    assert "MCP_AUTH_TOKEN" in done.stderr
    assert f"at least {MIN_AUTH_TOKEN_LENGTH}" in done.stderr
    assert "secrets.token_urlsafe(32)" in done.stderr
    assert f"={short_token}" not in done.stderr
    assert done.stdout == ""


@pytest.mark.integration
def test_invalid_settings_stop_the_server_with_a_clear_message(tmp_path: Path) -> None:
    done = _run_main(tmp_path, NYNE_API_KEY="key-without-secret")
    assert done.returncode == 2
    assert "NYNE_API_SECRET" in done.stderr
    assert done.stdout == ""


def test_loopback_hosts() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.9.9.9", "localhost", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in (EVERYWHERE, "::", "10.0.0.5", "mcp.example.com"))


def test_exposure_needs_a_long_token_off_loopback_only() -> None:
    assert exposure_problem("127.0.0.1", None) is None
    assert exposure_problem("127.0.0.1", "a") is None
    assert exposure_problem(EVERYWHERE, "t" * MIN_AUTH_TOKEN_LENGTH) is None
    for token in (None, "", "token", "t" * (MIN_AUTH_TOKEN_LENGTH - 1)):
        problem = exposure_problem(EVERYWHERE, token)
        assert problem is not None
        assert "MCP_AUTH_TOKEN" in problem
        assert "secrets.token_urlsafe(32)" in problem


def test_a_token_long_enough_to_serve_off_loopback_is_redacted_from_logs() -> None:
    # The log redaction skips short values; the token floor must stay above it.
    assert MIN_AUTH_TOKEN_LENGTH >= MIN_REDACTED_LENGTH


def test_transport_security_allowlists() -> None:
    local = transport_security("127.0.0.1")
    assert local.enable_dns_rebinding_protection
    assert "localhost:*" in local.allowed_hosts
    public = transport_security(EVERYWHERE, ["mcp.example.com", "other.example:8443"])
    assert public.enable_dns_rebinding_protection
    assert {"mcp.example.com", "mcp.example.com:*", "other.example:8443"} <= set(
        public.allowed_hosts
    )
    origins = transport_security("127.0.0.1", [], ["https://app.example.com"]).allowed_origins
    assert "https://app.example.com" in origins
    # Off loopback with no hostname given, the token guards the server instead.
    assert not transport_security(EVERYWHERE).enable_dns_rebinding_protection


@pytest.mark.integration
def test_a_plain_http_url_setting_is_warned_about_once_at_start_up(tmp_path: Path) -> None:
    # stdio with stdin at EOF: the server starts, logs, and stops.
    done = _run_main(
        tmp_path,
        PUBLIC_BASE_URL="http://leads.example.com/",
        SLACK_API_URL="http://127.0.0.1:9/api/",  # loopback: fine
    )
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "plain http://" in line]
    # The operator sees one WARNING line naming the setting and the host.
    assert len(warnings) == 1, done.stderr
    assert "level=warning" in warnings[0]
    assert "PUBLIC_BASE_URL" in warnings[0]
    assert "leads.example.com" in warnings[0]
