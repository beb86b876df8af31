"""Every Web API method the bot uses, through the real slack_sdk AsyncWebClient over HTTP."""

from __future__ import annotations

import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from sandbox.slack import DEFAULT_TOKEN, SlackState, create_slack_app
from tests.sandbox.slack.support import Sandbox, section


async def _error(call: object) -> str:
    """The ``error`` of a call that must fail."""
    with pytest.raises(SlackApiError) as refused:
        await call  # type: ignore[misc]
    assert refused.value.response.status_code == 200
    return str(refused.value.response["error"])


async def test_auth_test_tells_bolt_who_the_bot_is(client: AsyncWebClient) -> None:
    answer = await client.auth_test()
    assert answer.data == {
        "ok": True,
        "url": "https://leads-sandbox.slack.example/",
        "team": "Leads Sandbox",
        "user": "leads",
        "team_id": "T0SANDBOX",
        "user_id": "U0LEADSBOT",
        "bot_id": "B0LEADSBOT",
        "is_enterprise_install": False,
    }
    assert "chat:write" in answer.headers["x-oauth-scopes"]


async def test_tokens_missing_or_wrong_are_refused(sandbox: Sandbox) -> None:
    assert await _error(sandbox.client(token="").auth_test()) == "not_authed"
    assert await _error(sandbox.client(token="xoxb-wrong").auth_test()) == "invalid_auth"


async def test_custom_tokens(sandbox: Sandbox, state: SlackState) -> None:
    state.tokens.add("xoxb-second")
    assert (await sandbox.client(token="xoxb-second").auth_test())["ok"]


