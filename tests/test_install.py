"""The project installs as a user installs it (``pip install .``, not editable) and runs from
any directory: entry points work and package data (the sandbox corpus, the Slack app
manifest) ships inside the installed copy.

The wheel is built from a copy of the source and installed with ``--target`` into a fresh
directory; dependencies come from the test environment, so this needs no network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.servers import free_port
from tests.support.waiting import wait_until_sync

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("shared", "bot", "mcp_server", "sandbox", "cli")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A non-editable install of the project in a fresh directory."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    wheels = tmp_path_factory.mktemp("wheels")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("leads-*.whl")
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    return target


def run(
    installed: Path, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    clean = ("NYNE_", "SLACK_", "LEADS_", "REDIS_", "MCP_", "PORT")
    base = {k: v for k, v in os.environ.items() if not k.startswith(clean)}
    # The installed console scripts come first on PATH, as on a platform after the build.
    base |= {"PYTHONPATH": str(installed), "PATH": f"{installed / 'bin'}:{base['PATH']}"}
    env = base | (env or {})
    return subprocess.Popen(
        list(args),
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def test_packages_come_from_the_installed_copy(installed: Path, tmp_path: Path) -> None:
    code, out, err = finish(
        run(
            installed,
            sys.executable,
            "-c",
            "import json, bot, cli, mcp_server, sandbox, shared;"
            "print(json.dumps([m.__file__ for m in (bot, cli, mcp_server, sandbox, shared)]))",
            cwd=tmp_path,
        )
    )
    assert code == 0, err
    for path in json.loads(out):
        assert path.startswith(str(installed)), path


def test_package_data_is_installed(installed: Path) -> None:
    assert (installed / "sandbox" / "data" / "corpus.json.gz").stat().st_size > 100_000
    assert (installed / "bot" / "manifest.yaml").is_file()
    assert (installed / "shared" / "py.typed").is_file()


def test_console_script_runs(installed: Path, tmp_path: Path) -> None:
    code, out, err = finish(
        run(installed, str(installed / "bin" / "leads"), "--help", cwd=tmp_path)
    )
    assert code == 0, err
    assert "search" in out
    assert "status" in out


@pytest.mark.parametrize("script", ["leads-bot", "leads-worker", "leads-mcp", "leads-web"])
def test_every_process_has_a_console_script(installed: Path, tmp_path: Path, script: str) -> None:
    code, out, err = finish(run(installed, str(installed / "bin" / script), "--help", cwd=tmp_path))
    assert code == 0, err
    assert f"usage: {script}" in out


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


@pytest.mark.parametrize("port", [None, "5000"], ids=["no-PORT", "PORT"])
@pytest.mark.parametrize("process", ["web", "worker", "mcp"])
def test_each_procfile_command_line_parses_as_the_platform_runs_it(
    installed: Path, tmp_path: Path, process: str, port: str | None
) -> None:
    # Heroku runs each line with bash and gives $PORT to `web` only: every line's command
    # line must parse with or without it (`--port $PORT` used to leave --port valueless).
    command = procfile()[process]
    env = {"PORT": port} if port else {}
    code, _, err = finish(run(installed, "bash", "-c", f"{command} --help", cwd=tmp_path, env=env))
    assert code == 0, err


def test_the_procfile_web_process_serves_the_mcp_server_on_port(
    installed: Path, tmp_path: Path
) -> None:
    port = free_port()
    settings = {"PORT": str(port), "LEADS_WEB": "mcp", "MCP_AUTH_TOKEN": "t" * 32}
    process = run(installed, "bash", "-c", f"exec {procfile()['web']}", cwd=tmp_path, env=settings)
    try:
        wait_until_sync(
            lambda: process.poll() is not None or _status(port) is not None,
            timeout=60,
            message="the web process to answer on $PORT",
        )
        assert process.poll() is None, finish(process)[2]
        assert _status(port) == 401  # /mcp, behind MCP_AUTH_TOKEN
    finally:
        process.terminate()
        finish(process)


def _status(port: int) -> int | None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/mcp", b"{}", {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return None


def test_bot_entry_point_fails_fast_naming_missing_settings(
    installed: Path, tmp_path: Path
) -> None:
    code, _, err = finish(run(installed, sys.executable, "-m", "bot", cwd=tmp_path))
    assert code == 2
    assert "SLACK_BOT_TOKEN" in err


def test_mcp_server_entry_point_runs(installed: Path, tmp_path: Path) -> None:
    code, out, err = finish(
        run(installed, sys.executable, "-m", "mcp_server", "--help", cwd=tmp_path)
    )
    assert code == 0, err
    assert "--transport" in out


def test_sandbox_serves_searches_from_the_installed_corpus(installed: Path, tmp_path: Path) -> None:
    process = run(
        installed,
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        "0",
        "--speed",
        "1000",
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        base_url = banner.split("listening on ")[1].split()[0]
        headers = {
            "X-API-Key": "sandbox-key",
            "X-API-Secret": "sandbox-secret",
            "Content-Type": "application/json",
        }
        description = "Startup founders discussing fundraising or looking for investors"
        body = json.dumps({"search_description": description}).encode()
        request = urllib.request.Request(f"{base_url}/person/leads", body, headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
            request_id = json.load(answer)["data"]["request_id"]
        deadline = time.monotonic() + 60
        while True:
            poll = urllib.request.Request(  # noqa: S310
                f"{base_url}/person/leads?request_id={request_id}", headers=headers
            )
            with urllib.request.urlopen(poll, timeout=30) as answer:  # noqa: S310
                data = json.load(answer)["data"]
            if data["status"] == "completed" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert data["status"] == "completed"
        assert data["results_count"] >= 5
    finally:
        process.terminate()
        process.communicate(timeout=30)
