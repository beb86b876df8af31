"""The files a Heroku-style platform reads: ``uv.lock``, ``.python-version``, ``Procfile``.

The Python buildpack installs from ``uv.lock`` with ``uv sync --locked``, which fails the
build when the lock no longer matches ``pyproject.toml``: a dependency changed without
``uv lock`` must fail here first. The lock must also name only the public index, which the
platform can reach (never a mirror of the machine that made it).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
LOCK = tomllib.loads((ROOT / "uv.lock").read_text())


def _key(name: str, extras: list[str], specifier: str, marker: str | None) -> tuple[Any, ...]:
    return (canonicalize_name(name), tuple(sorted(extras)), SpecifierSet(specifier), marker)


def _declared() -> set[tuple[Any, ...]]:
    project = PYPROJECT["project"]
    found = set()
    groups = [(None, project["dependencies"])]
    groups += [(extra, deps) for extra, deps in project["optional-dependencies"].items()]
    for extra, deps in groups:
        for line in deps:
            req = Requirement(line)
            marker = f"extra == '{extra}'" if extra else None
            found.add(_key(req.name, list(req.extras), str(req.specifier), marker))
    return found


def _locked() -> set[tuple[Any, ...]]:
    (leads,) = [p for p in LOCK["package"] if p["name"] == PYPROJECT["project"]["name"]]
    return {
        _key(d["name"], d.get("extras", []), d.get("specifier", ""), d.get("marker"))
        for d in leads["metadata"]["requires-dist"]
    }


def test_the_lock_matches_pyproject() -> None:
    assert _locked() == _declared(), "pyproject.toml changed: run `uv lock` (see README)"
    assert LOCK["requires-python"] == PYPROJECT["project"]["requires-python"]


def test_the_lock_names_only_the_public_index() -> None:
    sources = {
        str(package["source"].get("registry") or package["source"].get("editable"))
        for package in LOCK["package"]
    }
    assert sources == {"https://pypi.org/simple", "."}


def test_python_version_file_is_supported_by_the_project() -> None:
    # uv builds on Heroku need .python-version; major.minor, so security patches apply.
    version = (ROOT / ".python-version").read_text().strip()
    assert version.count(".") == 1
    assert Version(version + ".0") in SpecifierSet(PYPROJECT["project"]["requires-python"])


def test_the_procfile_keeps_its_process_types_and_uses_console_scripts() -> None:
    lines = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()]
    commands = dict(line.split(": ", 1) for line in lines)
    assert list(commands) == ["web", "worker", "mcp"]
    scripts = PYPROJECT["project"]["scripts"]
    for command in commands.values():
        assert command.split()[0] in scripts
