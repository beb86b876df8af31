"""``leads-mcp`` (or ``python -m mcp_server``): the MCP server over stdio or streamable HTTP.

stdio by default (for desktop assistants, which start it themselves); streamable HTTP
serves ``/mcp``. Logs go to stderr: on stdio, stdout carries the protocol.
Exit status 2: invalid settings, or HTTP off loopback without an ``MCP_AUTH_TOKEN`` of at
least 32 characters.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Sequence

from mcp_server.http import create_http_app, exposure_problem
from mcp_server.server import create_server
from shared.logs import configure_logging
from shared.settings import SettingsError, load_settings

EXIT_USAGE = 2

log = logging.getLogger(__name__)


def _port(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError("must be between 1 and 65535")
    return port


def program_name() -> str:
    """``leads-mcp`` when started by the console script, else ``python -m mcp_server``."""
    started_as = os.path.basename(sys.argv[0]) if sys.argv else ""
    return "leads-mcp" if started_as == "leads-mcp" else "python -m mcp_server"


def parse_args(argv: Sequence[str] | None = None, prog: str | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog=prog or program_name(),
        description="The Leads MCP server: lead search tools for AI assistants.",
        epilog="settings come from the environment (an assistant that starts this server "
        "passes them in its config's env; a .env is read only from the working directory): "
        "NYNE_API_KEY/NYNE_API_SECRET (unset: the embedded sandbox), REDIS_URL (unset: an "
        "in-process store), MCP_AUTH_TOKEN (bearer token over HTTP; required off loopback, "
        "at least 32 characters). Exit status 2: invalid settings, or HTTP off loopback "
        "without such a token.",
    )
    parser.add_argument(
        "--transport",
        choices=("stdio", "streamable-http"),
        default="stdio",
        help="stdio (default; the client starts this process) or streamable-http (/mcp)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8000, help="HTTP port (default 8000)")
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="HOST",
        help="a Host header to accept over HTTP, e.g. mcp.example.com (repeatable); "
        "needed behind a reverse proxy that keeps the public hostname",
    )
    parser.add_argument(
        "--allowed-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a browser Origin to accept over HTTP, e.g. https://app.example.com (repeatable)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Run the server until the client disconnects (stdio) or it is stopped (HTTP).

    The console script's entry point: returns the exit status; Ctrl-C exits 130 quietly.
    ``prog`` names the command in messages (``leads-web`` runs this too).
    """
    try:
        return _main(argv, prog or program_name())
    except KeyboardInterrupt:  # Ctrl-C on a terminal: no traceback
        return 130


def _main(argv: Sequence[str] | None, prog: str) -> int:
    args = parse_args(argv, prog)
    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(
        fmt=settings.leads_log_format,
        level=settings.leads_log_level,
        secrets=settings.secret_values(),
    )
    for warning in settings.plain_http_warnings():
        log.warning(warning)
    token = settings.mcp_auth_token.get_secret_value() if settings.mcp_auth_token else None
    if args.transport == "streamable-http":
        problem = exposure_problem(args.host, token)
        if problem is not None:
            print(f"{prog}: {problem}", file=sys.stderr)
            return EXIT_USAGE
    server = create_server(settings)
    # What is imported now lives as long as the process; spare the collector re-walking it.
    gc.freeze()
    if args.transport == "stdio":
        server.run("stdio")
        return 0

    # Imported here: stdio never needs a web server.
    import uvicorn

    app = create_http_app(
        server,
        host=args.host,
        auth_token=token,
        allowed_hosts=args.allowed_host,
        allowed_origins=args.allowed_origin,
    )
    # uvicorn's own logging setup would add handlers (and stdout); ours is already in place.
    config = uvicorn.Config(
        app, host=args.host, port=args.port, log_config=None, access_log=False, lifespan="on"
    )
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
