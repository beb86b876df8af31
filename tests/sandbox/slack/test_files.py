"""The v2 upload flow end to end, driven by slack_sdk's own files_upload_v2."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import DEFAULT_TOKEN, SlackState
from tests.sandbox.slack.support import Sandbox

CSV = "name,headline,post_url\nAda Example,CTO,https://example.com/p/1\n"


async def test_files_upload_v2_into_a_thread(
    client: AsyncWebClient, state: SlackState, http: aiohttp.ClientSession
) -> None:
    parent = await client.chat_postMessage(channel="C0LEADS", text="3 leads")
    since = state.last_seq

    answer = await client.files_upload_v2(
        channel="C0LEADS",
        thread_ts=parent["ts"],
        content=CSV,
        filename="leads.csv",
        title="Leads export",
        initial_comment="Here are the leads as CSV",
    )

    file = answer["file"]
    assert file["name"] == "leads.csv"
    assert file["title"] == "Leads export"
    assert file["mimetype"] == "text/csv"
    assert file["size"] == len(CSV.encode())
    # Like Slack: sharing happens after the answer, so the answer lists no shares yet.
    assert file["shares"] == {}

    shared = await state.wait_for(kind="file_shared", since=since, timeout=5)
    assert shared.channel == "C0LEADS"
    assert shared.thread_ts == parent["ts"]
    assert shared.payload["file"]["shares"]["public"]["C0LEADS"][0]["ts"] == shared.ts

    thread = await client.conversations_replies(channel="C0LEADS", ts=parent["ts"])
    reply = thread["messages"][1]
    assert reply["text"] == "Here are the leads as CSV"
    assert reply["files"][0]["id"] == file["id"]
    assert state.files[file["id"]].content == CSV.encode()

    async with http.get(
        file["url_private_download"], headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    ) as download:
        assert download.status == 200
        assert await download.text() == CSV
    async with http.get(file["url_private"]) as anonymous:
        assert anonymous.status == 403

    info = await client.files_info(file=file["id"])
    assert info["file"]["shares"]["public"]["C0LEADS"]


async def test_upload_without_a_channel_stays_private(
    client: AsyncWebClient, state: SlackState
) -> None:
    answer = await client.files_upload_v2(content=b"\x00\x01", filename="blob.bin")
    assert answer["file"]["filetype"] == "bin"
    assert state.files[answer["file"]["id"]].shares == {}
    assert state.events.events_since(0, kind="file_shared") == []


async def test_upload_where_the_bot_is_not_a_member(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client.files_upload_v2(channel="C0RANDOM", content="x", filename="x.txt")
    assert refused.value.response["error"] == "not_in_channel"


async def test_upload_url_answers_like_files_slack_com(
    client: AsyncWebClient, http: aiohttp.ClientSession
) -> None:
    url = await client.files_getUploadURLExternal(filename="a.txt", length=5)
    async with http.post(url["upload_url"], data=b"hello") as uploaded:
        assert uploaded.status == 200
        assert uploaded.content_type == "text/plain"
        assert await uploaded.text() == "OK - 5"
    async with http.post(url["upload_url"].replace("/v1/", "/v1/x"), data=b"x") as unknown:
        assert unknown.status == 404


async def test_upload_via_multipart_form(
    client: AsyncWebClient, http: aiohttp.ClientSession, state: SlackState
) -> None:
    url = await client.files_getUploadURLExternal(filename="a.csv", length=3)
    form = aiohttp.FormData()
    form.add_field("filename", b"a,b", filename="a.csv", content_type="text/csv")
    async with http.post(url["upload_url"], data=form) as uploaded:
        assert uploaded.status == 200
    assert state.files[url["file_id"]].content == b"a,b"


async def test_complete_upload_errors(client: AsyncWebClient, sandbox: Sandbox) -> None:
    url = await client.files_getUploadURLExternal(filename="a.txt", length=5)
    files = [{"id": url["file_id"], "title": "a"}]
    with pytest.raises(SlackApiError) as not_uploaded:
        await client.files_completeUploadExternal(files=files, channel_id="C0LEADS")
    assert not_uploaded.value.response["error"] == "file_not_found"

    with pytest.raises(SlackApiError) as bad_channel:
        await client.files_completeUploadExternal(files=files, channel_id="leads")
    assert bad_channel.value.response["error"] == "invalid_arguments"

    with pytest.raises(SlackApiError) as unknown_channel:
        await client.files_completeUploadExternal(files=files, channel_id="C0NOPE")
    assert unknown_channel.value.response["error"] == "invalid_channel"

    with pytest.raises(SlackApiError) as no_length:
        await client.api_call("files.getUploadURLExternal", params={"filename": "a", "length": 0})
    assert no_length.value.response["error"] == "missing_argument"
