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
from cli.output import OutputFormat, render, render_watches, search_summary, watch_row
from sandbox.launch import embedded_sandbox
from shared.errors import (
    APIError,
    AuthenticationError,
    InternalServerError,
    InvalidDescriptionError,
    InvalidRequestIdError,
    LookupLimitError,
    NotFoundError,
    QueueFullError,
    RateLimitError,
)
from shared.logs import configure_logging
from shared.models import Lead
from shared.queue import QueuedSearch, QueueStage, is_queue_handle
from shared.runtime import Runtime, open_runtime
from shared.service import SubmitResult
from shared.settings import Settings, SettingsError, load_settings
from shared.state.connection import describe_redis_error
from shared.state.records import Origin, SearchRecord, SearchState
from shared.untrusted import clean
from shared.validation import validate_description
from shared.watch.runner import RunOutcome, SeenSetDelivery, WatchRunner
from shared.watch.schedule import parse_schedule
from shared.watch.store import (
    WatchCapError,
    WatchError,
    WatchNotFoundError,
    check_watch_id,
)

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
    except QueueFullError as err:
        _fail(ExitCode.RATE_LIMITED, f"not queued: {err.message}")
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
    except InternalServerError as err:
        if err.request is None or err.request.method != "POST":
            _fail(ExitCode.API_ERROR, f"{err.message} Try again in a minute.")
        # Not retried: a POST answered 5xx may have created the search, and a second POST a
        # second, billed one. No request ID came back, so nothing here can look it up.
        _fail(
            ExitCode.API_ERROR,
            "the Person Leads API failed while taking the search (an error on its side). It "
            "may or may not have started it, and sent back no request ID, so it was not sent "
            "again. Run the command again if you still want it: it may then run twice.",
        )
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


async def _submit_or_queue(
    runtime: Runtime, description: str, fresh: bool
) -> SubmitResult | QueuedSearch:
    """Start the search now, or queue it when the shared budget is busy and a long-running
    process (the bot or the MCP server) runs the queue; with no such process, or with this
    command's own in-process store, wait for a slot here instead (up to 90 s)."""
    if runtime.connections.embedded or not await runtime.queue.runners_alive():
        return await runtime.service.submit(description, CLI_ORIGIN, fresh=fresh)
    return await runtime.queue.submit_or_queue(
        runtime.service, description, CLI_ORIGIN, fresh=fresh
    )


async def _wait_queued(runtime: Runtime, handle: str, timeout: float) -> QueuedSearch:
    """A queued search once it has started, or as it is after ``timeout`` seconds."""
    entry = await runtime.queue.wait_submitted(handle, timeout)
    if entry is None:
        raise NotFoundError("unknown queue handle", status_code=404)
    return entry


def _queued_end(fmt: OutputFormat | None, entry: QueuedSearch) -> ExitCode:
    """Print a search that is still queued (OK) or was refused from the queue (API error)."""
    if entry.stage is QueueStage.FAILED:
        _fail(ExitCode.API_ERROR, f"the queued search did not start: {entry.error}")
    print(_queued_text(_pick_format(fmt), entry))
    return ExitCode.OK


def _queued_text(fmt: OutputFormat, entry: QueuedSearch) -> str:
    """A search waiting in the queue: its handle, place and expected start."""
    start = entry.expected_start.isoformat(timespec="seconds") if entry.expected_start else ""
    if fmt in (OutputFormat.JSON, OutputFormat.JSONL):
        return json.dumps(
            {
                "request_id": entry.handle,
                "status": "waiting",
                "description": entry.description,
                "ahead": entry.ahead,
                "expected_start": start or None,
            }
        )
    if fmt is OutputFormat.CSV:
        return f"request_id,status,expected_start\n{entry.handle},waiting,{start}"
    return f"{entry.handle} waiting (expected to start {start or 'soon'})"


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
            result = await _submit_or_queue(runtime, description, fresh)
            if isinstance(result, QueuedSearch):
                _say(
                    "The shared API request budget is busy: the search waits its turn in the "
                    f"queue ({result.ahead} ahead). Follow it with `leads status {result.handle}`."
                )
                if not wait:
                    print(_queued_text(_pick_format(fmt), result))
                    return ExitCode.OK
                started = await _wait_queued(runtime, result.handle, timeout)
                if started.request_id is None:
                    return _queued_end(fmt, started)
                record = await service.lookup(started.request_id, CLI_ORIGIN, caller=CLI_CALLER)
                result = SubmitResult(record, started.reused)
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
    request_id: Annotated[
        str,
        typer.Argument(help="The request ID a search returned (or its queued-… handle)."),
    ],
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
            search_id = request_id.strip()
            if is_queue_handle(search_id):
                entry = await _wait_queued(runtime, search_id, timeout if wait else 0)
                if entry.request_id is None:
                    return _queued_end(fmt, entry)
                search_id = entry.request_id  # it has started: follow it as any other search
            record = await service.lookup(search_id, CLI_ORIGIN, caller=CLI_CALLER)
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


watch_app = typer.Typer(
    help="Recurring searches that report only people they have not reported before.",
    no_args_is_help=True,
)
app.add_typer(watch_app, name="watch")


def _print_watches(rows: list[dict[str, Any]], fmt: OutputFormat) -> None:
    """Watches on stdout in ``fmt`` (one row each)."""
    text = render_watches(fmt, rows, Console(highlight=False))
    if text:
        print(text)


