"""``leads``: lead search from a terminal or a script.

Built on Typer (Click underneath: option parsing, help, usage errors with exit code 2)
and Rich (the table and the live progress line). Results go to stdout; progress, notices
and errors go to stderr, so piped output stays machine-readable.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any, NoReturn

import redis.exceptions
import typer
from rich.console import Console
from rich.text import Text

from cli.exit_codes import EXIT_CODES_HELP, ExitCode
from cli.output import OutputFormat, render, search_summary
from sandbox.launch import embedded_sandbox
from shared.errors import (
    APIError,
    AuthenticationError,
    InvalidDescriptionError,
    InvalidRequestIdError,
    LookupLimitError,
    NotFoundError,
    RateLimitError,
)
from shared.logs import configure_logging
from shared.models import Lead
from shared.runtime import Runtime, open_runtime
from shared.settings import Settings, SettingsError, load_settings
from shared.state.connection import describe_redis_error
from shared.state.records import Origin, SearchRecord, SearchState
from shared.untrusted import clean

CLI_ORIGIN = Origin(front="cli")
"""What the core records as the origin of the searches started here."""
CLI_CALLER = "cli"
"""Whose allowance of lookups that must ask the API a run spends: one for every CLI run."""


@asynccontextmanager
async def _open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """One command's runtime; without API credentials, start the sandbox first and say so."""
    if settings.uses_sandbox:
        _stderr().print(
            "No NYNE_API_KEY set: using the local sandbox (synthetic people, "
            f"{settings.leads_sandbox_speed:g}x faster than the real API)."
        )
    async with (
        embedded_sandbox(settings.uses_sandbox, settings.leads_sandbox_speed) as sandbox_url,
        open_runtime(settings, sandbox_url=sandbox_url) as runtime,
    ):
        yield runtime


__all__ = ["app", "main"]

log = logging.getLogger(__name__)

app = typer.Typer(
    name="leads",
    help="Find people by describing them in plain English (Person Leads API).\n\n"
    "Exit codes:\n\n" + EXIT_CODES_HELP.replace("\n", "\n\n"),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

FormatOption = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format. Default: table on a terminal, json when piped.",
        case_sensitive=False,
    ),
]


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _say(message: str) -> None:
    """A line on stderr. ``message`` may hold API text: it is cleaned, never read as markup."""
    _stderr().print(Text(clean(message)), soft_wrap=True)


def _fail(code: ExitCode, message: str) -> NoReturn:
    """Say what went wrong on stderr and exit with ``code``.

    ``message`` may quote the API (a search's error, an error answer's message), so it is
    cleaned and printed as plain text: "[/bold]" in it is shown, not parsed as markup.
    """
    line = Text("leads: ", style="bold red")
    line.append(clean(message))
    _stderr().print(line, soft_wrap=True)
    raise typer.Exit(code)


def _run(work: Callable[[Settings], Coroutine[Any, Any, ExitCode]], *, verbose: bool) -> None:
    """Load settings, run ``work``, and turn every expected failure into its exit code."""
    try:
        settings = load_settings()
    except SettingsError as err:
        _fail(ExitCode.USAGE, str(err))
    configure_logging(
        fmt=settings.leads_log_format,
        level="INFO" if verbose else "WARNING",
        secrets=settings.secret_values(),
    )
    if not verbose:
        # The in-process store and the sandbox are the CLI's normal mode, not news worth a
        # warning (the sandbox gets a plain notice on stderr instead).
        for name in ("shared.state.connection", "shared.runtime"):
            logging.getLogger(name).setLevel(logging.ERROR)
    for warning in settings.plain_http_warnings():
        log.warning(warning)
    try:
        code = asyncio.run(work(settings))
    except (InvalidDescriptionError, InvalidRequestIdError) as err:
        _fail(ExitCode.USAGE, err.message)
    except AuthenticationError:
        _fail(
            ExitCode.AUTH,
            "the Person Leads API refused the credentials: check NYNE_API_KEY and NYNE_API_SECRET.",
        )
    except RateLimitError as err:
        when = f" in {err.retry_after:.0f} s" if err.retry_after else " later"
        _fail(ExitCode.RATE_LIMITED, f"the API request budget is used up; retry{when}.")
    except LookupLimitError as err:
        _fail(
            ExitCode.RATE_LIMITED,
            f"too many lookups of unknown searches; try again in {err.retry_after} s.",
        )
    except NotFoundError:
        _fail(ExitCode.NOT_FOUND, "no search with that request ID.")
    except APIError as err:
        _fail(ExitCode.API_ERROR, f"{err.message} Try again in a minute.")
    except (redis.exceptions.RedisError, OSError) as err:
        log.debug("redis failure", exc_info=True)
        _fail(ExitCode.API_ERROR, describe_redis_error(err))
    except KeyboardInterrupt:
        _fail(ExitCode.ERROR, "interrupted.")
    raise typer.Exit(code)


