"""``leads-web``: the platform's ``web`` process, running the Slack bot or the MCP server.

Heroku-style platforms give ``$PORT`` only to the process type ``web`` and route outside HTTP
only to it, so a second app that serves the MCP server from the same code and the same
``Procfile`` needs ``web`` itself to become the MCP server: ``LEADS_WEB=mcp`` does that.
Like ``leads demo``, this composes the fronts on purpose, each through its own entry point.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from shared.settings import SettingsError, load_settings

__all__ = ["main"]

PROG = "leads-web"

DESCRIPTION = """\
The web process of a Heroku-style deployment: binds every interface on $PORT.
  LEADS_WEB=bot (default)  the Slack bot, as leads-bot (leads-bot --help lists its settings)
  LEADS_WEB=mcp            the MCP server over streamable HTTP at /mcp, as
                           leads-mcp --transport streamable-http --host 0.0.0.0 --port $PORT
                           (MCP_AUTH_TOKEN is then required)
exit status 2: a missing or invalid setting (the message names it)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run what ``LEADS_WEB`` names on ``PORT``; return the exit status."""
    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 2
    # Imported here: a process runs one front, and loads only that one.
    if settings.leads_web == "mcp":
        from mcp_server.__main__ import main as mcp_main

        # 0.0.0.0: the platform's router reaches the process from outside its container.
        address = ["--host", "0.0.0.0", "--port", str(settings.port)]  # noqa: S104
        return mcp_main(["--transport", "streamable-http", *address], prog=PROG)

    from bot.__main__ import main as bot_main

    bot_main([], prog=PROG)
    return 0


if __name__ == "__main__":
    sys.exit(main())
