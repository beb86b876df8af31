"""``leads watch add|list|run|rm`` as a subprocess: the sandbox over real HTTP, a real Redis
(watches outlive one command), the same formats and exit codes as ``leads search``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator

import pytest

from cli.exit_codes import ExitCode
from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from tests.cli.test_cli import env_for, leads

pytestmark = pytest.mark.integration

DESCRIPTION = "Real estate agents in California looking for CRM solutions"


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with start_sandbox(SandboxConfig(speed=300)) as running:
        yield running


async def test_add_run_list_and_rm(sandbox: RunningSandbox, redis_url: str) -> None:
    env = env_for(sandbox, REDIS_URL=redis_url)
    added = await leads("watch", "add", "daily", DESCRIPTION, "--format", "json", env=env)
    assert added.returncode == ExitCode.OK, added.stderr
    [watch] = json.loads(added.stdout)
    watch_id = watch["watch_id"]
    assert (watch["schedule"], watch["channel_id"], watch["last_run"]) == ("daily", None, None)
    assert "at most 10 API requests" in added.stderr

    first = await leads("watch", "run", watch_id, "--format", "json", env=env)
    assert first.returncode == ExitCode.OK, first.stderr
    body = json.loads(first.stdout)
    assert body["status"] == "completed"  # the same JSON as `leads search`
    assert len(body["leads"]) == body["results_count"] >= 5
    assert f"{len(body['leads'])} new, 0 seen before." in first.stderr

    again = await leads("watch", "run", watch_id, "--format", "jsonl", env=env)
    assert again.returncode == ExitCode.OK, again.stderr
    assert again.stdout.strip() == ""  # nobody new
    assert f"0 new, {len(body['leads'])} seen before." in again.stderr

    listed = await leads("watch", "list", "--format", "csv", env=env)
    assert listed.returncode == ExitCode.OK, listed.stderr
    header, row = listed.stdout.strip().splitlines()
    assert header.startswith("watch_id,description,schedule")
    assert row.startswith(f"{watch_id},")
    assert ",nothing_new,0," in row

    removed = await leads("watch", "rm", watch_id, env=env)
    assert removed.returncode == ExitCode.OK, removed.stderr
    assert f"Deleted watch {watch_id}." in removed.stderr
    gone = await leads("watch", "rm", watch_id, env=env)
    assert gone.returncode == ExitCode.NOT_FOUND
    assert f"No watch {watch_id} here." in gone.stderr


async def test_a_typed_description_is_listed_defused_and_escaped(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    # Before: `watch list` wrote the description as typed: a CSV cell a spreadsheet runs as
    # a formula, and bidi, zero-width and TAG characters raw in JSON on a terminal.
    typed = '=HYPERLINK("https://evil.example","CTOs")\u202e\u200b\U000e0041 in fintech'
    env = env_for(sandbox, REDIS_URL=redis_url)
    added = await leads("watch", "add", "weekly", typed, "--format", "csv", env=env)
    assert added.returncode == ExitCode.OK, added.stderr
    listed = await leads("watch", "list", "--format", "csv", env=env)
    assert listed.returncode == ExitCode.OK, listed.stderr
    [row] = csv.DictReader(io.StringIO(listed.stdout))
    assert row["description"] == '\'=HYPERLINK("https://evil.example","CTOs") in fintech'
    as_json = await leads("watch", "list", "--format", "json", env=env)
    assert as_json.returncode == ExitCode.OK, as_json.stderr
    assert "\\u202e\\u200b\\udb40\\udc41 in fintech" in as_json.stdout
    assert not {"\u202e", "\u200b", "\U000e0041"} & set(as_json.stdout)
    [watch] = json.loads(as_json.stdout)
    assert watch["description"] == typed  # programs still get what was typed


async def test_bad_input_and_the_budget_have_their_exit_codes(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    env = env_for(sandbox, REDIS_URL=redis_url, LEADS_RATE_LIMIT_PER_HOUR="20")
    monthly = await leads("watch", "add", "monthly", DESCRIPTION, env=env)
    assert monthly.returncode == ExitCode.USAGE
    assert "schedule must be hourly, daily or weekly, not 'monthly'" in monthly.stderr
    short = await leads("watch", "add", "daily", "CRM", env=env)
    assert short.returncode == ExitCode.USAGE
    unknown = await leads("watch", "run", "w00000000", env=env)
    assert unknown.returncode == ExitCode.NOT_FOUND
    assert "No watch w00000000." in unknown.stderr
    malformed = await leads("watch", "rm", "yesterday", env=env)
    assert malformed.returncode == ExitCode.NOT_FOUND
    assert "'yesterday' is not a watch ID" in malformed.stderr
    ok = await leads("watch", "add", "hourly", DESCRIPTION, env=env)
    assert ok.returncode == ExitCode.OK, ok.stderr
    refused = await leads("watch", "add", "weekly", DESCRIPTION, env=env)
    assert refused.returncode == ExitCode.RATE_LIMITED
    assert "this key sustains about 1 hourly runs" in refused.stderr