def _watch_failure(err: WatchError) -> NoReturn:
    """A refused or unknown watch, with its exit code."""
    if isinstance(err, WatchNotFoundError):
        _fail(ExitCode.NOT_FOUND, err.message)
    if isinstance(err, WatchCapError):
        _fail(ExitCode.USAGE, err.message)
    _fail(ExitCode.RATE_LIMITED, err.message)


@watch_app.command("add")
def watch_add(
    schedule: Annotated[str, typer.Argument(help="hourly, daily or weekly.")],
    description: Annotated[str, typer.Argument(help="Who to look for (10–2000 characters).")],
    fmt: FormatOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log to stderr.")] = False,
) -> None:
    """Create a watch; `leads watch run <id>` then reports its new people."""
    try:
        chosen = parse_schedule(schedule)
    except ValueError as err:
        _fail(ExitCode.USAGE, str(err))

    async def work(settings: Settings) -> ExitCode:
        async with _open_runtime(settings) as runtime:
            try:
                watch = await runtime.watches.create(
                    validate_description(description), chosen, CLI_ORIGIN
                )
            except WatchError as err:
                _watch_failure(err)
            _print_watches([watch_row(watch, 0)], _pick_format(fmt))
            _say(
                f"Each run costs at most {runtime.watches.budget.requests_per_run} API requests "
                "and 1 credit. Bot workers run it on schedule; `leads watch run "
                f"{watch.watch_id}` runs it now."
            )
            return ExitCode.OK

    _run(work, verbose=verbose)


@watch_app.command("list")
def watch_list(
    fmt: FormatOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log to stderr.")] = False,
) -> None:
    """List every watch with its schedule, last run and credits in the last 30 days."""

    async def work(settings: Settings) -> ExitCode:
        async with _open_runtime(settings) as runtime:
            watches = runtime.watches
            found = await watches.every(limit=1000)
            rows = [watch_row(w, await watches.credits(w.watch_id)) for w in found]
            _print_watches(rows, _pick_format(fmt))
            return ExitCode.OK

    _run(work, verbose=verbose)


@watch_app.command("rm")
def watch_rm(
    watch_id: Annotated[str, typer.Argument(help="The watch's ID (w + 8 hex digits).")],
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log to stderr.")] = False,
) -> None:
    """Delete a watch."""

    async def work(settings: Settings) -> ExitCode:
        async with _open_runtime(settings) as runtime:
            try:
                watch = await runtime.watches.delete(check_watch_id(watch_id))
            except WatchError as err:
                _watch_failure(err)
            _say(f"Deleted watch {watch.watch_id}.")
            return ExitCode.OK

    _run(work, verbose=verbose)


@watch_app.command("run")
def watch_run(
    watch_id: Annotated[str, typer.Argument(help="The watch's ID (w + 8 hex digits).")],
    fmt: FormatOption = None,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds to wait.")] = 300,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log to stderr.")] = False,
) -> None:
    """Run a watch now and print the people new since its earlier runs (as `leads search`).

    A watch that posts in Slack is handed to the bot's workers instead.
    """

    async def work(settings: Settings) -> ExitCode:
        async with _open_runtime(settings) as runtime:
            watches, service = runtime.watches, runtime.service
            try:
                wid = check_watch_id(watch_id)
                watch = await watches.get(wid)
                if watch is None:
                    raise WatchNotFoundError(f"No watch {wid}. `leads watch list` lists them.")
                if watch.paused:
                    # Running it by hand is the one way to resume a watch with no channel.
                    _say(
                        f"Watch {wid} was paused ({watch.pause_reason or 'by hand'}); resuming it."
                    )
                    await watches.resume(wid)
                if watch.origin.channel_id:
                    await watches.run_now(wid)
                    _say(f"Watch {wid} posts in Slack: the bot's workers run it now.")
                    return ExitCode.OK
                run_id = await watches.start_now(wid)
            except WatchError as err:
                _watch_failure(err)
            runner, delivery = WatchRunner(watches, service), SeenSetDelivery(watches)
            with Progress(_stderr()) as progress:
                while await runner.run(run_id, delivery) is not RunOutcome.DONE:
                    request_id = (await watches.progress(run_id)).get("request_id")
                    if request_id is None:  # waiting for the request budget
                        _fail(
                            ExitCode.RATE_LIMITED, "the API request budget is used up; retry later."
                        )
                    record = await service.wait(
                        request_id, timeout=timeout, on_status=progress.update
                    )
                    if not record.is_terminal:
                        return await _print_outcome(record, _no_leads, _pick_format(fmt), None)
            done = await watches.progress(run_id)
            if done.get("status") == "failed":
                after = await watches.get(wid)
                note = after.last.note if after and after.last else "no reason given"
                _fail(ExitCode.SEARCH_FAILED, f"the watch's search failed: {note}")
            finished = await service.get(done["request_id"])
            assert finished is not None  # the run just read it
            leads = await service.results(finished.request_id)
            new = [leads[p] for p in await watches.keep_new(run_id, [])]
            _say(f"{len(new)} new, {len(leads) - len(new)} seen before.")
            text = render(_pick_format(fmt), finished, new, Console(highlight=False))
            if text is not None:
                print(text)
            return ExitCode.OK

    _run(work, verbose=verbose)


async def _no_leads() -> list[Lead]:
    return []


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
