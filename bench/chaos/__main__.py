"""``python -m bench.chaos`` (``make chaos``): run the chaos scenario, print and save its summary.

Exit status: 0 when every target is met, 1 when one is missed, 2 when the run itself could
not be carried out (a process would not start, redis-server is missing...).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.chaos.run import run_chaos
from bench.chaos.scenario import Scenario

DEFAULT_JSON = Path(__file__).resolve().parents[1] / "results" / "chaos.json"


def _parser() -> argparse.ArgumentParser:
    defaults = Scenario()
    parser = argparse.ArgumentParser(
        prog="python -m bench.chaos",
        description="Signed /leads commands against the Procfile's processes, a real Redis "
        "and the sandbox, while processes are killed, Redis restarts, callbacks are dropped, "
        "repeated and misrouted, the API answers 500s and Slack 429s.",
    )
    parser.add_argument(
        "--commands", type=int, default=defaults.commands, help="default %(default)s"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=defaults.rate,
        help="commands per second (default %(default)s)",
    )
    parser.add_argument(
        "--speed", type=float, default=defaults.speed, help="sandbox speed (default %(default)s)"
    )
    parser.add_argument(
        "--redis-down-seconds",
        type=float,
        default=defaults.redis_down_seconds,
        help="how long Redis stays down (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="default %(default)s")
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=defaults.drain_seconds,
        help="longest wait for every command to settle after the last (default %(default)s)",
    )
    parser.add_argument(
        "--run-dir", type=Path, default=None, help="where logs go (default: a new temporary one)"
    )
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help="the JSON summary (default %(default)s)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run, print; the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        scenario = Scenario(
            commands=args.commands,
            rate=args.rate,
            speed=args.speed,
            redis_down_seconds=args.redis_down_seconds,
            seed=args.seed,
            drain_seconds=args.drain_seconds,
        )
    except ValueError as err:
        parser.error(str(err))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    run_dir = args.run_dir or Path(
        tempfile.mkdtemp(prefix=f"leads-chaos-{time.strftime('%Y%m%d-%H%M%S')}-")
    )
    try:
        summary = asyncio.run(run_chaos(scenario, run_dir))
    except (RuntimeError, OSError) as err:
        print(f"chaos: the run could not be carried out: {err}", file=sys.stderr)
        return 2
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary.to_json(), indent=2))
    print(summary.render())
    print(f"JSON summary: {args.json}")
    return 0 if summary.met else 1


if __name__ == "__main__":
    sys.exit(main())
