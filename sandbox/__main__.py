"""``python -m sandbox``: serve the Person Leads API and Slack stand-ins until Ctrl-C/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from sandbox.api.faults import FAULT_HELP, FaultError, parse_fault_arg
from sandbox.embedded import RunningSandbox, start_sandbox
from sandbox.server import DEFAULT_API_KEY, DEFAULT_API_SECRET, SandboxConfig
from sandbox.slack import DEFAULT_TOKEN

log = logging.getLogger("sandbox")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _fault(text: str) -> tuple[str, object]:
    try:
        return parse_fault_arg(text)
    except FaultError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def build_parser(prog: str = "python -m sandbox") -> argparse.ArgumentParser:
    """The command line; ``prog`` is how it was started (``leads sandbox`` passes its own)."""
    faults = "\n".join(f"  {name:<20} {text}" for name, text in FAULT_HELP.items())
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Local stand-ins for the Person Leads API (/person/leads) and the "
        "Slack Web API (/slack/api/). Non-spec admin routes live under /sandbox/.",
        epilog=f"faults (--fault NAME=VALUE, or POST /sandbox/faults):\n{faults}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="port; 0 picks a free one")
    parser.add_argument(
        "--speed",
        type=_positive_float,
        default=1.0,
        help="divide every duration by this (phases, callback retries/timeouts, "
        "rate-limit windows); default 1",
    )
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="accepted X-API-Key")
    parser.add_argument("--api-secret", default=DEFAULT_API_SECRET, help="accepted X-API-Secret")
    parser.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a fault in force from the start (repeatable)",
    )
    parser.add_argument(
        "--fault-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed the draws of percentage faults (NAME=P%%), so a run repeats them",
    )
    parser.add_argument(
        "--per-minute", type=int, default=60, help="requests per key per minute (0: no limit)"
    )
    parser.add_argument(
        "--per-hour", type=int, default=1000, help="requests per key per hour (0: no limit)"
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    return parser


def banner(sandbox: RunningSandbox) -> str:
    """The one line printed at start: where everything is and which credentials work."""
    config = sandbox.config
    return (
        f"Person Leads sandbox listening on {sandbox.base_url} "
        f"(API {sandbox.base_url}/person/leads, key {config.api_key!r}, "
        f"secret {config.api_secret!r}; Slack API {sandbox.slack_api_url}, "
        f"token {DEFAULT_TOKEN!r}; speed {config.speed:g}x) "
        "- Ctrl-C to stop"
    )


async def serve(config: SandboxConfig) -> None:
    """Serve until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with start_sandbox(config) as sandbox:
        # The banner is the CLI's output (stdout), not a log line; flushed for pipes.
        print(banner(sandbox), flush=True)
        await stop.wait()
        log.info("shutting down")


def main(argv: Sequence[str] | None = None, prog: str = "python -m sandbox") -> int:
    """Parse arguments, serve, return the exit status."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        config = SandboxConfig(
            host=args.host,
            port=args.port,
            speed=args.speed,
            api_key=args.api_key,
            api_secret=args.api_secret,
            faults=dict(args.fault),
            fault_seed=args.fault_seed,
            rate_limit_per_minute=args.per_minute,
            rate_limit_per_hour=args.per_hour,
        )
    except ValueError as err:
        parser.error(str(err))
    try:
        asyncio.run(serve(config))
    except OSError as err:
        print(f"{prog}: cannot listen on {args.host}:{args.port}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