class Progress:
    """The live phase line on stderr (only when stderr is a terminal)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self._status = console.status("Submitting…") if self.live else None

    def __enter__(self) -> Progress:
        if self._status is not None:
            self._status.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(None, None, None)

    def update(self, record: SearchRecord) -> None:
        if self._status is not None:
            self._status.update(
                Text(clean(f"{record.status.value.capitalize()}… ({record.request_id[:12]})"))
            )


def _pick_format(fmt: OutputFormat | None) -> OutputFormat:
    if fmt is not None:
        return fmt
    return OutputFormat.TABLE if sys.stdout.isatty() else OutputFormat.JSON


async def _print_outcome(
    record: SearchRecord,
    load_leads: Callable[[], Awaitable[list[Lead]]],
    fmt: OutputFormat,
    limit: int | None,
) -> ExitCode:
    """Print a finished search (or fail with its exit code)."""
    console = Console(highlight=False)
    if record.status is SearchState.COMPLETED:
        leads = await load_leads()
        if limit is not None:
            leads = leads[:limit]
        text = render(fmt, record, leads, console)
        if text is not None:
            print(text)
        if not leads:
            _say("No leads found — no credit was spent.")
        return ExitCode.OK
    if record.is_terminal:
        _fail(
            ExitCode.SEARCH_FAILED,
            f"the search {record.status.value}: {record.error or 'no reason given'}",
        )
    _fail(
        ExitCode.STILL_RUNNING,
        f"search {record.request_id} is still {record.status.value}; check it later with "
        f"`leads status {record.request_id}`.",
    )


def _pending_text(fmt: OutputFormat, record: SearchRecord) -> str:
    """A search still running: its facts as JSON, or its ID and status for people."""
    if fmt in (OutputFormat.JSON, OutputFormat.JSONL):
        return json.dumps(search_summary(record))
    if fmt is OutputFormat.CSV:
        return f"request_id,status\n{record.request_id},{record.status.value}"
    return f"{record.request_id} {record.status.value}"


@app.command()
def search(
    description: Annotated[
        str, typer.Argument(help="Who you are looking for (10–2000 characters).")
    ],
    wait: Annotated[
        bool,
        typer.Option("--wait/--no-wait", help="Wait for the results (default) or just submit."),
    ] = True,
    fmt: FormatOption = None,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh", help="Always run a new search (no reuse of a recent identical one)."
        ),
    ] = False,
    max_results: Annotated[
        int | None, typer.Option("--max", min=1, help="Show at most this many leads.")
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds to wait with --wait.")
    ] = 300,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log lifecycle events to stderr.")
    ] = False,
) -> None:
    """Search for leads matching a description."""

    async def work(settings: Settings) -> ExitCode:
        async with _open_runtime(settings) as runtime:
            service = runtime.service
            result = await service.submit(description, CLI_ORIGIN, fresh=fresh)
            record = result.search
            if result.reused:
                _say(f"Reusing a recent identical search ({record.request_id}).")
            if not wait:
                print(_pending_text(_pick_format(fmt), record))
                if runtime.endpoint.sandbox:
                    _say(
                        "Note: this search lives in the embedded sandbox, which stops when "
                        "this command exits. Run `leads sandbox` and point NYNE_BASE_URL at it "
                        "to follow searches across commands."
                    )
                return ExitCode.OK
            with Progress(_stderr()) as progress:
                record = await service.wait(
                    record.request_id, timeout=timeout, on_status=progress.update
                )
            return await _print_outcome(
                record, lambda: service.results(record.request_id), _pick_format(fmt), max_results
            )

    _run(work, verbose=verbose)


@app.command()
def status(
    request_id: Annotated[str, typer.Argument(help="The request ID a search returned.")],
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait for it to finish (default: no).")
    ] = False,
    fmt: FormatOption = None,
    max_results: Annotated[
        int | None, typer.Option("--max", min=1, help="Show at most this many leads.")
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds to wait.")] = 300,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log to stderr.")] = False,
) -> None:
    """Show a search's status, and its results once completed."""

    async def work(settings: Settings) -> ExitCode:
        async with _open_runtime(settings) as runtime:
            service = runtime.service
            record = await service.lookup(request_id, CLI_ORIGIN, caller=CLI_CALLER)
            if not record.is_terminal:
                record = await service.refresh(record.request_id) or record
            if wait and not record.is_terminal:
                with Progress(_stderr()) as progress:
                    record = await service.wait(
                        record.request_id, timeout=timeout, on_status=progress.update
                    )
            if not record.is_terminal and not wait:
                print(_pending_text(_pick_format(fmt), record))
                return ExitCode.OK
            return await _print_outcome(
                record, lambda: service.results(record.request_id), _pick_format(fmt), max_results
            )

    _run(work, verbose=verbose)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def sandbox(ctx: typer.Context) -> None:
    """Run the local sandbox (Person Leads API + Slack stand-in). --help for its options."""
    from sandbox.__main__ import main as sandbox_main

    raise typer.Exit(sandbox_main(ctx.args, prog="leads sandbox"))


@app.command()
def demo() -> None:
    """Run the whole product on embedded defaults: sandbox, bot, Slack stand-in, MCP."""
    from cli.demo import main as demo_main

    raise typer.Exit(demo_main())


def main() -> None:
    """Console-script entry point."""
    app()
