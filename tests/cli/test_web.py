"""``leads-web``, the Procfile's ``web``: on ``$PORT``, the bot or the MCP server.

Real processes on a free port, started as a platform starts them: settings in the
environment only, ``PORT`` set, and nothing else.
"""

from __future__ import annotations

import json
import os
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
    assert status in (200, 503)
    assert "redis" in json.loads(body)


def test_leads_web_mcp_serves_the_mcp_server_on_port_behind_the_token() -> None:
    with web_process(LEADS_WEB="mcp", MCP_AUTH_TOKEN="t" * 32) as port:
        status, _ = _request(f"http://127.0.0.1:{port}/mcp", b"{}")
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
