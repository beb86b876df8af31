"""Noise-robust timing: interleaved samples, medians and nearest-rank percentiles.

The machine is shared (two cores, other test runs), so a benchmark never trusts one timing.
It takes many samples of the subject and of its baseline *in the same rounds*, rotating their
order each round, so a burst of outside load hits both alike; then it compares medians.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

__all__ = ["Probe", "interleave", "median", "percentile", "timed"]

Probe = Callable[[], Awaitable[float]]
"""Runs the thing measured once and returns the seconds it took (setup excluded)."""


def timed(call: Callable[[], Awaitable[object]]) -> Probe:
    """A probe timing the whole of ``call``."""

    async def probe() -> float:
        started = time.perf_counter()
        await call()
        return time.perf_counter() - started

    return probe


async def interleave(
    probes: Mapping[str, Probe], *, rounds: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Run every probe once per round, rotating the order; the seconds each took, by name.

    The first ``warmup`` rounds are run and thrown away (caches, connections, scripts).
    """
    names = list(probes)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for number in range(warmup + rounds):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            seconds = await probes[name]()
            if number >= warmup:
                samples[name].append(seconds)
    return samples


def median(samples: Sequence[float]) -> float:
    """The median; raises on no samples (a benchmark that measured nothing is broken)."""
    return float(statistics.median(samples))


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0–100): a value that was actually observed."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])
