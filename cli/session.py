"""One CLI run's connection to the world: the API (or the embedded sandbox) and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from rich.console import Console

from sandbox.embedded import SandboxConfig, start_sandbox
from shared.runtime import ApiEndpoint, Runtime, open_runtime
from shared.service import LeadsService, PollSchedule
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings

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
    async with AsyncExitStack() as stack:
        schedule = None
        if settings.uses_sandbox:
            speed = settings.leads_sandbox_speed
            running = await stack.enter_async_context(start_sandbox(SandboxConfig(speed=speed)))
            schedule = PollSchedule().scaled(1 / speed)
            endpoint = ApiEndpoint(
                running.base_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True
            )
            notice.print(
                "No NYNE_API_KEY set: using the local sandbox (synthetic people, "
                f"{settings.leads_sandbox_speed:g}x faster than the real API)."
            )
        else:
            endpoint = ApiEndpoint.from_settings(settings)
        runtime = await stack.enter_async_context(
            open_runtime(settings, endpoint, schedule=schedule)
        )
        yield Session(runtime, endpoint.sandbox)
