"""Helper process for ``footprint``: the bare baselines, served as the product serves its own.

``python -m bench._bare_apps bolt --port P --slack-api-url URL`` serves a bare Bolt app: an
``AsyncApp`` (a Slack client on the given stand-in, a ``/leads`` listener that only acks)
behind slack_bolt's aiohttp adapter on ``POST /slack/events``, and ``GET /healthz``
answering ``{"ok": true}`` — what ``python -m bot`` serves, with nothing of ours behind it,
run by ``web.run_app`` as the bot is.

``python -m bench._bare_apps mcp --port P`` serves a bare ``MCPServer`` with one tool
(``echo``) over stateless streamable HTTP on ``/mcp``, under uvicorn as
``python -m mcp_server --transport streamable-http`` serves its own.

Both run on 127.0.0.1 until they are terminated. This module imports only what each needs
(aiohttp and slack_bolt, or mcp and uvicorn), so that the baseline's memory is the
frameworks' and nothing else.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

__all__ = ["main"]

HOST = "127.0.0.1"
SIGNING_SECRET = "bench-bare-signing-secret"  # noqa: S105 - a throwaway value
TOKEN = "xoxb-bench-bare"  # noqa: S105 - a throwaway value


def serve_bolt(port: int, slack_api_url: str) -> None:
    """A bare Bolt app on aiohttp, with a health route; serves until terminated."""
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    bolt = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=slack_api_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=False,
        name="bare",
    )

    async def handle_leads(ack: AsyncAck) -> None:
        await ack()

    bolt.command("/leads")(handle_leads)

    async def slack_events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host=HOST, port=port, print=None, access_log=None)


def serve_mcp(port: int) -> None:
    """A bare MCPServer with one tool, stateless streamable HTTP; serves until terminated."""
    import uvicorn
    from mcp.server.mcpserver import MCPServer

    server: MCPServer[object] = MCPServer("bare")

    @server.tool()
    def echo(text: str) -> str:
        """Say ``text`` back."""
        return text

    app = server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, host=HOST)
    config = uvicorn.Config(
        app, host=HOST, port=port, log_config=None, access_log=False, lifespan="on"
    )
    uvicorn.Server(config).run()


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve the baseline it names."""
    parser = argparse.ArgumentParser(prog="python -m bench._bare_apps")
    parser.add_argument("kind", choices=("bolt", "mcp"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--slack-api-url", default="https://slack.com/api/")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.kind == "bolt":
        serve_bolt(args.port, args.slack_api_url)
    else:
        serve_mcp(args.port)


if __name__ == "__main__":
    main()
