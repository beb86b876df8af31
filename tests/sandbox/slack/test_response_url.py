"""Slash-command response_urls, answered with slack_sdk's AsyncWebhookClient (as Bolt's respond)."""

from __future__ import annotations

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from sandbox.slack import SlackState
from tests.sandbox.slack.support import Sandbox, section


async def test_ephemeral_answer_is_shown_to_the_invoker_only(
    sandbox: Sandbox, state: SlackState
) -> None:
    url = state.new_response_url(sandbox.base_url, "C0RANDOM", "U0ALICE")
    since = state.last_seq
    answer = await AsyncWebhookClient(url).send(
        text="Invite me first: /invite @leads", response_type="ephemeral"
    )
    assert (answer.status_code, answer.body) == (200, "ok")

    shown = await state.wait_for(kind="ephemeral_posted", since=since)
    assert (shown.channel, shown.user) == ("C0RANDOM", "U0ALICE")
    recorded = await state.wait_for(kind="response_url_posted", since=since)
    assert recorded.payload["text"] == "Invite me first: /invite @leads"
    assert recorded.ts == shown.ts
    assert state.history("C0RANDOM") == []  # works where the bot is not a member


async def test_in_channel_replace_and_delete(sandbox: Sandbox, state: SlackState) -> None:
    # The Web API base URL is accepted as well as the mount URL.
    url = state.new_response_url(sandbox.api_url, "C0LEADS", "U0BOB")
    hook = AsyncWebhookClient(url)

    await hook.send(text="Searching…", response_type="in_channel")
    [posted] = state.history("C0LEADS")
    assert posted.text == "Searching…"

    await hook.send(
        text="Done",
        blocks=[section("*3 leads*")],
        response_type="in_channel",
        replace_original=True,
    )
    [replaced] = state.history("C0LEADS")
    assert (replaced.ts, replaced.text) == (posted.ts, "Done")
    assert [r.text for r in replaced.revisions] == ["Searching…"]

    await hook.send_dict({"delete_original": True})
    assert state.history("C0LEADS") == []


async def test_a_response_url_takes_five_answers(sandbox: Sandbox, state: SlackState) -> None:
    hook = AsyncWebhookClient(state.new_response_url(sandbox.base_url, "C0LEADS", "U0ALICE"))
    for i in range(5):
        assert (await hook.send(text=f"update {i}")).status_code == 200
    used = await hook.send(text="one too many")
    assert (used.status_code, used.body) == (404, "used_url")


async def test_an_old_response_url_has_expired(sandbox: Sandbox, state: SlackState) -> None:
    url = state.new_response_url(sandbox.base_url, "C0LEADS", "U0ALICE")
    for record in state.response_urls.values():
        record.created -= 31 * 60
    expired = await AsyncWebhookClient(url).send(text="late")
    assert (expired.status_code, expired.body) == (404, "expired_url")


async def test_bad_answers(
    sandbox: Sandbox, state: SlackState, http: aiohttp.ClientSession
) -> None:
    url = state.new_response_url(sandbox.base_url, "C0LEADS", "U0ALICE")
    hook = AsyncWebhookClient(url)
    no_text = await hook.send_dict({"response_type": "ephemeral"})
    assert (no_text.status_code, no_text.body) == (400, "no_text")
    bad_blocks = await hook.send(text="x", blocks=[{"type": "section"}])
    assert (bad_blocks.status_code, bad_blocks.body) == (400, "invalid_blocks")
    async with http.post(url, data=b"{nope", headers={"Content-Type": "application/json"}) as r:
        assert (r.status, await r.text()) == (400, "invalid_payload")
    async with http.post(url, json=["a list"]) as r:
        assert (r.status, await r.text()) == (400, "invalid_payload")
    assert state.events.events_since(0, kind="response_url_posted") == []


async def test_unknown_response_urls_are_still_recorded(
    sandbox: Sandbox, state: SlackState
) -> None:
    answer = await AsyncWebhookClient(f"{sandbox.base_url}/responses/T1/2/whatever").send(text="hi")
    assert answer.status_code == 200
    recorded = await state.wait_for(kind="response_url_posted")
    assert (recorded.channel, recorded.payload["text"]) == (None, "hi")
