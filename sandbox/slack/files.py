"""The v2 file upload flow ``slack_sdk``'s ``files_upload_v2`` drives, and file downloads.

1. ``files.getUploadURLExternal(filename, length)`` → ``{upload_url, file_id}``;
2. a POST of the bytes to ``upload_url`` (served here at ``/upload/v1/<ticket>``), answered
   ``200 text/plain "OK - <length>"`` like files.slack.com;
3. ``files.completeUploadExternal(files=[{id, title}], channel_id, thread_ts, initial_comment)``
   shares the files: a message carrying them appears in the channel or thread.

As on Slack, sharing happens after the completion answer: the file objects it returns list no
``channels`` or ``shares`` yet. ``files.completeUploadExternal`` answers ``not_in_channel``
when the bot is not a member (reported against real Slack in public issues), and checks
``channel_id`` against Slack's pattern ``^[CGDZ][A-Z0-9]+$`` (Slack wants 8+ characters after
the prefix; the stand-in's seeded IDs such as ``C0LEADS`` are shorter, so it takes 2+).
"""

from __future__ import annotations

import mimetypes
import re
import secrets
from typing import Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from ._call import Call, Handler
from ._http import MAX_UPLOAD, SLACK_STATE, BodyTooLarge, read_limited, too_large
from .errors import SlackError, missing_field
from .methods import require_bot_can_post, thread_ts_arg
from .state import FileRecord, SlackState

_CHANNEL_ID = re.compile(r"^[CGDZ][A-Z0-9]{2,}$")
ALT_TXT_MAX = 1000


def file_object(state: SlackState, record: FileRecord, base_url: str) -> dict[str, Any]:
    """A file as Slack's methods describe it; download URLs point at this stand-in."""
    extension = record.name.rsplit(".", 1)[-1].lower() if "." in record.name else ""
    name = quote(record.name)
    shares: dict[str, Any] = {}
    for channel_id, timestamps in record.shares.items():
        channel = state.channels.get(channel_id)
        scope = "private" if channel is not None and channel.is_private else "public"
        shares.setdefault(scope, {})[channel_id] = [
            {"ts": ts, "channel_name": channel.name if channel else "", "team_id": state.team_id}
            for ts in timestamps
        ]
    out: dict[str, Any] = {
        "id": record.id,
        "created": record.created,
        "timestamp": record.created,
        "name": record.name,
        "title": record.title or record.name,
        "mimetype": mimetypes.guess_type(record.name)[0] or "application/octet-stream",
        "filetype": extension or "binary",
        "pretty_type": extension.upper() or "Binary",
        "user": record.user,
        "user_team": state.team_id,
        "editable": False,
        "size": len(record.content) if record.content is not None else record.length,
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": bool(shares.get("public")),
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": f"{base_url}/files/{record.id}/{name}",
        "url_private_download": f"{base_url}/files/{record.id}/download/{name}",
        "permalink": f"{state.workspace_url}files/{record.user}/{record.id}/{name}",
        "comments_count": 0,
        "is_starred": False,
        "shares": shares,
        "channels": [c for c in record.shares if not state.channels[c].is_private],
        "groups": [c for c in record.shares if state.channels[c].is_private],
        "ims": [],
        "has_rich_preview": False,
        "file_access": "visible",
    }
    if record.alt_txt:
        out["alt_txt"] = record.alt_txt
    return out


def files_get_upload_url_external(call: Call) -> dict[str, Any]:
    """Step 1: reserve a file id and hand out the URL to POST its bytes to."""
    args = call.args
    filename = args.string("filename")
    if not filename:
        raise missing_field("filename")
    if "length" not in args:
        raise missing_field("length")
    length = args.integer("length", 0)
    if length <= 0:
        raise SlackError("missing_argument")
    alt_txt = args.string("alt_txt")
    if alt_txt and len(alt_txt) > ALT_TXT_MAX:
        raise SlackError("alt_txt_too_large")
    state = call.state
    record = FileRecord(
        id=state.new_id("F"),
        name=filename,
        length=length,
        user=state.bot_user_id,
        alt_txt=alt_txt,
        snippet_type=args.string("snippet_type"),
    )
    ticket = secrets.token_urlsafe(24)
    state.files[record.id] = record
    state.upload_tickets[ticket] = record.id
    return {"ok": True, "upload_url": f"{call.base_url}/upload/v1/{ticket}", "file_id": record.id}


