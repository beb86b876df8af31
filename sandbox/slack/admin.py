"""Admin endpoints for tests and the demo (not Slack's): faults, the event log, channel contents.

- ``POST /_admin/faults`` with ``{"rate_limit": {"method": "chat.postMessage", "count": 2,
  "retry_after": 1}}`` and/or ``{"fail": {"method": "…", "error": "fatal_error", "count": 1,
  "status": 200}}`` and/or ``{"rate_limit_every": {"method": "*", "every": 7, "retry_after":
  1}}`` (every 7th call answers 429 until cleared) (each may also be a list; ``"method": "*"``
  matches every method);
  ``GET`` lists what is armed, ``DELETE`` disarms everything.
- ``GET /_admin/events?since=N[&kind=K][&wait=S]`` — events after ``N``; with ``wait``, holds
  the request up to ``S`` seconds (≤ 30) until there is at least one.
- ``GET /_admin/channels`` — channels and their members.
- ``GET /_admin/channels/<id>/messages`` — top-level messages oldest first, each with its
  ``replies``, plus the channel's ephemerals.
- ``GET /_admin/channels/<id>/transcript`` — the channel as a person would read it (text).

Bad input gets HTTP 400 with ``{"ok": false, "error": …, "detail": …}``.
"""

from __future__ import annotations

import json
from typing import Any, get_args

from aiohttp import web

from ._http import MAX_BODY, SLACK_STATE, BodyTooLarge, read_limited, too_large
from .events import EventKind
from .render import render_channel
from .state import SlackState

MAX_WAIT = 30.0
_EVENT_KINDS = frozenset(get_args(EventKind))


class _BadInput(Exception):
    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error = error
        self.detail = detail


def register(router: web.UrlDispatcher) -> None:
    """Add the admin routes under ``/_admin``."""
    router.add_get("/_admin/faults", list_faults)
    router.add_post("/_admin/faults", arm_faults)
    router.add_delete("/_admin/faults", clear_faults)
    router.add_get("/_admin/events", list_events)
    router.add_get("/_admin/channels", list_channels)
    router.add_get("/_admin/channels/{channel}/messages", channel_messages)
    router.add_get("/_admin/channels/{channel}/transcript", channel_transcript)


def _bad(error: _BadInput) -> web.Response:
    return web.json_response(
        {"ok": False, "error": error.error, "detail": error.detail}, status=400
    )


async def list_faults(request: web.Request) -> web.Response:
    """What is armed."""
    return web.json_response({"ok": True, "faults": request.app[SLACK_STATE].faults.to_list()})


async def arm_faults(request: web.Request) -> web.Response:
    """Arm rate limits and failures from a JSON body."""
    state = request.app[SLACK_STATE]
    try:
        raw = await read_limited(request, MAX_BODY)
    except BodyTooLarge:
        return too_large()
    try:
        spec = _json_object(raw)
        unknown = sorted(set(spec) - {"rate_limit", "fail", "rate_limit_every"})
        if unknown:
            raise _BadInput("invalid_arguments", f"unknown fault kind(s): {', '.join(unknown)}")
        rate_limits = [_rate_limit(item) for item in _items(spec.get("rate_limit"), "rate_limit")]
        failures = [_failure(item) for item in _items(spec.get("fail"), "fail")]
        standing = [
            _rate_limit_every(item)
            for item in _items(spec.get("rate_limit_every"), "rate_limit_every")
        ]
    except _BadInput as error:
        return _bad(error)
    for method, every, retry_after in standing:
        state.faults.rate_limit_every(method, every=every, retry_after=retry_after)
    for method, count, retry_after in rate_limits:
        state.faults.rate_limit(method, count=count, retry_after=retry_after)
    for method, code, count, status in failures:
        state.faults.fail(method, code, count=count, status=status)
    return web.json_response({"ok": True, "faults": state.faults.to_list()})


async def clear_faults(request: web.Request) -> web.Response:
    """Disarm everything."""
    state = request.app[SLACK_STATE]
    state.faults.clear()
    return web.json_response({"ok": True, "faults": []})


async def list_events(request: web.Request) -> web.Response:
    """Events after ``since``, optionally waiting for the first one."""
    state = request.app[SLACK_STATE]
    try:
        since = _int_param(request, "since", 0, minimum=0)
        wait = _float_param(request, "wait", 0.0)
        kind = request.query.get("kind")
        if kind is not None and kind not in _EVENT_KINDS:
            raise _BadInput("invalid_arguments", f"kind must be one of {sorted(_EVENT_KINDS)}")
    except _BadInput as error:
        return _bad(error)
    if wait > 0:
        await state.events.wait_for_news(since, min(wait, MAX_WAIT))
    events = [e for e in state.events.events_since(since) if kind is None or e.kind == kind]
    return web.json_response(
        {"ok": True, "events": [e.to_dict() for e in events], "last_seq": state.last_seq}
    )


