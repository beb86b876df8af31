"""Helper process for ``mcp``: the MCP server over streamable HTTP, as ``mcp_server`` serves it.

``python -m bench._mcp_http [--cpu N]`` says it is ready; its first request line
``{"redis_url", "api_url", "token"}`` builds the server (:func:`mcp_server.server.create_server`
on that Redis and API, and :func:`mcp_server.http.create_http_app` behind the bearer
token), serves it with uvicorn on a free port of 127.0.0.1 and answers ``{"port"}`` once it
listens. It stops when its stdin closes.
"""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from bench._child import requests, run_pinned, say
from bench._replica import replica_settings
from mcp_server.http import create_http_app
from mcp_server.server import create_server
from shared.runtime import ApiEndpoint
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET


async def main(cpu: int | None) -> None:
    say({"ready": True, "cpu": cpu})
    orders = requests()
    setup = await anext(orders)
    endpoint = ApiEndpoint(setup["api_url"], SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True)
    server = create_server(replica_settings(setup["redis_url"]), endpoint=endpoint)
    app = create_http_app(server, host="127.0.0.1", auth_token=setup["token"])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
    web = uvicorn.Server(config)
    serving = asyncio.create_task(web.serve(sockets=[sock]))
    try:
        while not web.started:
            if serving.done():
                await serving  # raises what stopped it
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        say({"port": sock.getsockname()[1]})
        async for _ in orders:
            pass  # nothing to do but serve until the parent hangs up
    finally:
        web.should_exit = True
        await serving
        sock.close()


if __name__ == "__main__":
    run_pinned(main)
