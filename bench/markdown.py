"""``bench/RESULTS.md``: the benchmark report as a page people read on the repository.

Written by a full ``make bench`` (and committed), never by a quick run unless asked: the
committed page always shows real numbers. The JSON report stays the one for tools.
"""

from __future__ import annotations

from bench.model import Result, format_value
from bench.report import BenchmarkRun, Machine

__all__ = ["HOW_TO_READ", "render_markdown"]

HOW_TO_READ = """\
- **Every number has a baseline measured in the same run**, on the same machine, usually
  interleaved round by round with the thing measured, so that outside load hits both
  alike. The ratio is *measured ÷ baseline*: for times and memory lower is better, for
  rates (req/s) higher is better. Ratios carry from one machine to another far better
  than the absolute numbers do.
- **Target** is the goal a result is judged against: a ratio ("ratio ≤ 2") or, where a
  baseline says little about what is good enough, an absolute value ("≥ 60 req/s"). Each
  benchmark's module docstring (`bench/bench_<name>.py`) says why its targets are what
  they are. **PASS**/**MISS** is the verdict; **INFO** is a number worth stating that has
  no target.
- **A MISS is not a failed build.** The machine above may be shared and busy (see the load
  average): re-run `make bench` before believing one, and compare ratios, not raw values,
  with earlier runs.
- The notes under each table say how each number was taken: sample counts, what runs
  where, and what may make it mislead.
- The same results, for tools, are in `bench/results/latest.json` after a run (not
  committed)."""


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _gib(size: int | None) -> str:
    return "unknown" if size is None else f"{size / 1024**3:.1f} GiB"


def _row(result: Result) -> str:
    baseline = (
        ""
        if result.baseline is None
        else f"{result.baseline.label}: {format_value(result.baseline.value, result.unit)}"
    )
    cells = [
        result.metric,
        format_value(result.value, result.unit),
        baseline,
        "" if result.ratio is None else f"{result.ratio:.2f}×",
        "" if result.target is None else result.target.describe(result.unit),
        f"**{result.status}**" if result.status == "MISS" else result.status,
    ]
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _section(run: BenchmarkRun) -> list[str]:
    lines = [f"## {run.name}", "", f"{run.summary} ({run.seconds:.0f} s).", ""]
    if run.error is not None:
        return [*lines, "It crashed:", "", "```", run.error.rstrip(), "```", ""]
    if not run.results:
        return [*lines, "(no results)", ""]
    lines += [
        "| measured | value | baseline (same run) | ratio | target | result |",
        "|---|---:|---|---:|---|---|",
        *(_row(result) for result in run.results),
        "",
    ]
    notes = [result for result in run.results if result.note]
    if notes:
        lines += ["Notes:", ""]
        lines += [f"- *{_cell(result.metric)}*: {result.note}" for result in notes]
        lines.append("")
    return lines


def render_markdown(runs: list[BenchmarkRun], machine: Machine, *, quick: bool) -> str:
    """The whole page: machine, how to read it, a verdict, one table per benchmark."""
    load = ", ".join(f"{value:.2f}" for value in machine.load_average)
    targets = [result for run in runs for result in run.results if result.target is not None]
    missed = [(run.name, result) for run in runs for result in run.missed]
    crashed = [run.name for run in runs if run.error is not None]
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`); do not edit by hand — run it again.",
        "",
    ]
    if quick:
        lines += [
            "**Quick run**: tiny iteration counts to prove each benchmark runs; the numbers "
            "mean nothing.",
            "",
        ]
    lines += [
        "| run | |",
        "|---|---|",
        f"| date | {machine.started_at} |",
        f"| commit | `{machine.commit}` |",
        f"| CPUs | {machine.cpus} × {_cell(machine.cpu_model)} |",
        f"| RAM | {_gib(machine.memory_bytes)} |",
        f"| Python | {machine.python} ({machine.platform}) |",
        f"| load average at the start | {load} |",
        "",
        "## How to read this",
        "",
        HOW_TO_READ,
        "",
        f"**Targets met: {len(targets) - len(missed)} of {len(targets)}**"
        + (f"; crashed: {', '.join(crashed)}" if crashed else "")
        + ".",
        "",
    ]
    for name, result in missed:
        ratio = "" if result.ratio is None else f" ({result.ratio:.2f}×)"
        assert result.target is not None
        lines.append(
            f"- missed, {name}: {_cell(result.metric)} = "
            f"{format_value(result.value, result.unit)}{ratio}, target "
            f"{result.target.describe(result.unit)}"
        )
    if missed:
        lines.append("")
    for run in runs:
        lines += _section(run)
    return "\n".join(lines).rstrip() + "\n"