async def list_channels(request: web.Request) -> web.Response:
    """Every channel with its members."""
    state = request.app[SLACK_STATE]
    channels = [
        {**c.to_api(member=state.bot_user_id, team_id=state.team_id), "members": sorted(c.members)}
        for c in state.channels.values()
    ]
    return web.json_response({"ok": True, "channels": channels})


async def channel_messages(request: web.Request) -> web.Response:
    """A channel's messages (oldest first, replies nested) and ephemerals."""
    state = request.app[SLACK_STATE]
    channel = state.channels.get(request.match_info["channel"])
    if channel is None:
        return web.json_response({"ok": False, "error": "channel_not_found"}, status=404)
    return web.json_response(
        {
            "ok": True,
            "channel": channel.to_api(member=state.bot_user_id, team_id=state.team_id),
            "messages": _threads(state, channel.id),
            "ephemerals": [
                {
                    "user": e.user,
                    "ts": e.ts,
                    "thread_ts": e.thread_ts,
                    "text": e.text,
                    "blocks": e.blocks,
                    "source": e.source,
                }
                for e in state.ephemerals
                if e.channel == channel.id
            ],
        }
    )


async def channel_transcript(request: web.Request) -> web.Response:
    """The channel rendered as plain text."""
    state = request.app[SLACK_STATE]
    channel_id = request.match_info["channel"]
    if channel_id not in state.channels:
        return web.Response(status=404, text="channel_not_found", content_type="text/plain")
    return web.Response(text=render_channel(state, channel_id), content_type="text/plain")


def _threads(state: SlackState, channel_id: str) -> list[dict[str, Any]]:
    out = []
    for msg in reversed(state.history(channel_id)):
        if msg.is_reply:
            continue
        entry = msg.to_api(team_id=state.team_id)
        entry["replies"] = [
            r.to_api(team_id=state.team_id) for r in state.thread(channel_id, msg.ts)[1:]
        ]
        out.append(entry)
    return out


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise _BadInput("invalid_json", f"body is not JSON: {err}") from None
    if not isinstance(value, dict):
        raise _BadInput("json_not_object", "body must be a JSON object")
    return value


def _items(value: Any, name: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, dict) for item in items):
        raise _BadInput("invalid_arguments", f"{name} must be an object or a list of objects")
    return items


def _rate_limit(item: dict[str, Any]) -> tuple[str, int, int]:
    return (
        _method(item),
        _int_field(item, "count", 1, minimum=1, maximum=10_000),
        _int_field(item, "retry_after", 1, minimum=0, maximum=3600),
    )


def _rate_limit_every(item: dict[str, Any]) -> tuple[str, int, int]:
    return (
        _method(item),
        _int_field(item, "every", 0, minimum=1, maximum=10_000),
        _int_field(item, "retry_after", 1, minimum=0, maximum=3600),
    )


def _failure(item: dict[str, Any]) -> tuple[str, str, int, int]:
    error = item.get("error")
    if not isinstance(error, str) or not error:
        raise _BadInput("invalid_arguments", "fail.error must be a non-empty string")
    return (
        _method(item),
        error,
        _int_field(item, "count", 1, minimum=1, maximum=10_000),
        _int_field(item, "status", 200, minimum=200, maximum=599),
    )


def _method(item: dict[str, Any]) -> str:
    method = item.get("method")
    if not isinstance(method, str) or not method:
        raise _BadInput("invalid_arguments", "method must be a non-empty string")
    return method


def _int_field(item: dict[str, Any], name: str, default: int, *, minimum: int, maximum: int) -> int:
    value = item.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise _BadInput("invalid_arguments", f"{name} must be an integer in [{minimum}, {maximum}]")
    return value


def _int_param(request: web.Request, name: str, default: int, *, minimum: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _BadInput("invalid_arguments", f"{name} must be an integer") from None
    if value < minimum:
        raise _BadInput("invalid_arguments", f"{name} must be at least {minimum}")
    return value


def _float_param(request: web.Request, name: str, default: float) -> float:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise _BadInput("invalid_arguments", f"{name} must be a number") from None
    if not 0 <= value < float("inf"):
        raise _BadInput("invalid_arguments", f"{name} must be a non-negative number")
    return value
