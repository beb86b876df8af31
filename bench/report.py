"""The benchmark report: a table for people, JSON for tools (``bench/results/latest.json``).

:mod:`bench.markdown` renders the same runs as ``bench/RESULTS.md``.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.model import Result, format_value

__all__ = ["BenchmarkRun", "Machine", "render", "to_json"]


@dataclass
class BenchmarkRun:
    """One benchmark's outcome: its results, or the traceback it crashed with."""

    name: str
    summary: str
    seconds: float
    results: list[Result] = field(default_factory=list)
    error: str | None = None

    @property
    def missed(self) -> list[Result]:
        """Results that missed their target."""
        return [result for result in self.results if result.status == "MISS"]


ROOT = Path(__file__).resolve().parents[1]
"""The repository the benchmarks ran from (its commit is part of the report)."""


@dataclass(frozen=True)
class Machine:
    """Where and when the run happened, and on which code; load average says how noisy."""

    started_at: str
    python: str
    platform: str
    cpus: int
    load_average: tuple[float, float, float]
    cpu_model: str = "unknown"
    memory_bytes: int | None = None
    """Total RAM, or None where it cannot be read."""
    commit: str = "unknown"
    """The checked-out commit, with ``+changes`` when the work tree differs from it."""

    @classmethod
    def now(cls) -> Machine:
        """The machine as it is at the start of the run."""
        return cls(
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            python=platform.python_version(),
            platform=f"{sys.platform}-{platform.machine()}",
            cpus=os.cpu_count() or 1,
            load_average=os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0),
            cpu_model=_cpu_model(),
            memory_bytes=_memory_bytes(),
            commit=_commit(ROOT),
        )


def _proc_field(path: str, name: str) -> str | None:
    """The value of the first ``name: value`` line of a /proc file (Linux), or None."""
    try:
        with open(path, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                key, _, value = line.partition(":")
                if key.strip() == name:
                    return value.strip()
    except OSError:
        return None
    return None


def _cpu_model() -> str:
    return _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown"


def _memory_bytes() -> int | None:
    total = _proc_field("/proc/meminfo", "MemTotal")  # "24563012 kB"
    if total is None or not total.endswith(" kB"):
        return None
    return int(total.removesuffix(" kB")) * 1024


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],  # git from PATH, as a developer runs it
        cwd=root,
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout.strip()


def _commit(root: Path) -> str:
    """``git rev-parse --short HEAD`` of ``root``, ``+changes`` if dirty; "unknown" without git."""
    try:
        head = _git(root, "rev-parse", "--short=12", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}+changes" if dirty else head


def _ratio(result: Result) -> str:
    return "" if result.ratio is None else f"{result.ratio:.2f}×"


def _baseline(result: Result) -> str:
    if result.baseline is None:
        return ""
    return f"vs {result.baseline.label}: {format_value(result.baseline.value, result.unit)}"


def _table(results: list[Result]) -> list[str]:
    rows = [
        (
            result.metric,
            format_value(result.value, result.unit),
            _baseline(result),
            _ratio(result),
            "" if result.target is None else result.target.describe(result.unit),
            result.status,
        )
        for result in results
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    lines = []
    for result, row in zip(results, rows, strict=True):
        cells = [
            row[0].ljust(widths[0]),
            row[1].rjust(widths[1]),
            row[2].ljust(widths[2]),
            row[3].rjust(widths[3]),
            row[4].ljust(widths[4]),
            row[5],
        ]
        lines.append("  " + "  ".join(cells))
        if result.note:
            lines.append(
                textwrap.fill(
                    result.note, width=110, initial_indent=" " * 6, subsequent_indent=" " * 8
                )
            )
    return lines


def render(runs: list[BenchmarkRun], machine: Machine, *, quick: bool) -> str:
    """The report as text: one table per benchmark, then what missed or crashed."""
    load = ", ".join(f"{value:.2f}" for value in machine.load_average)
    lines = [
        f"Leads benchmarks — {'quick' if quick else 'full'} run, {machine.started_at}, "
        f"Python {machine.python}, {machine.cpus} CPUs, load average {load}",
        "Ratios are against a baseline measured in the same run (interleaved, medians).",
    ]
    if quick:
        lines.append(
            "Quick mode: tiny iteration counts to prove each benchmark runs; the "
            "numbers mean nothing."
        )
    for run in runs:
        lines += ["", f"{run.name} — {run.summary} ({run.seconds:.1f} s)"]
        if run.error is not None:
            lines += ["  CRASHED:", *(f"    {line}" for line in run.error.rstrip().splitlines())]
        elif run.results:
            lines += _table(run.results)
        else:
            lines.append("  (no results)")
    lines.append("")
    targets = [result for run in runs for result in run.results if result.target is not None]
    missed = [(run.name, result) for run in runs for result in run.missed]
    crashed = [run.name for run in runs if run.error is not None]
    lines.append(
        f"Targets: {len(targets) - len(missed)} of {len(targets)} met"
        + (f"; crashed: {', '.join(crashed)}" if crashed else "")
    )
    for name, result in missed:
        assert result.target is not None
        ratio = f" ({_ratio(result)})" if result.ratio is not None else ""
        lines.append(
            f"  MISSED {name}: {result.metric} = {format_value(result.value, result.unit)}"
            f"{ratio}, target {result.target.describe(result.unit)}"
        )
    return "\n".join(lines)


def to_json(runs: list[BenchmarkRun], machine: Machine, *, quick: bool) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    return {
        "format": 1,
        "quick": quick,
        "machine": {
            "started_at": machine.started_at,
            "python": machine.python,
            "platform": machine.platform,
            "cpus": machine.cpus,
            "cpu_model": machine.cpu_model,
            "memory_bytes": machine.memory_bytes,
            "commit": machine.commit,
            "load_average": list(machine.load_average),
        },
        "benchmarks": [
            {
                "name": run.name,
                "summary": run.summary,
                "seconds": round(run.seconds, 3),
                "error": run.error,
                "results": [result.to_json() for result in run.results],
            }
            for run in runs
        ],
        "missed": [
            {"benchmark": run.name, "metric": result.metric}
            for run in runs
            for result in run.missed
        ],
        "crashed": [run.name for run in runs if run.error is not None],
    }
