"""HTTP plumbing shared by the stand-in's routes: the state key, bounded body reads, mount URL."""

from __future__ import annotations

from aiohttp import web

from .state import SlackState

#: The workspace behind a stand-in app: ``app[SLACK_STATE]``.
SLACK_STATE = web.AppKey("slack_state", SlackState)

#: Largest Web API request body accepted (aiohttp's default ``client_max_size``, 1 MiB).
MAX_BODY = 1024 * 1024
#: Largest file accepted on an upload URL (the demo's CSV exports are far smaller).
MAX_UPLOAD = 20 * 1024 * 1024
# Past the limit the rest of the body is read and dropped up to this much, so the client gets
# its 413 instead of a connection reset halfway through sending.
_DRAIN_MAX = 64 * 1024 * 1024
_CHUNK = 64 * 1024
API_ROUTE = "slack_api"


class BodyTooLarge(Exception):
    """The request body is over the limit: answer 413."""


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The request body, or ``BodyTooLarge`` once it passes ``limit`` bytes.

    Reads the stream itself rather than ``request.read()``, whose cap belongs to whichever
    app the stand-in is mounted in.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        await _drain(request, declared)
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            await _drain(request, _DRAIN_MAX)
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def _drain(request: web.Request, declared: int) -> None:
    if declared > _DRAIN_MAX:
        return
    async for _ in request.content.iter_chunked(_CHUNK):
        pass


def mount_url(request: web.Request) -> str:
    """Absolute URL where the stand-in app is mounted (``http://host:port/slack``, or the root)."""
    api_path = request.app.router[API_ROUTE].url_for(method="x").path
    prefix = api_path.removesuffix("/api/x")
    return f"{request.url.origin()}{prefix}"


def too_large() -> web.Response:
    """Slack-style answer to an oversized body."""
    return web.json_response({"ok": False, "error": "request_too_large"}, status=413)
