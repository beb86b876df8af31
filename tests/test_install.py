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
import urllib.request
from pathlib import Path

import pytest

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


def run(installed: Path, *args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NYNE_", "SLACK_", "LEADS_"))}
    env["PYTHONPATH"] = str(installed)
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
