"""Fixtures shared by the whole suite."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def load_spec_example(name: str) -> Any:
    """One of the API spec's own example bodies, verbatim (tests/fixtures/spec/NAME.json)."""
    return json.loads((FIXTURES / "spec" / f"{name}.json").read_text())


SpecExample = Callable[[str], Any]


@pytest.fixture
def spec_example() -> SpecExample:
    """Loader for the spec's example bodies."""
    return load_spec_example


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI a skipped test is a failure: nothing may pass by not running."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = reporter.stats.get("skipped", [])
    if skipped:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; failing the run.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
