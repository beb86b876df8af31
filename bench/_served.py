"""A server process as deployed: started, timed to its first healthy answer, weighed, stopped.

Unlike :mod:`bench._procs`' helpers, these are the product's own entry points
(``python -m bot``, ``python -m mcp_server``) or a bare baseline, configured only through
their environment and command line, and stopped with SIGTERM as a platform stops them.
Their output goes to a log file, quoted when one fails to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = [
    "MCP_INITIALIZE",
    "PRODUCT_SETTINGS",
    "HealthProbe",
    "Served",
    "child_env",
    "healthz",
    "mcp_initialize",
    "rss_bytes",
    "serve",
]

ROOT = Path(__file__).resolve().parents[1]
PRODUCT_SETTINGS = ("NYNE_", "SLACK_", "REDIS_", "PUBLIC_", "LEADS_", "PORT", "MCP_")
"""Prefixes of the product's settings: a developer's own are kept away from the children."""
KEPT = ("LEADS_BENCH_",)
"""Kept all the same: markers the smoke test finds leftover processes by."""
PROBE_INTERVAL = 0.01
"""Seconds between health probes while a process starts (the start-up time's resolution)."""
MCP_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "leads-bench", "version": "1"},
    },
}
"""The first request an MCP client sends: answered, the server is up."""

HealthProbe = Callable[[httpx.AsyncClient], Awaitable[bool]]
"""One attempt at a healthy answer: True once the process gives one."""


def child_env(**settings: str) -> dict[str, str]:
    """This environment without the product's settings, with ``settings`` instead."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key.startswith(KEPT) or not key.startswith(PRODUCT_SETTINGS)
    }
    path = os.environ.get("PYTHONPATH")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + path if path else "")
    env.update(settings)
    return env


def healthz(url: str) -> HealthProbe:
    """``GET <url>/healthz`` answers 200."""

    async def probe(http: httpx.AsyncClient) -> bool:
        return (await http.get(f"{url}/healthz")).status_code == 200

    return probe


def mcp_initialize(url: str, token: str | None = None) -> HealthProbe:
    """``POST <url>/mcp`` with an ``initialize`` request gets its result."""
    headers = {"Accept": "application/json, text/event-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"

    async def probe(http: httpx.AsyncClient) -> bool:
        response = await http.post(f"{url}/mcp", json=MCP_INITIALIZE, headers=headers)
        return response.status_code == 200 and '"result"' in response.text

    return probe


def rss_bytes(pid: int) -> int:
    """Resident set size of a process now (Linux: ``VmRSS`` of ``/proc/<pid>/status``)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError as err:
        raise RuntimeError(f"cannot read the memory of process {pid} ({err})") from err
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024  # "VmRSS:   61234 kB"
    raise RuntimeError(f"/proc/{pid}/status has no VmRSS line")


@dataclass
class Served:
    """A running server process."""

    process: asyncio.subprocess.Process
    log_path: Path
    startup_seconds: float
    """From just before it was spawned to its first healthy answer."""

    @property
    def rss(self) -> int:
        """Its resident set size now, in bytes."""
        return rss_bytes(self.process.pid)


def _log_tail(path: Path) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return text[-3000:] or "(no output)"


async def _first_healthy(
    process: asyncio.subprocess.Process,
    probe: HealthProbe,
    *,
    name: str,
    log_path: Path,
    timeout: float,
) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as http:
        while True:
            if process.returncode is not None:
                raise RuntimeError(
                    f"{name} exited ({process.returncode}) before it answered healthy:\n"
                    f"{_log_tail(log_path)}"
                )
            try:
                if await probe(http):
                    return
            except httpx.HTTPError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{name} gave no healthy answer within {timeout:g} s:\n{_log_tail(log_path)}"
                )
            await asyncio.sleep(PROBE_INTERVAL)


async def _stop(process: asyncio.subprocess.Process, timeout: float = 15.0) -> None:
    """SIGTERM, as a platform stops it; SIGKILL if it has not exited within ``timeout``."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await process.wait()
                return
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    await process.wait()


@asynccontextmanager
async def serve(
    args: Sequence[str],
    env: dict[str, str],
    probe: HealthProbe,
    *,
    workdir: Path,
    name: str,
    timeout: float = 60.0,
) -> AsyncIterator[Served]:
    """Run ``python <args>`` in ``workdir`` (no stray ``.env``); yield it once healthy.

    ``name`` names it in errors and its log file (``<workdir>/<name>.log``).
    """
    log_path = workdir / f"{name}.log"
    with log_path.open("ab") as log:
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, *args, env=env, cwd=workdir, stdout=log, stderr=log
        )
    try:
        await _first_healthy(process, probe, name=name, log_path=log_path, timeout=timeout)
        yield Served(process, log_path, time.perf_counter() - started)
    finally:
        await _stop(process)
