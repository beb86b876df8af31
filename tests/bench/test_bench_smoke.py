"""Every benchmark still runs: ``python -m bench --quick`` end to end, report structure only.

Timings are never asserted here (they belong to ``make bench``); this checks that each
benchmark finishes, reports numbers with units and ratios against its baselines, writes its
Markdown page where it is told (never over the committed ``bench/RESULTS.md``), and leaves
no process behind.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from bench.bench_budget import QUICK
from bench.runner import DEFAULT_RESULTS, discover
from tests.support.servers import redis_server_binary

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _processes_with(marker: str) -> list[int]:
    """Live processes whose environment carries ``marker`` (ours and their children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


def test_every_benchmark_runs_quick_and_reports_ratios(tmp_path: Path) -> None:
    redis_server_binary()  # skips (or, under REQUIRE_REDIS=1, fails) without redis-server
    report_path = tmp_path / "report.json"
    page_path = tmp_path / "RESULTS.md"
    committed = DEFAULT_RESULTS.read_bytes() if DEFAULT_RESULTS.exists() else None
    marker = f"LEADS_BENCH_SMOKE={uuid.uuid4().hex}"
    key, value = marker.split("=")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--json",
            str(report_path),
            "--results",
            str(page_path),
        ],
        cwd=ROOT,
        env={**os.environ, key: value},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads(report_path.read_text())

    assert report["quick"] is True
    assert report["crashed"] == []
    names = [benchmark["name"] for benchmark in report["benchmarks"]]
    assert names == discover()
    assert {
        "sandbox_search",
        "sandbox_get_throughput",
        "redis_lifecycle",
        "slack_bot",
        "mcp",
        "footprint",
        "watches",
        "budget",
    } <= set(names)
    for benchmark in report["benchmarks"]:
        assert benchmark["error"] is None
        assert benchmark["summary"], benchmark["name"]
        assert benchmark["results"], benchmark["name"]
        for result in benchmark["results"]:
            assert result["metric"], result
            assert result["unit"], result
            assert math.isfinite(result["value"]), result
            assert result["status"] in {"PASS", "MISS", "INFO"}, result
            if result["baseline"] is not None:
                assert result["baseline"]["label"], result
                assert isinstance(result["ratio"], float), result
            if result["target"] is None:
                assert result["status"] == "INFO", result
        # Every benchmark compares something against a baseline from the same run.
        assert any(r["ratio"] is not None for r in benchmark["results"]), benchmark["name"]
        assert any(r["target"] is not None for r in benchmark["results"]), benchmark["name"]

    _check_budget(report)

    assert "Targets:" in completed.stdout
    page = page_path.read_text()
    assert "**Quick run**" in page
    assert "## How to read this" in page
    for name in names:
        assert f"## {name}\n" in page
    # The committed page is a full run's: a smoke run must leave it as it was.
    assert (DEFAULT_RESULTS.read_bytes() if DEFAULT_RESULTS.exists() else None) == committed
    assert _processes_with(marker) == [], "a benchmark left a process running"


def _check_budget(report: dict[str, Any]) -> None:
    """What the budget benchmark's tiny burst (12 searches, a few watches) can show: the API
    never answered 429, no submission was refused instead of queued, and every search
    reached the API exactly once, in both scenarios (without and with watches due)."""
    (budget,) = [b for b in report["benchmarks"] if b["name"] == "budget"]
    rows = {r["metric"]: r["value"] for r in budget["results"]}
    for suffix in ("", f", {QUICK.watches} watches due"):
        assert rows[f"429s answered by the API{suffix}"] == 0, rows
        assert rows[f"submissions refused instead of queued{suffix}"] == 0, rows
        assert rows[f"searches not sent to the API exactly once{suffix}"] == 0, rows