def files_complete_upload_external(call: Call) -> dict[str, Any]:
    """Step 3: finish the uploads and share them into a channel or thread."""
    state = call.state
    entries = _file_entries(call)
    channel_id = call.args.string("channel_id") or _first(call.args.string("channels"))
    thread_ts = thread_ts_arg(call)
    channel = None
    if channel_id:
        if not _CHANNEL_ID.match(channel_id):
            pattern = _CHANNEL_ID.pattern
            raise SlackError(
                "invalid_arguments",
                messages=[f"input must match regex pattern: {pattern} [json-pointer:/channel_id]"],
            )
        channel = state.channels.get(channel_id)
        if channel is None:
            raise SlackError("invalid_channel")
        require_bot_can_post(state, channel)
    records: list[FileRecord] = []
    for entry in entries:
        record = state.files.get(entry["id"])
        if record is None or record.content is None or record.completed:
            raise SlackError("file_not_found")
        records.append(record)
    for record, entry in zip(records, entries, strict=True):
        record.completed = True
        record.title = str(entry.get("title") or record.name)
    answer = [file_object(state, record, call.base_url) for record in records]
    if channel is not None:
        _share(call, channel.id, records, thread_ts)
    return {"ok": True, "files": answer}


def files_info(call: Call) -> dict[str, Any]:
    """A completed file's details."""
    file_id = call.args.string("file")
    if not file_id:
        raise missing_field("file")
    record = call.state.files.get(file_id)
    if record is None or not record.completed:
        raise SlackError("file_not_found")
    return {
        "ok": True,
        "file": file_object(call.state, record, call.base_url),
        "comments": [],
        "response_metadata": {"next_cursor": ""},
    }


def _file_entries(call: Call) -> list[dict[str, Any]]:
    if "files" not in call.args:
        raise missing_field("files")
    entries = call.args.decoded("files")
    if (
        not isinstance(entries, list)
        or not entries
        or not all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in entries)
    ):
        raise SlackError(
            "invalid_arguments",
            messages=["must provide an array of {id, title} [json-pointer:/files]"],
        )
    return entries


def _first(channels: str | None) -> str | None:
    return channels.split(",")[0].strip() if channels else None


def _share(call: Call, channel_id: str, records: list[FileRecord], thread_ts: str | None) -> None:
    state = call.state
    # The file objects inside the message are taken before the share is recorded, as Slack
    # shows them in the message event.
    files = [file_object(state, record, call.base_url) for record in records]
    msg = state.post_message(
        channel_id,
        user=state.bot_user_id,
        text=call.args.string("initial_comment") or "",
        thread_ts=thread_ts,
        files=files,
    )
    for record in records:
        record.shares.setdefault(channel_id, []).append(msg.ts)
        state.events.append(
            "file_shared",
            channel=channel_id,
            ts=msg.ts,
            thread_ts=msg.thread_ts if msg.is_reply else None,
            user=state.bot_user_id,
            payload={"file": file_object(state, record, call.base_url)},
        )


# -- HTTP: the upload URL and file downloads -----------------------------------------------


async def handle_upload(request: web.Request) -> web.StreamResponse:
    """Step 2: receive a file's bytes (raw body, or the first file part of a multipart form)."""
    state = request.app[SLACK_STATE]
    file_id = state.upload_tickets.get(request.match_info["ticket"])
    record = state.files.get(file_id) if file_id else None
    if record is None or record.completed:
        return web.Response(status=404, text="invalid upload url", content_type="text/plain")
    try:
        if request.content_type == "multipart/form-data":
            content = await _multipart_file(request)
        else:
            content = await read_limited(request, MAX_UPLOAD)
    except BodyTooLarge:
        return too_large()
    record.content = content
    return web.Response(text=f"OK - {len(content)}", content_type="text/plain")


async def _multipart_file(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_UPLOAD:
        raise BodyTooLarge
    reader = await request.multipart()
    async for part in reader:
        if isinstance(part, BodyPartReader) and part.filename is not None:
            data = await part.read()
            if len(data) > MAX_UPLOAD:
                raise BodyTooLarge
            return bytes(data)
    return b""


async def handle_download(request: web.Request) -> web.StreamResponse:
    """``url_private`` / ``url_private_download``: the bytes, for a valid bearer token."""
    state = request.app[SLACK_STATE]
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token not in state.tokens:
        return web.Response(status=403, text="not_authed", content_type="text/plain")
    record = state.files.get(request.match_info["file_id"])
    if record is None or record.content is None or not record.completed:
        return web.Response(status=404, text="file_not_found", content_type="text/plain")
    mimetype = mimetypes.guess_type(record.name)[0] or "application/octet-stream"
    return web.Response(body=record.content, content_type=mimetype)


METHODS: dict[str, Handler] = {
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
    "files.info": files_info,
}
