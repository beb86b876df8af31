"""Reading a request body with a size cap, as a stream (never buffering past the cap)."""

from __future__ import annotations

from aiohttp import web

__all__ = ["BodyTooLarge", "read_at_most"]

_DRAIN_MAX = 16 * 1024 * 1024
_CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    """The body is over the limit."""


async def read_at_most(request: web.Request, limit: int) -> bytes:
    """The body, or :class:`BodyTooLarge` past ``limit`` bytes (read as a stream, not buffered).

    What is over the limit is read and dropped (up to a bound) so the sender gets its 413
    rather than a connection reset half-way through sending.
    """
    declared = request.content_length
    too_large = declared is not None and declared > limit
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > _DRAIN_MAX:
            break
        if not too_large and size > limit:
            too_large = True
        if not too_large:
            chunks.append(chunk)
    if too_large:
        raise BodyTooLarge
    return b"".join(chunks)
