"""``python -m bench [NAME ...] [--quick]``: run the benchmarks, print the report, save it as JSON.

A full run of every benchmark (``make bench``) also writes ``bench/RESULTS.md``, the page that
is committed; a quick run or a run of some benchmarks writes it only where ``--results``
says, so that neither a CI smoke run nor a partial run replaces the committed page.

A benchmark is a module ``bench/bench_<name>.py`` whose docstring's first line says what it
measures and which exposes ``async def run(quick: bool) -> list[Result]``. It starts and stops
whatever it needs (its own redis-server, an in-process sandbox, helper processes).

The exit status is non-zero only when a benchmark crashes: a missed target is reported, never
fatal, because a shared machine may simply have been busy.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import pkgutil
import time
import traceback
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, cast

import bench
from bench.markdown import render_markdown
from bench.model import Result
from bench.report import BenchmarkRun, Machine, render, to_json

__all__ = ["DEFAULT_JSON", "DEFAULT_RESULTS", "discover", "main", "run_benchmark"]

PREFIX = "bench_"
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"
DEFAULT_RESULTS = Path(__file__).resolve().parent / "RESULTS.md"

RunFunction = Callable[[bool], Coroutine[Any, Any, list[Result]]]
"""A benchmark module's ``run``."""


def discover() -> list[str]:
    """Names of every benchmark (``bench_<name>.py``), sorted."""
    return sorted(
        info.name.removeprefix(PREFIX)
        for info in pkgutil.iter_modules(bench.__path__)
        if info.name.startswith(PREFIX)
    )


def run_benchmark(name: str, *, quick: bool) -> BenchmarkRun:
    """Import and run one benchmark in a fresh event loop; a crash is recorded, not raised."""
    started = time.perf_counter()
    summary = ""
    try:
        module = importlib.import_module(f"bench.{PREFIX}{name}")
        summary = (module.__doc__ or "").strip().split("\n")[0].rstrip(".")
        run = cast(RunFunction, module.run)
        results = asyncio.run(run(quick))
        if not all(isinstance(result, Result) for result in results):
            raise TypeError(f"bench_{name}.run must return a list of bench.model.Result")
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # pytest's skip/fail (tests.support helpers) are BaseExceptions
        error = traceback.format_exc()
        return BenchmarkRun(name, summary, time.perf_counter() - started, [], error)
    return BenchmarkRun(name, summary, time.perf_counter() - started, results)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    parser.add_argument(
        "--quick", action="store_true", help="tiny iteration counts: proves each one runs"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        metavar="PATH",
        help="where to write the JSON report (default: bench/results/latest.json)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        metavar="PATH",
        help="where to write the Markdown page (default: bench/RESULTS.md, and only on a "
        "full run of every benchmark)",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(discover()))
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(discover())})")
    return args


def _results_path(args: argparse.Namespace) -> Path | None:
    """Where the Markdown page goes: as asked, else the committed one after a full run only."""
    if args.results is not None:
        return Path(args.results)
    return None if args.quick or args.names else DEFAULT_RESULTS


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; 0 unless one crashed."""
    args = _parse(argv)
    if args.list:
        print("\n".join(discover()))
        return 0
    # The product logs every search at INFO; a benchmark's report is the output here.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    machine = Machine.now()
    runs = []
    for name in args.names or discover():
        print(f"running {name} ...", flush=True)
        runs.append(run_benchmark(name, quick=args.quick))
    print()
    print(render(runs, machine, quick=args.quick))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(to_json(runs, machine, quick=args.quick), indent=2) + "\n")
    print(f"JSON report: {args.json}")
    page = _results_path(args)
    if page is not None:
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(render_markdown(runs, machine, quick=args.quick))
        print(f"Results page: {page}")
    return 1 if any(run.error is not None for run in runs) else 0
