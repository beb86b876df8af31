"""What the product's fronts start when no API key is configured: :func:`embedded_sandbox`.

Kept apart from :mod:`sandbox.embedded` so that importing it costs nothing: the sandbox (its
corpus, search engine and numpy) is imported only when it is actually started. A front with
real credentials never loads it (about 20–30 MB of RSS and half a second of start-up).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["embedded_sandbox"]


@asynccontextmanager
async def embedded_sandbox(needed: bool, speed: float) -> AsyncIterator[str | None]:
    """When ``needed``, a sandbox with the default credentials at ``speed`` for the block.

    Yields its base URL, or None when not needed. The fronts hand the URL to
    ``shared.runtime.open_runtime``.
    """
    if not needed:
        yield None
        return
    from sandbox.embedded import SandboxConfig, start_sandbox

    async with start_sandbox(SandboxConfig(speed=speed)) as running:
        yield running.base_url
