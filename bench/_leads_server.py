"""Helper process for ``sandbox_get_throughput``: the sandbox and a bare baseline, on one CPU.

``python -m bench._leads_server [--cpu N]`` pins itself to CPU ``N``, starts the sandbox
(limits off, 1000× speed), submits one search and waits for it to complete, then serves
the same completed GET body from a bare aiohttp handler on a second port. Both live in this
one process and event loop, so they get the same core and interpreter; only one is under
load at a time. It says ``{"sandbox_port", "bare_port", "path", "headers", ...}`` when
ready and stops when its stdin closes.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from aiohttp import web

from bench._child import requests, run_pinned, say
from bench._spec import SPEC_DESCRIPTIONS
from sandbox.embedded import SandboxConfig, start_sandbox

DESCRIPTION = SPEC_DESCRIPTIONS[-1]
LEADS_PATH = "/person/leads"


async def _completed_body(http: httpx.AsyncClient, request_id: str) -> bytes:
    """The GET body once the search has completed (1000× speed: about 0.1 s)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = await http.get(LEADS_PATH, params={"request_id": request_id})
        response.raise_for_status()
        if response.json()["data"]["status"] == "completed":
            return response.content
        await asyncio.sleep(0.02)
    raise TimeoutError("the sandbox search did not complete within 30 s")


async def _serve_bare(body: bytes) -> web.AppRunner:
    async def handle(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get(LEADS_PATH, handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


async def main(cpu: int | None) -> None:
    config = SandboxConfig(speed=1000, rate_limit_per_minute=0, rate_limit_per_hour=0)
    async with start_sandbox(config) as sandbox:
        headers = {"X-API-Key": config.api_key, "X-API-Secret": config.api_secret}
        async with httpx.AsyncClient(base_url=sandbox.base_url, headers=headers) as http:
            created = await http.post(LEADS_PATH, json={"search_description": DESCRIPTION})
            created.raise_for_status()
            request_id = created.json()["data"]["request_id"]
            body = await _completed_body(http, request_id)
        bare = await _serve_bare(body)
        try:
            say(
                {
                    "sandbox_port": sandbox.port,
                    "bare_port": bare.addresses[0][1],
                    "path": f"{LEADS_PATH}?request_id={request_id}",
                    "headers": headers,
                    "body_bytes": len(body),
                    "cpu": cpu,
                }
            )
            async for _ in requests():
                pass  # nothing to do but serve until the parent hangs up
        finally:
            await bare.cleanup()


if __name__ == "__main__":
    run_pinned(main)
