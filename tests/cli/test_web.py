"""``leads-web``, the Procfile's ``web``: on ``$PORT``, the bot or the MCP server.

Real processes on a free port, started as a platform starts them: settings in the
environment only, ``PORT`` set, and nothing else. The platform's router reaches the process
from outside its container, so each mode must listen beyond loopback: it is reached through
this host's own non-loopback address (or, on a host without one, seen bound to every
interface in ``/proc/net/tcp``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.servers import free_port
from tests.support.waiting import wait_until_sync

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


@contextmanager
def web_process(**settings: str) -> Iterator[int]:
    """``leads-web`` with ``settings`` on a free ``PORT``; yields the port once it answers."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NYNE_", "LEADS_", "REDIS_", "SLACK_", "MCP_", "PORT"))
    }
    env |= {"PYTHONPATH": str(ROOT), "PORT": str(port), **settings}
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from cli.web import main; sys.exit(main())"],
        env=env,
        cwd="/",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_sync(
            lambda: process.poll() is not None or _answers(port),
            timeout=60,
            message="leads-web to answer on $PORT",
        )
        assert process.poll() is None, process.communicate()[1]
        yield port
    finally:
        process.terminate()
        process.communicate(timeout=30)


def _answers(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
    except urllib.error.HTTPError:
        return True  # any HTTP answer: it is listening
    except OSError:
        return False
    return True


def _host_addresses() -> list[str]:
    """This host's own addresses other than loopback (none on a loopback-only host)."""
    found: set[str] = set()
    with contextlib.suppress(OSError):
        for *_, sockaddr in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(sockaddr[0]))
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # UDP: sends nothing, only picks the outgoing address
        found.add(probe.getsockname()[0])
    usable = (ipaddress.ip_address(address) for address in found)
    return sorted(str(a) for a in usable if not (a.is_loopback or a.is_unspecified))


def _listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port``, from ``/proc/net/tcp{,6}``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)  # each 32-bit word in host (little-endian) order
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(str(ipaddress.ip_address(words)))
    return found


def assert_listens_beyond_loopback(port: int) -> None:
    """A router from outside can reach ``port``: a 127.0.0.1-only bind fails here."""
    addresses = _host_addresses()
    if addresses:
        # Refused outright if the process bound loopback only.
        socket.create_connection((addresses[0], port), timeout=10).close()
        return
    listening = _listening_addresses(port)
    assert listening, f"nothing listens on {port}"
    assert not all(ipaddress.ip_address(a).is_loopback for a in listening), listening


def test_the_beyond_loopback_check_tells_the_binds_apart() -> None:
    # The /proc fallback, on sockets of our own: used where the host has no other address.
    with socket.socket() as loopback, socket.socket() as everywhere:
        loopback.bind(("127.0.0.1", 0))
        loopback.listen()
        everywhere.bind(("0.0.0.0", 0))  # noqa: S104
        everywhere.listen()
        assert _listening_addresses(loopback.getsockname()[1]) == {"127.0.0.1"}
        (address,) = _listening_addresses(everywhere.getsockname()[1])
        assert ipaddress.ip_address(address).is_unspecified
        if _host_addresses():
            with pytest.raises(ConnectionRefusedError):
                assert_listens_beyond_loopback(loopback.getsockname()[1])
        else:
            with pytest.raises(AssertionError):
                assert_listens_beyond_loopback(loopback.getsockname()[1])
        assert_listens_beyond_loopback(everywhere.getsockname()[1])


def _request(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 - loopback
        url, data, {"Content-Type": "application/json", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_by_default_the_web_process_is_the_slack_bot_on_port() -> None:
    settings = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "test-secret"}
    with web_process(**settings) as port:
        status, body = _request(f"http://127.0.0.1:{port}/healthz")
        assert_listens_beyond_loopback(port)
    assert status in (200, 503)
    assert "redis" in json.loads(body)


def test_leads_web_mcp_serves_the_mcp_server_on_port_behind_the_token() -> None:
    with web_process(LEADS_WEB="mcp", MCP_AUTH_TOKEN="t" * 32) as port:
        status, _ = _request(f"http://127.0.0.1:{port}/mcp", b"{}")
        assert_listens_beyond_loopback(port)
    assert status == 401  # the platform routes the public to it: the token is required


def test_leads_web_mcp_without_a_token_refuses_to_start() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MCP_", "LEADS_"))}
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from cli.web import main; sys.exit(main())"],
        env=env | {"PYTHONPATH": str(ROOT), "LEADS_WEB": "mcp", "PORT": str(free_port())},
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "MCP_AUTH_TOKEN" in done.stderr


def test_an_unknown_leads_web_is_refused_naming_it() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from cli.web import main; sys.exit(main())"],
        env=os.environ | {"PYTHONPATH": str(ROOT), "LEADS_WEB": "worker"},
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "LEADS_WEB" in done.stderr
