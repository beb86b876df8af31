"""The ``leads`` command as a subprocess against the sandbox over real HTTP.

Each format is parsed as a program would; each documented exit code is produced by the
situation it names; a terminal gets a table and a pipe gets JSON.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from cli.exit_codes import ExitCode
from sandbox.api import service as sandbox_service
from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from shared.runtime import ApiEndpoint, Runtime, open_runtime
from shared.settings import Settings
from tests.support.servers import free_port

pytestmark = pytest.mark.integration

DESCRIPTION = "Real estate agents in California looking for CRM solutions"
LEADS = [sys.executable, "-c", "from cli.main import main; main()"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with start_sandbox(SandboxConfig(speed=300)) as running:
        yield running


def env_for(sandbox: RunningSandbox | None, **extra: str) -> dict[str, str]:
    """A clean environment: no stray settings from the machine running the tests."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NYNE_", "LEADS_", "REDIS_", "SLACK_"))
    }
    if sandbox is not None:
        env |= {
            "NYNE_API_KEY": "sandbox-key",
            "NYNE_API_SECRET": "sandbox-secret",
            "NYNE_BASE_URL": sandbox.base_url,
        }
    return env | extra


async def leads(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``leads ARGS`` with stdout and stderr piped."""
    return await asyncio.to_thread(
        subprocess.run,
        [*LEADS, *args],
        env=env,
        cwd="/",  # any directory: the installed entry point must not need the repo
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_json_output_parses_and_carries_the_leads(sandbox: RunningSandbox) -> None:
    done = await leads("search", DESCRIPTION, "--format", "json", env=env_for(sandbox))
    assert done.returncode == ExitCode.OK, done.stderr
    body = json.loads(done.stdout)
    assert body["status"] == "completed"
    assert body["source"] == "api"  # credentials given: not the embedded sandbox
    assert body["credit_spent"] is True
    assert len(body["leads"]) == body["results_count"] >= 5
    assert all(lead["post_url"].startswith("https://") for lead in body["leads"])


async def test_jsonl_and_max(sandbox: RunningSandbox) -> None:
    done = await leads("search", DESCRIPTION, "-f", "jsonl", "--max", "3", env=env_for(sandbox))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 3
    assert all("author" in json.loads(line) for line in lines)


async def test_csv_parses_with_a_header(sandbox: RunningSandbox) -> None:
    done = await leads("search", DESCRIPTION, "-f", "csv", env=env_for(sandbox))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) >= 5
    assert {"name", "headline", "post_url", "likes", "post_content"} <= set(rows[0])
    for row in rows:  # formula-looking cells are defused for spreadsheets
        assert not row["post_content"].startswith(("=", "+", "-", "@"))


async def test_piped_output_defaults_to_json(sandbox: RunningSandbox) -> None:
    done = await leads("search", DESCRIPTION, env=env_for(sandbox))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "completed"


def run_on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run with stdout on a pseudo-terminal; return the exit code and what it showed."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        args, stdout=terminal, stderr=subprocess.DEVNULL, env=env | {"COLUMNS": "160"}, cwd="/"
    )
    os.close(terminal)
    chunks = []
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return process.wait(timeout=30), b"".join(chunks).decode(errors="replace")


async def test_a_terminal_gets_a_readable_table(sandbox: RunningSandbox) -> None:
    code, shown = await asyncio.to_thread(
        run_on_a_terminal, [*LEADS, "search", DESCRIPTION, "--max", "2"], env_for(sandbox)
    )
    assert code == 0
    assert "2 leads for" in shown
    assert "linkedin.example" in shown or "x.example" in shown
    with pytest.raises(json.JSONDecodeError):
        json.loads(shown)


async def test_no_wait_prints_the_request_id_and_status_follows_it(
    sandbox: RunningSandbox,
) -> None:
    submitted = await leads("search", DESCRIPTION, "--no-wait", "--fresh", env=env_for(sandbox))
    assert submitted.returncode == 0, submitted.stderr
    request_id = json.loads(submitted.stdout)["request_id"]
    followed = await leads("status", request_id, "--wait", "-f", "json", env=env_for(sandbox))
    assert followed.returncode == 0, followed.stderr
    assert json.loads(followed.stdout)["request_id"] == request_id


async def test_no_key_uses_the_sandbox_and_says_so_on_stderr() -> None:
    done = await leads(
        "search",
        DESCRIPTION,
        "-f",
        "json",
        "--max",
        "1",
        env=env_for(None, LEADS_SANDBOX_SPEED="300"),
    )
    assert done.returncode == 0, done.stderr
    assert "using the local sandbox" in done.stderr
    assert json.loads(done.stdout)["source"] == "sandbox"


@pytest.mark.parametrize("description", ["too short", "x" * 2001])
async def test_bad_description_exits_2_with_the_limits(
    sandbox: RunningSandbox, description: str
) -> None:
    done = await leads("search", description, env=env_for(sandbox))
    assert done.returncode == ExitCode.USAGE
    assert "10–2000 characters" in done.stderr
    assert done.stdout == ""
    assert (await sandbox.usage())["searches"]["total"] == 0  # no request was made


async def test_unknown_option_exits_2() -> None:
    done = await leads("search", DESCRIPTION, "--frmat", "json", env=env_for(None))
    assert done.returncode == ExitCode.USAGE


async def test_wrong_credentials_exit_3_naming_the_settings(sandbox: RunningSandbox) -> None:
    env = env_for(sandbox, NYNE_API_SECRET="wrong-secret")
    done = await leads("search", DESCRIPTION, env=env)
    assert done.returncode == ExitCode.AUTH
    assert "NYNE_API_KEY" in done.stderr
    assert "NYNE_API_SECRET" in done.stderr
    assert "wrong-secret" not in done.stderr


async def test_spent_budget_exits_4_saying_when_to_retry(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    env = env_for(sandbox, REDIS_URL=redis_url, LEADS_RATE_LIMIT_PER_HOUR="1")
    first = await leads("search", DESCRIPTION, "--no-wait", env=env)
    assert first.returncode == 0, first.stderr
    second = await leads("search", DESCRIPTION + " today", "--no-wait", env=env)
    assert second.returncode == ExitCode.RATE_LIMITED
    assert "retry in" in second.stderr


async def test_unreachable_api_exits_5() -> None:
    env = env_for(
        None,
        NYNE_API_KEY="k-123456",
        NYNE_API_SECRET="s-123456",
        NYNE_BASE_URL=f"http://127.0.0.1:{free_port()}",
    )
    done = await leads("search", DESCRIPTION, env=env)
    assert done.returncode == ExitCode.API_ERROR
    assert "Could not reach the Person Leads API" in done.stderr


async def test_a_500_after_the_api_created_the_search_makes_one_search_and_says_so(
    sandbox: RunningSandbox,
) -> None:
    # The spec does not promise that a 500 created nothing: this sandbox fault creates the
    # search, then answers 500. A retried POST would create (and bill) a second one.
    sandbox.faults.update({"fail_after_create": 1})
    done = await leads("search", DESCRIPTION, env=env_for(sandbox))
    assert done.returncode == ExitCode.API_ERROR
    assert (
        "leads: the Person Leads API failed while taking the search (an error on its side). "
        "It may or may not have started it, and sent back no request ID, so it was not sent "
        "again. Run the command again if you still want it: it may then run twice."
    ) in done.stderr
    assert "Try again in a minute" not in done.stderr
    assert (await sandbox.usage())["searches"]["total"] == 1  # one command, one API search


async def test_failed_search_exits_6(sandbox: RunningSandbox) -> None:
    sandbox.faults.update({"fail_searches": 1})
    done = await leads("search", DESCRIPTION, env=env_for(sandbox))
    assert done.returncode == ExitCode.SEARCH_FAILED
    assert "failed" in done.stderr


async def test_a_failed_search_whose_error_looks_like_markup_exits_6_and_prints_it(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: Rich parsed the API's error as markup, so "[/bold]" raised MarkupError: the
    # user got a traceback and exit code 1 instead of the reason and exit code 6.
    hostile = "Closing tag [/bold] and [link=https://evil.example]a link[/link]."
    monkeypatch.setitem(sandbox_service.SEARCH_FAILED, "message", hostile + "\x1b[2J")
    sandbox.faults.update({"fail_searches": 1})
    done = await leads("search", DESCRIPTION, env=env_for(sandbox))
    assert done.returncode == ExitCode.SEARCH_FAILED, done.stderr
    assert f"leads: the search failed: {hostile}[2J" in done.stderr
    assert "\x1b" not in done.stderr
    assert "Traceback" not in done.stderr


async def test_wait_running_out_exits_7(sandbox: RunningSandbox) -> None:
    sandbox.faults.update({"slow_search": 1000})
    done = await leads("search", DESCRIPTION, "--timeout", "1", env=env_for(sandbox))
    assert done.returncode == ExitCode.STILL_RUNNING
    assert "leads status" in done.stderr


async def test_unknown_request_id_exits_8(sandbox: RunningSandbox) -> None:
    done = await leads("status", "f" * 64, env=env_for(sandbox))
    assert done.returncode == ExitCode.NOT_FOUND
    assert "no search with that request ID" in done.stderr


async def test_malformed_request_id_exits_2(sandbox: RunningSandbox) -> None:
    done = await leads("status", "not an id", env=env_for(sandbox))
    assert done.returncode == ExitCode.USAGE


async def test_leads_sandbox_serves_until_terminated() -> None:
    process = await asyncio.create_subprocess_exec(
        *LEADS,
        "sandbox",
        "--port",
        "0",
        "--speed",
        "100",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=ROOT,
    )
    assert process.stdout is not None
    banner = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    assert "listening on http://127.0.0.1:" in banner
    process.terminate()
    assert await asyncio.wait_for(process.wait(), 30) == 0


@asynccontextmanager
async def _queue_runner(sandbox: RunningSandbox, redis_url: str) -> AsyncIterator[Runtime]:
    """A long-running process on the same key and Redis (the bot, or the MCP server): it
    runs the queue. Its budget: one search a minute, the first already taken."""
    settings = Settings(_env_file=None, leads_rate_limit_per_minute=1)
    endpoint = ApiEndpoint(sandbox.base_url, "sandbox-key", "sandbox-secret", sandbox=True)
    async with open_runtime(
        settings, endpoint=endpoint, redis_url=redis_url, run_queue=True
    ) as runtime:
        await runtime.limiter.acquire("submit")
        async with asyncio.timeout(10):
            while not await runtime.queue.runners_alive():
                await asyncio.sleep(0.05)
        yield runtime


async def test_a_search_past_the_budget_is_queued_and_followed_by_its_handle(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    env = env_for(sandbox, REDIS_URL=redis_url, LEADS_RATE_LIMIT_PER_MINUTE="1")
    async with _queue_runner(sandbox, redis_url) as runtime:
        queued = await leads("search", DESCRIPTION, "--no-wait", env=env)
        # What a script sees: exit 0, the handle and when it should start on stdout (JSON
        # when stdout is not a terminal), and on stderr why it waits and how to follow it.
        assert queued.returncode == 0, queued.stderr
        waiting = json.loads(queued.stdout)
        handle = waiting["request_id"]
        assert handle.startswith("queued-")
        assert waiting["status"] == "waiting"
        assert waiting["expected_start"]
        assert f"leads status {handle}" in queued.stderr
        table = await leads("status", handle, "-f", "table", env=env)
        assert f"{handle} waiting (expected to start" in table.stdout
        still = await leads("status", handle, "-f", "json", env=env)
        assert still.returncode == 0, still.stderr
        assert json.loads(still.stdout)["status"] == "waiting"
        assert (await sandbox.usage())["searches"]["total"] == 0

        # From now on, a minute goes by every 50 ms for the budget (polls included).
        async def minutes_fly() -> None:
            while True:
                await runtime.connections.redis.delete(runtime.limiter.key)
                await asyncio.sleep(0.05)

        flying = asyncio.create_task(minutes_fly())
        try:
            done = await leads("status", handle, "--wait", "-f", "json", env=env)
        finally:
            flying.cancel()
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["status"] == "completed"
    assert len(body["request_id"]) == 64
    assert (await sandbox.usage())["searches"]["total"] == 1


async def test_a_search_past_the_queue_bound_exits_4_saying_when_to_come_back(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    env = env_for(
        sandbox,
        REDIS_URL=redis_url,
        LEADS_RATE_LIMIT_PER_MINUTE="1",
        LEADS_QUEUE_MAX_WAIT_SECONDS="30",
    )
    async with _queue_runner(sandbox, redis_url):
        refused = await leads("search", DESCRIPTION, "--no-wait", env=env)
    assert refused.returncode == ExitCode.RATE_LIMITED
    assert "not queued:" in refused.stderr
    assert "try again in" in refused.stderr
    assert (await sandbox.usage())["searches"]["total"] == 0
