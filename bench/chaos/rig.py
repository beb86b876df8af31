"""What a chaos run starts: a redis-server with AOF, and the ``Procfile``'s processes.

Processes are started as the ``Procfile`` says, with the interpreter running this code:
the console script its command names (``leads-web``) is looked up in ``pyproject.toml``'s
``[project.scripts]`` and run as ``python -m <its module>``, so the processes run this
checkout's code whatever is installed. Each start of a process logs to a file of its own
(``web-a.1.log``, ``web-a.2.log`` after a restart).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.servers import free_port, port_open

__all__ = [
    "ROOT",
    "AofRedis",
    "Process",
    "free_port",
    "procfile_command",
    "product_env",
]

ROOT = Path(__file__).resolve().parents[2]
"""The checkout: its ``Procfile``, ``pyproject.toml`` and code."""

# The developer's own settings never leak into the processes under test.
_OUR_PREFIXES = ("NYNE_", "SLACK_", "REDIS_", "PUBLIC_", "LEADS_", "PORT", "MCP_")
_VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)")


def procfile_command(
    kind: str, env: dict[str, str], *, root: Path = ROOT, python: str = sys.executable
) -> list[str]:
    """The argv that runs the ``Procfile``'s process ``kind``, as ``python -m <module>``.

    ``$VAR`` and ``${VAR:-default}`` are expanded from ``env``, as a platform's shell would.
    """
    commands: dict[str, str] = {}
    for line in (root / "Procfile").read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not name.lstrip().startswith("#"):
            commands[name.strip()] = command.strip()
    if kind not in commands:
        raise ValueError(f"the Procfile has no {kind!r} process (it has {sorted(commands)})")

    def expand(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        return env.get(name) or match.group(2) or ""

    script, *args = shlex.split(_VARIABLE.sub(expand, commands[kind]))
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    if script not in scripts:
        raise ValueError(f"{script!r} (Procfile {kind!r}) is not a console script of the project")
    module = str(scripts[script]).split(":", 1)[0]
    return [python, "-m", module, *args]


def product_env(
    *,
    redis_url: str,
    api_url: str,
    api_key: str,
    api_secret: str,
    slack_api_url: str,
    slack_token: str,
    signing_secret: str,
    **extra: str,
) -> dict[str, str]:
    """The environment of a process under test: this one's, minus the product's settings, plus
    ours. JSON logs, so that :mod:`bench.chaos.logscan` reads every field."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OUR_PREFIXES)}
    path = [str(ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(path),
            "PYTHONUNBUFFERED": "1",
            "NYNE_API_KEY": api_key,
            "NYNE_API_SECRET": api_secret,
            "NYNE_BASE_URL": api_url,
            "REDIS_URL": redis_url,
            "SLACK_BOT_TOKEN": slack_token,
            "SLACK_SIGNING_SECRET": signing_secret,
            "SLACK_API_URL": slack_api_url,
            # The budget the bot's subprocess tests use: ample for a few commands a second
            # and their polls, so the shared limiter never holds a search back here (the
            # sandbox's own limits are off: only the faults injected on purpose happen).
            "LEADS_RATE_LIMIT_PER_MINUTE": "600",
            "LEADS_RATE_LIMIT_PER_HOUR": "10000",
            "LEADS_LOG_FORMAT": "json",
            "LEADS_LOG_LEVEL": "INFO",
        }
    )
    env.update(extra)
    return env


@dataclass
class Process:
    """One process of the ``Procfile`` (``kind``), named ``name``, logging under ``log_dir``."""

    name: str
    kind: str
    env: dict[str, str]
    log_dir: Path
    starts: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """Where a web process listens."""
        return f"http://127.0.0.1:{self.env['PORT']}"

    @property
    def log_paths(self) -> list[Path]:
        """One log per start, oldest first."""
        return [self.log_dir / f"{self.name}.{n}.log" for n in range(1, self.starts + 1)]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start it (again), logging to a new file."""
        self.starts += 1
        with (self.log_dir / f"{self.name}.{self.starts}.log").open("wb") as log:
            self.process = subprocess.Popen(
                procfile_command(self.kind, self.env),
                env=self.env,
                cwd=self.log_dir,  # no stray .env
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, like a crash or an out-of-memory kill."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, as a platform stops a process; SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_text(self) -> str:
        """Every start's log, concatenated."""
        return "".join(p.read_text(errors="replace") for p in self.log_paths if p.exists())


@dataclass
class AofRedis:
    """A private redis-server with AOF persistence, which can be shut down and started again
    on the same port and data directory (``SHUTDOWN`` on SIGTERM writes the AOF out)."""

    directory: Path
    port: int = field(default_factory=free_port)
    starts: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, timeout: float = 10.0) -> None:
        """Start it and wait until it accepts connections."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not on PATH; the chaos run needs it")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with (self.directory / f"redis.{self.starts}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    str(self.directory),
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "everysec",
                    "--save",
                    "",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while not port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.directory}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Shut it down cleanly (SIGTERM: the AOF is flushed before it exits)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
