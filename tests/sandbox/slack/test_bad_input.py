"""Malformed, mistyped and oversized requests get Slack-style errors, never a 500 or traceback."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from sandbox.slack import DEFAULT_TOKEN, SlackState
from sandbox.slack import web as slack_web
from tests.sandbox.slack.support import Sandbox

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}


async def _call(
    http: aiohttp.ClientSession,
    sandbox: Sandbox,
    method: str,
    *,
    data: bytes | str | io.BytesIO | None = None,
    content_type: str | None = "application/json",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    sent = {**AUTH, **(headers or {})}
    if content_type is not None:
        sent["Content-Type"] = content_type
    async with http.post(
        f"{sandbox.api_url}{method}",
        data=data,
        headers=sent,
        skip_auto_headers=["Content-Type"] if content_type is None else None,
    ) as response:
        return response.status, await response.json()


JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
LEADS = '"channel": "C0LEADS"'


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        ('{"channel": "C0LEADS", "text": ', JSON, "invalid_json"),
        ("[]", JSON, "json_not_object"),
        ('"text"', JSON, "json_not_object"),
        (b"\xff\xfe", JSON, "invalid_json"),
        ("channel=C0LEADS&text=hi", None, "missing_post_type"),
        ("<xml/>", "application/xml", "invalid_post_type"),
        ("channel=C0LEADS&text=hi", f"{FORM}; charset=koi8-r", "invalid_charset"),
        ('{"channel": ["C0LEADS"], "text": "x"}', JSON, "invalid_array_arg"),
        ('{"channel": {"id": "C0LEADS"}, "text": "x"}', JSON, "invalid_arguments"),
        (f'{{{LEADS}, "text": "x", "reply_broadcast": "perhaps"}}', JSON, "invalid_arguments"),
        (f'{{{LEADS}, "blocks": "[{{\\"type\\": "}}', JSON, "invalid_blocks_format"),
        (f'{{{LEADS}, "blocks": {{"type": "divider"}}}}', JSON, "invalid_blocks_format"),
        ("channel=C0LEADS&blocks=not-json", FORM, "invalid_blocks_format"),
        (f'{{{LEADS}, "text": "x", "metadata": "{{oops"}}', JSON, "invalid_metadata_format"),
        ('{"channel": 12345, "text": "x"}', JSON, "channel_not_found"),
        ('{"text": "no channel"}', JSON, "channel_not_found"),
    ],
)
async def test_post_message_refuses_bad_input(
    sandbox: Sandbox,
    http: aiohttp.ClientSession,
    body: str | bytes,
    content_type: str | None,
    error: str,
) -> None:
    status, answer = await _call(
        http, sandbox, "chat.postMessage", data=body, content_type=content_type
    )
    assert status == 200
    assert answer["ok"] is False
    assert answer["error"] == error


async def test_two_megabytes_is_413(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    huge = json.dumps({"channel": "C0LEADS", "text": "x" * (2 * 1024 * 1024)}).encode()
    status, answer = await _call(http, sandbox, "chat.postMessage", data=io.BytesIO(huge))
    assert status == 413
    assert answer == {"ok": False, "error": "request_too_large"}
    # The connection stays usable: the next call is answered normally.
    status, answer = await _call(http, sandbox, "auth.test", data="{}")
    assert (status, answer["ok"]) == (200, True)


async def test_oversized_chunked_body_is_413(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    async def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 65536  # 2.5 MiB with no Content-Length

    async with http.post(
        f"{sandbox.api_url}chat.postMessage",
        data=chunks(),
        headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
    ) as response:
        assert response.status == 413


async def test_oversized_response_url_and_upload(
    sandbox: Sandbox, http: aiohttp.ClientSession, state: SlackState
) -> None:
    url = state.new_response_url(sandbox.base_url, "C0LEADS", "U0ALICE")
    async with http.post(url, data=io.BytesIO(b"x" * (2 * 1024 * 1024))) as response:
        assert response.status == 413
    upload = await sandbox.client().files_getUploadURLExternal(filename="big.bin", length=1)
    big = io.BytesIO(b"x" * (21 * 1024 * 1024))
    async with http.post(upload["upload_url"], data=big) as response:
        assert response.status == 413


async def test_tokens_are_read_where_slack_reads_them(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    form = f"token={DEFAULT_TOKEN}&channel=C0LEADS&text=via+form"
    async with http.post(
        f"{sandbox.api_url}chat.postMessage",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ) as response:
        assert (await response.json())["ok"] is True

    body = json.dumps({"token": DEFAULT_TOKEN, "channel": "C0LEADS", "text": "x"})
    async with http.post(
        f"{sandbox.api_url}chat.postMessage",
        data=body,
        headers={"Content-Type": "application/json"},
    ) as response:
        assert (await response.json())["error"] == "not_authed"  # JSON needs the header

    async with http.get(f"{sandbox.api_url}auth.test?token={DEFAULT_TOKEN}") as response:
        assert (await response.json())["error"] == "not_authed"  # no tokens in query strings

    async with http.get(
        f"{sandbox.api_url}conversations.info?channel=C0LEADS", headers=AUTH
    ) as response:
        assert (await response.json())["channel"]["id"] == "C0LEADS"


async def test_form_encoded_blocks(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    blocks = json.dumps([{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}])
    _, answer = await _call(
        http,
        sandbox,
        "chat.postMessage",
        data=urlencode({"channel": "C0LEADS", "text": "t", "blocks": blocks}),
        content_type="application/x-www-form-urlencoded",
    )
    assert answer["ok"] is True
    assert answer["message"]["blocks"][0]["text"]["text"] == "*hi*"


async def test_multipart_arguments(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    form = aiohttp.FormData({"channel": "C0LEADS", "text": "multipart"})
    async with http.post(f"{sandbox.api_url}chat.postMessage", data=form(), headers=AUTH) as r:
        assert (await r.json())["message"]["text"] == "multipart"


async def test_wrong_types_in_other_methods(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    _, answer = await _call(
        http, sandbox, "conversations.history", data='{"channel": "C0LEADS", "limit": "lots"}'
    )
    assert answer["error"] == "invalid_arguments"
    _, answer = await _call(
        http, sandbox, "conversations.history", data='{"channel": "C0LEADS", "oldest": "yesterday"}'
    )
    assert answer["error"] == "invalid_ts_oldest"
    _, answer = await _call(http, sandbox, "files.completeUploadExternal", data='{"files": "F1"}')
    assert answer["error"] == "invalid_arguments"
    _, answer = await _call(
        http, sandbox, "views.publish", data='{"user_id": "U0ALICE", "view": "{"}'
    )
    assert answer["error"] == "invalid_arguments"
    _, answer = await _call(
        http, sandbox, "chat.update", data='{"channel": "C0LEADS", "text": "x"}'
    )
    assert answer["response_metadata"]["messages"] == ["[ERROR] missing required field: ts"]


async def test_a_bug_in_the_stand_in_is_an_error_answer_not_a_500(
    sandbox: Sandbox, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(call: object) -> dict[str, Any]:
        raise RuntimeError("boom")

    monkeypatch.setitem(slack_web.METHODS, "auth.test", broken)
    status, answer = await _call(http, sandbox, "auth.test", data="{}")
    assert status == 200
    assert answer == {"ok": False, "error": "internal_error"}


async def test_unknown_routes_and_admin_params(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{sandbox.base_url}/nowhere") as response:
        assert response.status == 404
    for query in ("since=soon", "since=-1", "wait=forever", "wait=nan", "kind=explosion"):
        async with http.get(f"{sandbox.base_url}/_admin/events?{query}") as response:
            assert response.status == 400, query
            assert (await response.json())["ok"] is False
    async with http.get(f"{sandbox.base_url}/_admin/channels/C0NOPE/messages") as response:
        assert response.status == 404
