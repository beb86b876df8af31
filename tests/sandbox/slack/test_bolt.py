"""A real Bolt AsyncApp against the stand-in: signed slash command in, Web API calls out.

Proves what the bot will rely on: Bolt verifies our signatures, learns its identity from
auth.test, and its say()/respond()/client calls all land in the stand-in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond, AsyncSay
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import DEFAULT_TOKEN, SlackState, sign, slash_command_body
from tests.sandbox.slack.support import Sandbox, section

SECRET = "sandbox-signing-secret"


@pytest.fixture
async def bolt_url(sandbox: Sandbox) -> AsyncIterator[str]:
    """A Bolt app serving /slack/events over HTTP, its client pointed at the stand-in."""
    app = AsyncApp(
        token=DEFAULT_TOKEN,
        signing_secret=SECRET,
        client=AsyncWebClient(token=DEFAULT_TOKEN, base_url=sandbox.api_url),
    )

    @app.command("/leads")
    async def handle_leads(
        ack: AsyncAck, command: dict[str, str], say: AsyncSay, respond: AsyncRespond
    ) -> None:
        await ack()
        if command["channel_id"] == "C0RANDOM":
            await respond(text="Invite me with /invite @leads", response_type="ephemeral")
            return
        posted = await say(
            text=command["text"], blocks=[section(f"*Searching:* {command['text']}")]
        )
        await say(text="lead 1", thread_ts=posted["ts"])

    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}/slack/events"
    finally:
        await runner.cleanup()


async def _slash(
    http: aiohttp.ClientSession, bolt_url: str, sandbox: Sandbox, channel: str, text: str
) -> int:
    body = slash_command_body(
        "/leads",
        text,
        user_id="U0ALICE",
        user_name="alice",
        channel_id=channel,
        channel_name=sandbox.state.channels[channel].name,
        team_id="T0SANDBOX",
        response_url=sandbox.state.new_response_url(sandbox.base_url, channel, "U0ALICE"),
    )
    headers = {**sign(SECRET, body), "Content-Type": "application/x-www-form-urlencoded"}
    async with http.post(bolt_url, data=body, headers=headers) as response:
        return response.status


async def test_slash_command_through_bolt_into_the_stand_in(
    sandbox: Sandbox, state: SlackState, http: aiohttp.ClientSession, bolt_url: str
) -> None:
    since = state.last_seq
    assert await _slash(http, bolt_url, sandbox, "C0LEADS", "CTOs at R&D-heavy fintechs") == 200

    reply = await state.wait_for(
        lambda e: e.thread_ts is not None, kind="message_posted", since=since, timeout=10
    )
    parent = state.message("C0LEADS", reply.thread_ts or "")
    assert parent is not None
    # The text arrives escaped; echoed into mrkdwn it shows as typed, not double-escaped.
    assert parent.text == "CTOs at R&amp;D-heavy fintechs"
    assert parent.blocks is not None
    assert parent.blocks[0]["text"]["text"] == "*Searching:* CTOs at R&amp;D-heavy fintechs"


async def test_bot_not_in_channel_answers_through_the_response_url(
    sandbox: Sandbox, state: SlackState, http: aiohttp.ClientSession, bolt_url: str
) -> None:
    since = state.last_seq
    assert await _slash(http, bolt_url, sandbox, "C0RANDOM", "anything") == 200
    shown = await state.wait_for(kind="ephemeral_posted", since=since, timeout=10)
    assert (shown.channel, shown.user) == ("C0RANDOM", "U0ALICE")
    assert shown.payload["text"] == "Invite me with /invite @leads"


async def test_bad_signature_never_reaches_the_stand_in(
    sandbox: Sandbox, state: SlackState, http: aiohttp.ClientSession, bolt_url: str
) -> None:
    body = slash_command_body(
        "/leads",
        "x",
        user_id="U0ALICE",
        user_name="alice",
        channel_id="C0LEADS",
        channel_name="leads",
        team_id="T0SANDBOX",
        response_url=state.new_response_url(sandbox.base_url, "C0LEADS", "U0ALICE"),
    )
    headers = {**sign("wrong-secret", body), "Content-Type": "application/x-www-form-urlencoded"}
    async with http.post(bolt_url, data=body, headers=headers) as response:
        assert response.status == 401
    assert state.events.events_since(0) == []
