"""Unit tests of how the ``leads`` command reports failures on the terminal."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import typer
from rich.console import Console

import cli.main
from cli.exit_codes import ExitCode
from cli.output import OutputFormat
from shared.models import Lead
from shared.settings import Settings
from shared.state.records import Origin, SearchRecord, SearchState

HOSTILE_ERROR = (
    "bad [/bold] input, see [link=https://evil.example]the docs[/link]\x1b[2J "
    "\x1b]8;;https://evil.example\x1b\\here\x1b]8;;\x1b\\"
)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Make the command's stderr a colour terminal, recorded in the returned buffer."""
    buffer = io.StringIO()
    monkeypatch.setattr(
        cli.main,
        "_stderr",
        lambda: Console(file=buffer, force_terminal=True, width=300, highlight=False),
    )
    return buffer


async def no_leads() -> list[Lead]:
    """The leads of a failed search: none."""
    return []


async def test_a_failed_search_with_markup_in_its_error_exits_6_and_shows_it_literally(
    terminal: io.StringIO,
) -> None:
    # Before: the API's error was parsed as Rich markup: "[/bold]" raised MarkupError (a
    # traceback and exit code 1, not 6) and "[link=…]" put a hidden hyperlink on screen.
    failed = SearchRecord(
        request_id="b" * 64,
        description="CTOs talking about cloud costs",
        origin=Origin(front="cli"),
        status=SearchState.FAILED,
        created_at=datetime(2026, 1, 14, tzinfo=UTC),
        error=HOSTILE_ERROR,
    )
    with pytest.raises(typer.Exit) as exit_:
        await cli.main._print_outcome(failed, no_leads, OutputFormat.TABLE, None)
    assert exit_.value.exit_code == ExitCode.SEARCH_FAILED
    shown = terminal.getvalue()
    assert "leads:" in shown
    assert "bad [/bold] input, see [link=https://evil.example]the docs[/link][2J" in shown
    assert "\x1b]8;" not in shown  # no hyperlink, from the markup or from the raw sequence
    assert "\x1b[2J" not in shown


@pytest.fixture
def quiet_loggers() -> Iterator[None]:
    """Put back the logger levels a CLI run changes, for the tests that come after."""
    names = ("shared.state.connection", "shared.runtime")
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_every_secret_setting_is_redacted_from_the_cli_logs(
    monkeypatch: pytest.MonkeyPatch, quiet_loggers: None
) -> None:
    # Before: the CLI redacted only the API key and secret, so a log line quoting
    # REDIS_URL (with its password), a Slack token or MCP_AUTH_TOKEN showed it in clear.
    secrets = {
        "nyne_api_key": "key-1234567",
        "nyne_api_secret": "secret-1234567",
        "redis_url": "redis://:hunter2-password@redis.internal:6379/0",
        "slack_bot_token": "xoxb-bot-token",
        "slack_signing_secret": "signing-secret-123",
        "slack_app_token": "xapp-app-token",
        "mcp_auth_token": "mcp-token-1234567",
    }
    settings = Settings(_env_file=None, **secrets)  # type: ignore[arg-type]
    logging_setup: dict[str, Any] = {}
    monkeypatch.setattr(cli.main, "load_settings", lambda: settings)
    monkeypatch.setattr(cli.main, "configure_logging", lambda **kw: logging_setup.update(kw))

    async def work(settings: Settings) -> ExitCode:
        return ExitCode.OK

    with pytest.raises(typer.Exit) as exit_:
        cli.main._run(work, verbose=False)
    assert exit_.value.exit_code == ExitCode.OK
    # The REDIS_URL password is listed on its own as well.
    expected = [*secrets.values(), "hunter2-password"]
    assert sorted(logging_setup["secrets"]) == sorted(expected)
