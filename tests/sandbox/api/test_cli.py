"""``python -m sandbox`` as a subprocess: prints where it listens, serves, exits 0 on a signal."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]
AUTH = {"X-API-Key": "sandbox-key", "X-API-Secret": "sandbox-secret"}
BANNER = re.compile(r"listening on (http://127\.0\.0\.1:(\d+)) ")


@pytest.mark.integration
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_cli_serves_then_exits_cleanly_on_signal(signum: signal.Signals) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        "0",
        "--speed",
        "500",
        "--fault",
        "fail_requests=1",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=120)).decode()
        match = BANNER.search(line)
        assert match, line
        base_url = match.group(1)
        assert int(match.group(2)) > 0
        assert f"Slack API {base_url}/slack/api/" in line
        assert "'sandbox-key'" in line
        assert "'sandbox-secret'" in line
        async with httpx.AsyncClient(base_url=base_url, headers=AUTH) as http:
            assert (await http.get("/person/leads")).status_code == 500  # --fault took effect
            response = await http.post(
                "/person/leads",
                json={"search_description": "CTOs at fintech companies discussing cloud migration"},
            )
            assert response.status_code == 202
            assert (await http.get("/sandbox")).json()["data"]["speed"] == 500.0
        process.send_signal(signum)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
        assert process.stderr is not None
        errors = (await process.stderr.read()).decode()
        assert "Traceback" not in errors
        assert "sandbox-secret" not in errors  # the secret is printed once, never logged
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.parametrize(
    "args",
    [["--speed", "0"], ["--fault", "nope=1"], ["--fault", "fail_requests"], ["--port", "x"]],
)
def test_cli_rejects_bad_arguments(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_cli_help_lists_the_faults() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for name in (
        "fail_requests",
        "fail_after_create",
        "latency_ms",
        "drop_callbacks",
        "slow_search",
        "--speed",
    ):
        assert name in result.stdout
