"""Real servers for integration tests: redis-server on a free port, free-port helpers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.waiting import wait_until_sync


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    """True when something accepts connections on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass(frozen=True)
class RedisTLSFiles:
    """PEM files for a TLS redis-server: its certificate and key, and the CA that signed it."""

    cert: Path
    key: Path
    ca: Path


@dataclass
class RedisServer:
    """A running redis-server of our own."""

    port: int
    process: subprocess.Popen[bytes]
    tls: bool = False
    argv: tuple[str, ...] = ()
    """How it was started: :meth:`restart` runs the same (same port, same data directory)."""

    @property
    def url(self) -> str:
        return f"{'rediss' if self.tls else 'redis'}://127.0.0.1:{self.port}/0"

    def restart(self) -> None:
        """Start it again after :meth:`stop`, on the same port and data (an AOF reloads)."""
        assert self.process.poll() is not None, "stop it first"
        self.process = subprocess.Popen(
            self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until_sync(lambda: port_open(self.port), timeout=10, message="redis to restart")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def redis_server_binary() -> str:
    """Path of redis-server; under REQUIRE_REDIS=1 its absence fails the test, else skips it."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail("redis-server is not installed, and REQUIRE_REDIS=1 (CI) needs it")
        pytest.skip("redis-server is not installed")
    return binary


def _tls_arguments(port: int, tls: RedisTLSFiles | None) -> list[str]:
    """``--port`` for plain TCP, or TLS only on ``port`` (no plaintext port at all)."""
    if tls is None:
        return ["--port", str(port)]
    return [
        "--port",
        "0",
        "--tls-port",
        str(port),
        "--tls-cert-file",
        str(tls.cert),
        "--tls-key-file",
        str(tls.key),
        "--tls-ca-cert-file",
        str(tls.ca),
        "--tls-auth-clients",
        "no",  # the server's certificate is what is under test, not client certificates
    ]


def _tls_unsupported(output: str) -> None:
    message = f"this redis-server was built without TLS: {output.strip()[-300:]}"
    if os.environ.get("CI") or os.environ.get("REQUIRE_REDIS"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def run_redis_server(
    port: int | None = None, *, tls: RedisTLSFiles | None = None, appendonly: bool = False
) -> Iterator[RedisServer]:
    """Start a throwaway redis-server (no persistence) and stop it afterwards.

    With ``appendonly``, it keeps an AOF (fsynced every second, and on a clean stop), so that
    a :meth:`RedisServer.restart` finds what was written before, as a managed Redis does.

    With ``tls``, it listens with TLS only; a redis-server built without TLS fails the test
    under CI (``CI`` or ``REQUIRE_REDIS`` set) and skips it elsewhere.
    """
    binary = redis_server_binary()
    port = port or free_port()
    workdir = tempfile.mkdtemp(prefix="leads-redis-")
    # Its output goes to a file, not a pipe: nobody reads a pipe while it runs, and a full
    # one would block the server. The file says why, if it fails to start.
    output_path = Path(workdir) / "redis-server.out"
    output_file = output_path.open("wb")
    argv = (
        binary,
        *_tls_arguments(port, tls),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "yes" if appendonly else "no",
        "--dir",
        workdir,
    )
    process = subprocess.Popen(argv, stdout=output_file, stderr=subprocess.STDOUT)
    output_file.close()  # the child holds its own descriptor
    server = RedisServer(port, process, tls=tls is not None, argv=argv)
    try:
        wait_until_sync(
            lambda: port_open(port) or process.poll() is not None,
            timeout=10,
            message="redis-server to listen",
        )
        if process.poll() is not None:
            output = output_path.read_text(errors="replace")
            if tls is not None and "tls" in output.lower():
                _tls_unsupported(output)
            pytest.fail(f"redis-server exited with {process.returncode}: {output[-500:]}")
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
