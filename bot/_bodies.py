"""Reading a request body with a size cap, as a stream (never buffering past the cap)."""

from __future__ import annotations

from aiohttp import web

__all__ = ["BodyTooLarge", "read_at_most"]

_CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    """The body is over the limit."""


async def read_at_most(request: web.Request, limit: int) -> bytes:
    """The body, or :class:`BodyTooLarge` past ``limit`` bytes (read as a stream, not buffered).

    Reading stops at the limit (at once when the declared length is over it): the caller
    answers 413 straight away, and aiohttp then reads and drops the rest for a while (its
    lingering close), so an honest sender still gets the 413 rather than a reset. Draining
    here first made a sender of a 10 MB chunked body wait, and cost us, until all of it
    had been read.
    """
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)
