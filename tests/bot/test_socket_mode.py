"""Socket Mode: with ``SLACK_APP_TOKEN`` the bot takes Slack's requests over a WebSocket.

A small fake stands in for Slack's Socket Mode endpoint (``apps.connections.open`` and the
WebSocket); every other Web API call goes through to the sandbox's stand-in, which stays
the witness of what people saw. Callbacks and ``/healthz`` are still served over HTTP.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType, web

from sandbox.embedded import RunningSandbox
from sandbox.slack import escape_command_text
from tests.bot.support import (
    DESCRIPTION,
    bot_settings,
    message_text,
    new_port,
    running_bot,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

APP_TOKEN = "xapp-1-test-app-token"


@dataclass
class FakeSocketMode:
    """Slack's Socket Mode side: hands out a WebSocket, pushes envelopes, collects acks."""

    sandbox: RunningSandbox
    url: str = ""
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    opened_with: list[str] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    async def api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if method == "apps.connections.open":
            self.opened_with.append(request.headers.get("Authorization", ""))
            return web.json_response({"ok": True, "url": f"ws://{request.host}/link"})
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with (  # everything else: the stand-in
            aiohttp.ClientSession() as session,
            session.post(
                f"{self.sandbox.slack_api_url}{method}", data=await request.read(), headers=headers
            ) as answer,
        ):
            return web.Response(
                status=answer.status, body=await answer.read(), content_type=answer.content_type
            )

    async def link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        self.connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                ack = json.loads(message.data)
                self.acks[ack["envelope_id"]] = ack
        return socket

    async def slash(self, envelope_id: str, text: str) -> None:
        state = self.sandbox.slack
        payload = {
            "team_id": state.team_id,
            "channel_id": "C0LEADS",
            "channel_name": "leads",
            "user_id": "U0ALICE",
            "user_name": "alice",
            "command": "/leads",
            "text": escape_command_text(text),
            "response_url": state.new_response_url(
                self.sandbox.slack_api_url, "C0LEADS", "U0ALICE"
            ),
            "trigger_id": "1.2.3",
        }
        envelope = {
            "envelope_id": envelope_id,
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": payload,
        }
        await self.sockets[-1].send_str(json.dumps(envelope))


@asynccontextmanager
async def fake_socket_mode(sandbox: RunningSandbox) -> AsyncIterator[FakeSocketMode]:
    fake = FakeSocketMode(sandbox)
    app = web.Application()
    app.router.add_post("/api/{method}", fake.api)
    app.router.add_get("/link", fake.link)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/"
    try:
        yield fake
    finally:
        for socket in fake.sockets:
            await socket.close()
        await runner.cleanup()


async def test_socket_mode_takes_commands_over_the_websocket(
    sandbox: RunningSandbox, redis_url: str
) -> None:
    async with fake_socket_mode(sandbox) as fake:
        settings = bot_settings(
            sandbox,
            redis_url,
            port=new_port(),
            slack_api_url=fake.url,
            slack_app_token=APP_TOKEN,
            slack_signing_secret=None,  # not needed without an HTTP endpoint
        )
        async with running_bot(sandbox, settings) as bot:
            await asyncio.wait_for(fake.connected.wait(), 10)
            assert fake.opened_with == [f"Bearer {APP_TOKEN}"]
            health = (await bot.healthz()).json()
            assert health["mode"] == "socket"
            no_http = await bot.http.post(f"{bot.url}/slack/events", content=b"x")
            assert no_http.status_code == 404

            await fake.slash("env-help", "help")
            await _wait_for_ack(fake, "env-help")
            assert "status" in message_text(fake.acks["env-help"]["payload"])

            since = sandbox.slack.last_seq
            await fake.slash("env-search", DESCRIPTION)
            await _wait_for_ack(fake, "env-search")
            parent = await bot.parent_posted(since)
            await bot.parent_says(parent.ts, "1 credit spent", since=since)


async def _wait_for_ack(fake: FakeSocketMode, envelope_id: str) -> None:
    await wait_until(lambda: envelope_id in fake.acks, timeout=5, message=f"ack of {envelope_id}")
