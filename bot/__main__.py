"""``python -m bot``: the Slack bot's web process (a complete deployment on its own)."""

from __future__ import annotations

import gc
import logging

from aiohttp import web

from bot.app import create_app
from bot.startup import load_bot_settings, start

__all__ = ["main"]

log = logging.getLogger("bot")


def main() -> None:
    """Load settings, configure logging and serve on ``PORT`` until stopped."""
    settings = start(load_bot_settings, "python -m bot")
    mode = "Socket Mode" if settings.slack_app_token else "HTTP (POST /slack/events)"
    log.info("starting the Leads bot on port %d; Slack requests via %s", settings.port, mode)
    app = create_app(settings)
    # Everything imported so far lives as long as the process: keep the collector from
    # walking it again and again (full collections otherwise pause requests for ~50 ms).
    gc.freeze()
    web.run_app(app, port=settings.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
