"""``python -m mcp_server [--transport stdio|streamable-http] [--host H] [--port P]``.

stdio by default (for desktop assistants, which start it themselves); streamable HTTP
serves ``/mcp``. Logs go to stderr: on stdio, stdout carries the protocol.
Exit status 2: invalid settings, or HTTP off loopback without ``MCP_AUTH_TOKEN``.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

from mcp_server.http import create_http_app, exposure_problem
from mcp_server.server import create_server
from shared.logs import configure_logging
from shared.settings import SettingsError, load_settings

EXIT_USAGE = 2


def _port(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError("must be between 1 and 65535")
    return port


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m mcp_server",
        description="The Leads MCP server: lead search tools for AI assistants.",
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until the client disconnects (stdio) or it is stopped (HTTP)."""
    args = parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"mcp_server: {err}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(
        fmt=settings.leads_log_format,
        level=settings.leads_log_level,
        secrets=settings.secret_values(),
    )
    token = settings.mcp_auth_token.get_secret_value() if settings.mcp_auth_token else None
    if args.transport == "streamable-http":
        problem = exposure_problem(args.host, token)
        if problem is not None:
            print(f"mcp_server: {problem}", file=sys.stderr)
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
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C on a terminal: no traceback
        sys.exit(130)
