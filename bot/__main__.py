"""``leads-bot`` / ``python -m bot``: the Slack bot's web process (a complete deployment)."""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence

from aiohttp import web

from bot.app import create_app
from bot.startup import SETTINGS_HELP, load_bot_settings, parse_args, program_name, start

__all__ = ["main"]

log = logging.getLogger("bot")


DESCRIPTION = (
    "The Leads Slack bot: POST /slack/events (Slack), POST /callbacks/nyne/<token> (the "
    "API's callbacks) and GET /healthz on one port. A complete deployment on its own: it "
    "runs deliveries and the poll sweep unless LEADS_RUN_SWEEP=false leaves them to "
    "leads-worker processes."
)


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> None:
    """Load settings, configure logging and serve on ``PORT`` until stopped.

    ``prog`` names the command in messages (``leads-web`` runs this too).
    """
    prog = prog or program_name("leads-bot", "bot")
    parse_args(prog, DESCRIPTION, SETTINGS_HELP, argv)
    settings = start(load_bot_settings, prog)
    mode = "Socket Mode" if settings.slack_app_token else "HTTP (POST /slack/events)"
    log.info("starting the Leads bot on port %d; Slack requests via %s", settings.port, mode)
    app = create_app(settings, settle_heap=True)
    # Everything imported so far lives as long as the process: keep the collector from
    # walking it again and again (full collections otherwise pause requests for ~50 ms).
    gc.freeze()
    # Every interface (aiohttp's default, host=None): a platform's router reaches the process
    # from outside the container (Heroku: the web process must bind 0.0.0.0:$PORT).
    web.run_app(app, host=None, port=settings.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
