"""One CLI run's connection to the world: the API (or the embedded sandbox) and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from rich.console import Console

from sandbox.embedded import embedded_sandbox
from shared.runtime import Runtime, open_runtime
from shared.service import LeadsService
from shared.settings import Settings

__all__ = ["Session", "open_session"]


@dataclass
class Session:
    """What a command works with."""

    runtime: Runtime
    sandbox: bool

    @property
    def service(self) -> LeadsService:
        """The lead-search service."""
        return self.runtime.service


@asynccontextmanager
async def open_session(settings: Settings, *, notice: Console) -> AsyncIterator[Session]:
    """Open the runtime; without API credentials, start the sandbox first and say so."""
    if settings.uses_sandbox:
        notice.print(
            "No NYNE_API_KEY set: using the local sandbox (synthetic people, "
            f"{settings.leads_sandbox_speed:g}x faster than the real API)."
        )
    async with (
        embedded_sandbox(settings.uses_sandbox, settings.leads_sandbox_speed) as sandbox_url,
        open_runtime(settings, sandbox_url=sandbox_url) as runtime,
    ):
        yield Session(runtime, runtime.endpoint.sandbox)
