"""Every console script in ``pyproject.toml`` and its ``python -m`` twin: ``--help`` answers.

``--help`` must work before any setting is read (a newcomer runs it first, with nothing
set), name the command as it was typed, and say what each exit code means.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cli.exit_codes import MEANINGS, ExitCode

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
MODULES = {"leads-bot": "bot", "leads-worker": "bot.worker", "leads-mcp": "mcp_server"}


def bare_env() -> dict[str, str]:
    """No settings at all: what a newcomer has before reading the README."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NYNE_", "LEADS_", "REDIS_", "SLACK_", "MCP_", "PORT"))
    }
    env["PYTHONPATH"] = str(ROOT)
    env["COLUMNS"] = "200"  # help on one line per item, whatever the terminal
    return env


def run_script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run console script ``name`` as its installed wrapper would (``sys.argv[0]`` = name)."""
    module, function = SCRIPTS[name].split(":")
    code = (
        f"import sys; sys.argv[0] = {name!r}; from {module} import {function}; "
        f"sys.exit({function}())"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=bare_env(),
        cwd="/",  # no .env from the checkout
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_scheme_is_one_console_script_per_process() -> None:
    assert set(SCRIPTS) == {"leads", "leads-bot", "leads-worker", "leads-mcp", "leads-web"}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_help_needs_no_settings_and_names_the_command(name: str) -> None:
    done = run_script(name, "--help")
    assert done.returncode == 0, done.stderr
    assert f"sage: {name} " in done.stdout, done.stdout  # argparse "usage:", Typer "Usage:"


@pytest.mark.parametrize(("script", "module"), sorted(MODULES.items()))
def test_python_dash_m_still_works_and_says_so(script: str, module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        env=bare_env(),
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m {module}")


def test_bot_help_says_which_settings_each_mode_needs() -> None:
    out = run_script("leads-bot", "--help").stdout
    assert "SLACK_BOT_TOKEN       the bot token (xoxb-...); required" in out
    assert "required in HTTP mode, unused in Socket Mode" in out


def test_worker_help_lists_the_worker_settings_not_the_bots() -> None:
    out = run_script("leads-worker", "--help").stdout
    # What leads-worker refuses to start without: help must not call them optional.
    assert "REDIS_URL             the Redis the web processes use; required" in out
    assert "NYNE_API_KEY, NYNE_API_SECRET   the API credentials; required" in out
    assert "SLACK_BOT_TOKEN       the bot token (xoxb-...); required" in out
    # The bot's fallbacks and HTTP settings, which the worker does not have.
    assert "unset means an in-process store" not in out
    assert "unset means the embedded sandbox" not in out
    assert "the HTTP port" not in out
    assert "Unused here (no web server): SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, PORT." in out


def test_leads_help_gives_each_exit_code_its_own_meaning() -> None:
    out = run_script("leads", "--help").stdout
    assert "What a script can branch on" not in out
    flat = " ".join(out.replace("│", " ").split())
    for code in ExitCode:
        assert f"{code.value} {MEANINGS[code]}" in flat
    assert len(set(MEANINGS.values())) == len(ExitCode)


def test_leads_sandbox_help_is_in_its_own_name() -> None:
    done = run_script("leads", "sandbox", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: leads sandbox ")
    assert "python -m sandbox" not in done.stdout


def test_settings_errors_still_exit_2_naming_the_variable() -> None:
    done = run_script("leads-bot")
    assert done.returncode == 2
    assert done.stderr.startswith("leads-bot: Missing settings: SLACK_BOT_TOKEN")