async def test_unknown_method(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client.api_call("chat.teleport", json={"channel": "C0LEADS"})
    assert refused.value.response.data == {
        "ok": False,
        "error": "unknown_method",
        "req_method": "chat.teleport",
    }


async def test_post_message_to_a_channel_and_a_thread(
    client: AsyncWebClient, state: SlackState
) -> None:
    parent = await client.chat_postMessage(
        channel="C0LEADS",
        text="Searching…",
        blocks=[section("*alice* asked for leads")],
        unfurl_links=False,
        unfurl_media=False,
        metadata={"event_type": "lead_search", "event_payload": {"request_id": "r1"}},
    )
    assert parent["channel"] == "C0LEADS"
    message = parent["message"]
    assert message["bot_id"] == "B0LEADSBOT"
    assert message["user"] == "U0LEADSBOT"
    assert message["blocks"][0]["block_id"]  # Slack fills in block ids
    assert message["metadata"]["event_payload"] == {"request_id": "r1"}

    reply = await client.chat_postMessage(channel="C0LEADS", text="lead 1", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]
    assert reply["message"]["parent_user_id"] == "U0LEADSBOT"

    stored = state.message("C0LEADS", parent["ts"])
    assert stored is not None
    assert stored.unfurl_links is False
    assert [r.ts for r in stored.replies] == [reply["ts"]]


async def test_channel_by_name_and_dm_by_user_id(client: AsyncWebClient) -> None:
    by_name = await client.chat_postMessage(channel="#leads", text="hi")
    assert by_name["channel"] == "C0LEADS"
    dm = await client.chat_postMessage(channel="U0ALICE", text="psst")
    assert dm["channel"].startswith("D")


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_post_message_errors(client: AsyncWebClient) -> None:
    assert await _error(client.chat_postMessage(channel="C0NOPE", text="x")) == "channel_not_found"
    assert await _error(client.chat_postMessage(channel="C0RANDOM", text="x")) == "not_in_channel"
    assert await _error(client.chat_postMessage(channel="C0LEADS", text="")) == "no_text"
    assert (
        await _error(client.chat_postMessage(channel="C0LEADS", text="x", thread_ts="0"))
        == "invalid_thread_ts"
    )
    assert (
        await _error(client.chat_postMessage(channel="C0LEADS", text="x", metadata={"a": 1}))
        == "invalid_metadata_schema"
    )


async def test_public_channels_open_up_with_chat_write_public(sandbox: Sandbox) -> None:
    sandbox.state.scopes = (*sandbox.state.scopes, "chat:write.public")
    assert (await sandbox.client().chat_postMessage(channel="C0RANDOM", text="x"))["ok"]


async def test_a_wrong_thread_ts_posts_into_a_thread_nobody_sees(
    client: AsyncWebClient, state: SlackState
) -> None:
    """Slack takes a well-formed but unknown thread_ts and the reply vanishes (a float ts bug)."""
    parent = await client.chat_postMessage(channel="C0LEADS", text="parent")
    truncated = parent["ts"][:-2]
    lost = await client.chat_postMessage(channel="C0LEADS", text="lost", thread_ts=truncated)
    assert lost["ok"] is True
    assert [m.text for m in state.history("C0LEADS")] == ["parent"]
    assert state.thread("C0LEADS", parent["ts"])[1:] == []


async def test_reply_to_a_reply_lands_in_the_parent_thread(client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C0LEADS", text="p")
    first = await client.chat_postMessage(channel="C0LEADS", text="r1", thread_ts=parent["ts"])
    second = await client.chat_postMessage(channel="C0LEADS", text="r2", thread_ts=first["ts"])
    assert second["message"]["thread_ts"] == parent["ts"]


async def test_reply_broadcast_shows_in_the_channel(client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C0LEADS", text="p")
    await client.chat_postMessage(
        channel="C0LEADS", text="done", thread_ts=parent["ts"], reply_broadcast=True
    )
    history = await client.conversations_history(channel="C0LEADS")
    assert [m["text"] for m in history["messages"]] == ["done", "p"]
    assert history["messages"][0]["subtype"] == "thread_broadcast"


async def test_update_keeps_history_and_unsent_parts(
    client: AsyncWebClient, state: SlackState
) -> None:
    posted = await client.chat_postMessage(
        channel="C0LEADS",
        text="queued",
        blocks=[section("queued")],
        metadata={"event_type": "lead_search", "event_payload": {"id": "1"}},
    )
    updated = await client.chat_update(channel="C0LEADS", ts=posted["ts"], text="searching")
    assert updated["text"] == "searching"
    assert updated["message"]["edited"]["user"] == "U0LEADSBOT"
    assert updated["message"]["blocks"][0]["text"]["text"] == "queued"  # omitted: kept
    assert updated["message"]["metadata"]["event_payload"] == {"id": "1"}

    await client.chat_update(
        channel="C0LEADS", ts=posted["ts"], text="done", blocks=[section("*3 leads*")]
    )
    msg = state.message("C0LEADS", posted["ts"])
    assert msg is not None
    assert [r.text for r in msg.revisions] == ["queued", "searching"]
    assert msg.blocks is not None
    assert msg.blocks[0]["text"]["text"] == "*3 leads*"

    await client.chat_update(channel="C0LEADS", ts=posted["ts"], text="plain", blocks=[])
    assert state.message("C0LEADS", posted["ts"]).blocks is None  # type: ignore[union-attr]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_update_errors(client: AsyncWebClient, state: SlackState) -> None:
    assert (
        await _error(client.chat_update(channel="C0LEADS", ts="1.000001", text="x"))
        == "message_not_found"
    )
    human = state.post_message("C0LEADS", user="U0ALICE", text="mine")
    assert (
        await _error(client.chat_update(channel="C0LEADS", ts=human.ts, text="x"))
        == "cant_update_message"
    )
    posted = await client.chat_postMessage(channel="C0LEADS", text="x")
    assert (
        await _error(client.chat_update(channel="C0LEADS", ts=posted["ts"], blocks=[{"type": "x"}]))
        == "invalid_blocks"
    )
    assert await _error(client.chat_update(channel="C0NOPE", ts=posted["ts"], text="x")) == (
        "channel_not_found"
    )


async def test_post_ephemeral(client: AsyncWebClient, state: SlackState) -> None:
    answer = await client.chat_postEphemeral(
        channel="C0LEADS", user="U0ALICE", text="Only you", blocks=[section("Only *you*")]
    )
    assert answer["message_ts"]
    assert [(e.user, e.text) for e in state.ephemerals] == [("U0ALICE", "Only you")]
    assert state.history("C0LEADS") == []

    with pytest.raises(SlackApiError) as refused:
        await client.api_call("chat.postEphemeral", json={"channel": "C0LEADS", "text": "x"})
    assert refused.value.response["error"] == "invalid_arguments"
    assert refused.value.response["response_metadata"]["messages"] == [
        "[ERROR] missing required field: user"
    ]
    state.add_user("U0CAROL", "carol")
    assert (
        await _error(client.chat_postEphemeral(channel="C0LEADS", user="U0CAROL", text="x"))
        == "user_not_in_channel"
    )
    assert (
        await _error(client.chat_postEphemeral(channel="C0RANDOM", user="U0ALICE", text="x"))
        == "not_in_channel"
    )


async def test_permalinks(client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C0LEADS", text="p")
    reply = await client.chat_postMessage(channel="C0LEADS", text="r", thread_ts=parent["ts"])
    link = await client.chat_getPermalink(channel="C0LEADS", message_ts=parent["ts"])
    compact = parent["ts"].replace(".", "")
    assert link["permalink"] == f"https://leads-sandbox.slack.example/archives/C0LEADS/p{compact}"
    reply_link = await client.chat_getPermalink(channel="C0LEADS", message_ts=reply["ts"])
    assert reply_link["permalink"].endswith(f"?thread_ts={parent['ts']}&cid=C0LEADS")
    assert (
        await _error(client.chat_getPermalink(channel="C0LEADS", message_ts="1.000001"))
        == "message_not_found"
    )


async def test_delete(client: AsyncWebClient, state: SlackState) -> None:
    lone = await client.chat_postMessage(channel="C0LEADS", text="lone")
    assert (await client.chat_delete(channel="C0LEADS", ts=lone["ts"]))["ts"] == lone["ts"]
    assert state.message("C0LEADS", lone["ts"]) is None
    assert await _error(client.chat_delete(channel="C0LEADS", ts=lone["ts"])) == "message_not_found"

    parent = await client.chat_postMessage(channel="C0LEADS", text="parent")
    await client.chat_postMessage(channel="C0LEADS", text="reply", thread_ts=parent["ts"])
    await client.chat_delete(channel="C0LEADS", ts=parent["ts"])
    tombstone = state.message("C0LEADS", parent["ts"])
    assert tombstone is not None
    assert tombstone.subtype == "tombstone"

    human = state.post_message("C0LEADS", user="U0BOB", text="bob's")
    assert await _error(client.chat_delete(channel="C0LEADS", ts=human.ts)) == "cant_delete_message"


async def test_conversations_info(client: AsyncWebClient) -> None:
    leads = await client.conversations_info(channel="C0LEADS", include_num_members=True)
    assert leads["channel"]["name"] == "leads"
    assert leads["channel"]["is_member"] is True
    assert leads["channel"]["num_members"] == 3
    random = await client.conversations_info(channel="C0RANDOM")
    assert random["channel"]["is_member"] is False
    assert await _error(client.conversations_info(channel="C0NOPE")) == "channel_not_found"


async def test_history_pages_newest_first(client: AsyncWebClient) -> None:
    sent = [
        (await client.chat_postMessage(channel="C0LEADS", text=f"m{i}"))["ts"] for i in range(5)
    ]
    first = await client.conversations_history(channel="C0LEADS", limit=2)
    assert [m["text"] for m in first["messages"]] == ["m4", "m3"]
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    second = await client.conversations_history(channel="C0LEADS", limit=2, cursor=cursor)
    assert [m["text"] for m in second["messages"]] == ["m2", "m1"]

    window = await client.conversations_history(
        channel="C0LEADS", oldest=sent[1], latest=sent[3], inclusive=True
    )
    assert [m["text"] for m in window["messages"]] == ["m3", "m2", "m1"]
    assert await _error(client.conversations_history(channel="C0RANDOM")) == "not_in_channel"
    assert (
        await _error(client.conversations_history(channel="C0LEADS", cursor="bm9wZQ=="))
        == "invalid_cursor"
    )


async def test_history_metadata_only_on_request(client: AsyncWebClient) -> None:
    await client.chat_postMessage(
        channel="C0LEADS", text="x", metadata={"event_type": "e", "event_payload": {"k": "v"}}
    )
    plain = await client.conversations_history(channel="C0LEADS")
    assert "metadata" not in plain["messages"][0]
    full = await client.conversations_history(channel="C0LEADS", include_all_metadata=True)
    assert full["messages"][0]["metadata"] == {"event_type": "e", "event_payload": {"k": "v"}}


async def test_replies(client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C0LEADS", text="p")
    for i in range(3):
        await client.chat_postMessage(channel="C0LEADS", text=f"r{i}", thread_ts=parent["ts"])
    thread = await client.conversations_replies(channel="C0LEADS", ts=parent["ts"])
    assert [m["text"] for m in thread["messages"]] == ["p", "r0", "r1", "r2"]
    assert thread["messages"][0]["reply_count"] == 3

    page = await client.conversations_replies(channel="C0LEADS", ts=parent["ts"], limit=2)
    assert [m["text"] for m in page["messages"]] == ["p", "r0", "r1"]
    rest = await client.conversations_replies(
        channel="C0LEADS", ts=parent["ts"], cursor=page["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["p", "r2"]
    assert (
        await _error(client.conversations_replies(channel="C0LEADS", ts="1.000001"))
        == "thread_not_found"
    )


async def test_join(client: AsyncWebClient, state: SlackState) -> None:
    joined = await client.conversations_join(channel="C0RANDOM")
    assert joined["channel"]["is_member"] is True
    assert state.history("C0RANDOM")[0].subtype == "channel_join"
    assert (await client.chat_postMessage(channel="C0RANDOM", text="hello"))["ok"]
    again = await client.conversations_join(channel="C0RANDOM")
    assert again["warning"] == "already_in_channel"


async def test_users_info(client: AsyncWebClient) -> None:
    alice = await client.users_info(user="U0ALICE")
    assert alice["user"]["name"] == "alice"
    assert alice["user"]["real_name"] == "Alice Example"
    bot = await client.users_info(user="U0LEADSBOT")
    assert bot["user"]["is_bot"] is True
    assert await _error(client.users_info(user="U0NOBODY")) == "user_not_found"


async def test_views_publish(client: AsyncWebClient, state: SlackState) -> None:
    view = {
        "type": "home",
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "Your watches"}}]
        + [section(f"watch {i}") for i in range(99)],
    }
    published = await client.views_publish(user_id="U0ALICE", view=view)
    assert published["view"]["type"] == "home"
    assert len(state.home_views["U0ALICE"].view["blocks"]) == 100

    again = await client.views_publish(user_id="U0ALICE", view=view, hash=published["view"]["hash"])
    assert again["view"]["id"] == published["view"]["id"]


async def test_views_publish_errors(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client.views_publish(
            user_id="U0ALICE", view={"type": "home", "blocks": [section("")]}
        )
    assert refused.value.response["error"] == "invalid_arguments"
    assert refused.value.response["response_metadata"]["messages"] == [
        "[ERROR] failed to match all allowed schemas [json-pointer:/view/blocks/0/text]",
        "[ERROR] must be more than 0 characters [json-pointer:/view/blocks/0/text/text]",
    ]
    home = {"type": "home", "blocks": [section("hi")]}
    assert await _error(client.views_publish(user_id="U0NOBODY", view=home)) == "user_not_found"
    first = await client.views_publish(user_id="U0BOB", view=home)
    assert first["view"]["hash"]
    assert await _error(client.views_publish(user_id="U0BOB", view=home, hash="old")) == (
        "hash_conflict"
    )
    modal = {"type": "modal", "blocks": []}
    assert await _error(client.views_publish(user_id="U0BOB", view=modal)) == "invalid_arguments"


async def test_replies_by_a_reply_ts_return_the_whole_thread(client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C0LEADS", text="p")
    reply = await client.chat_postMessage(channel="C0LEADS", text="r", thread_ts=parent["ts"])
    thread = await client.conversations_replies(channel="C0LEADS", ts=reply["ts"])
    assert [m["text"] for m in thread["messages"]] == ["p", "r"]


async def test_works_standalone_without_a_mount_prefix() -> None:
    """Not mounted at /slack: the API, upload URLs and response_urls live at the root."""
    state = SlackState()
    runner = web.AppRunner(create_slack_app(state))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    root = f"http://{host}:{port}"
    try:
        client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=f"{root}/api/")
        uploaded = await client.files_upload_v2(channel="C0LEADS", content="x", filename="x.txt")
        assert uploaded["file"]["url_private"].startswith(f"{root}/files/")
        url = state.new_response_url(root, "C0LEADS", "U0ALICE")
        assert url.startswith(f"{root}/responses/")
        assert (await AsyncWebhookClient(url).send(text="hi")).status_code == 200
    finally:
        await runner.cleanup()
