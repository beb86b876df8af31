"""The benchmark framework itself: targets, statistics, and how crashes and misses are reported."""

from __future__ import annotations

import json
import sys
import types
from dataclasses import replace
from pathlib import Path

import pytest

from bench import runner
from bench.model import Baseline, Result, at_least, at_most
from bench.stats import Probe, interleave, median, percentile


def test_a_target_applies_to_the_value_or_to_the_ratio() -> None:
    slow = Result("acquire", 300.0, "µs", baseline=Baseline("PING", 100.0))
    assert slow.ratio == 3.0
    assert Result("x", 3000.0, "B", target=at_most(2048)).status == "MISS"
    assert Result("x", 600.0, "req/s", target=at_least(500)).status == "PASS"
    assert replace(slow, target=at_most(2.0, ratio=True)).status == "MISS"
    assert replace(slow, target=at_most(4.0, ratio=True)).status == "PASS"
    assert Result("count", 118, "round trips").status == "INFO"
    # A ratio target without a baseline has nothing to compare: stated, not judged.
    assert Result("x", 1.0, "ms", target=at_most(2.0, ratio=True)).status == "INFO"
    assert at_most(2048).describe("B") == "≤ 2,048 B"
    assert at_most(1.5, ratio=True).describe("µs") == "ratio ≤ 1.5"


def test_percentiles_are_observed_values() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 100) == 100.0
    assert percentile([5.0], 99) == 5.0
    assert median([3.0, 1.0, 2.0]) == 2.0
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 50)


async def test_interleave_rotates_the_order_and_drops_warmup() -> None:
    calls: list[str] = []

    def probe(name: str) -> Probe:
        async def run() -> float:
            calls.append(name)
            return float(len(calls))

        return run

    samples = await interleave({"a": probe("a"), "b": probe("b")}, rounds=2, warmup=1)
    assert calls == ["a", "b", "b", "a", "a", "b"]
    assert samples == {"a": [4.0, 5.0], "b": [3.0, 6.0]}


def _fake_benchmark(monkeypatch: pytest.MonkeyPatch, name: str, run: object) -> None:
    module = types.ModuleType(f"bench.bench_{name}", f"A fake benchmark named {name}.")
    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, f"bench.bench_{name}", module)


def test_a_crash_is_reported_and_fails_the_run_but_a_miss_does_not(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def crashes(quick: bool) -> list[Result]:
        raise RuntimeError("redis-server went away")

    async def misses(quick: bool) -> list[Result]:
        return [Result("memory", 3000.0, "B", target=at_most(2048))]

    _fake_benchmark(monkeypatch, "crashes", crashes)
    _fake_benchmark(monkeypatch, "misses", misses)
    monkeypatch.setattr(runner, "discover", lambda: ["crashes", "misses"])
    report_path = tmp_path / "report.json"

    assert runner.main(["misses", "--quick", "--json", str(report_path)]) == 0
    assert "MISSED misses: memory" in capsys.readouterr().out

    assert runner.main(["--quick", "--json", str(report_path)]) == 1
    out = capsys.readouterr().out
    assert "CRASHED" in out
    assert "redis-server went away" in out
    report = json.loads(report_path.read_text())
    assert report["crashed"] == ["crashes"]
    assert report["missed"] == [{"benchmark": "misses", "metric": "memory"}]
    assert report["benchmarks"][1]["summary"] == "A fake benchmark named misses"


def test_only_a_full_run_of_every_benchmark_replaces_the_committed_results_page(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def measures(quick: bool) -> list[Result]:
        return [
            Result(
                "acquire | p50",
                300.0,
                "µs",
                baseline=Baseline("PING", 100.0),
                target=at_most(2.0, ratio=True),
                note="medians of 20",
            ),
            Result("rate", 600.0, "req/s", target=at_least(500)),
        ]

    _fake_benchmark(monkeypatch, "measures", measures)
    monkeypatch.setattr(runner, "discover", lambda: ["measures"])
    committed = tmp_path / "RESULTS.md"
    monkeypatch.setattr(runner, "DEFAULT_RESULTS", committed)
    json_path = str(tmp_path / "report.json")

    # A quick run (CI's smoke run) and a run of named benchmarks leave the page alone...
    assert runner.main(["--quick", "--json", json_path]) == 0
    assert runner.main(["measures", "--json", json_path]) == 0
    assert not committed.exists()
    # ...unless told where to write it.
    elsewhere = tmp_path / "smoke" / "RESULTS.md"
    assert runner.main(["--quick", "--json", json_path, "--results", str(elsewhere)]) == 0
    assert "**Quick run**" in elsewhere.read_text()

    # A full run (make bench) writes it: machine, commit, how to read it, one row a result.
    assert runner.main(["--json", json_path]) == 0
    assert f"Results page: {committed}" in capsys.readouterr().out
    page = committed.read_text()
    assert "Quick run" not in page
    for heading in ("| commit |", "| CPUs |", "| RAM |", "| Python |", "## How to read this"):
        assert heading in page
    assert "**Targets met: 1 of 2**" in page
    assert "- missed, measures: acquire \\| p50 = 300 µs (3.00×), target ratio ≤ 2" in page
    assert "| acquire \\| p50 | 300 µs | PING: 100 µs | 3.00× | ratio ≤ 2 | **MISS** |" in page
    assert "| rate | 600 req/s |  |  | ≥ 500 req/s | PASS |" in page
    assert "- *acquire \\| p50*: medians of 20" in page
