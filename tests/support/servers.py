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

import pytest

from tests.support.waiting import wait_until_sync


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class RedisServer:
    """A running redis-server of our own."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

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


@contextmanager
def run_redis_server(port: int | None = None) -> Iterator[RedisServer]:
    """Start a throwaway redis-server (no persistence) and stop it afterwards."""
    binary = redis_server_binary()
    port = port or free_port()
    workdir = tempfile.mkdtemp(prefix="leads-redis-")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = RedisServer(port, process)
    try:
        wait_until_sync(
            lambda: _port_open(port) or process.poll() is not None,
            timeout=10,
            message="redis-server to listen",
        )
        if process.poll() is not None:
            pytest.fail(f"redis-server exited with {process.returncode}")
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
