"""Redis cost of searches: round trips per lifecycle, bytes per pending search, limiter, sweep.

Everything runs against a private redis-server on a free port, through the product's own
runtime (see :mod:`bench._lifecycle`):

* **round trips per lifecycle** are counted exactly, client side, for one Slack search from
  submission to finished delivery (plus the commands the server executed, scripts' included);
  a first lifecycle warms connections and script caches and is not reported;
* **memory per pending search** is ``MEMORY USAGE`` of every key that pending searches
  write — from Slack (with a delivery) and from MCP — summed by kind, divided by their number;
* **limiter overhead** is a rate-limiter ``acquire`` against a ``PING`` round trip on the
  same connection, interleaved call by call: the ratio is what the limiter's script costs
  beyond the round trip any Redis operation pays;
* **sweep growth** times finding the same few due searches among 100, 1,000 and 10,000
  pending ones, interleaved; the baseline is the smallest set, so a ratio near 1 shows the
  sweep touches only what is due.
"""

from __future__ import annotations

from bench._lifecycle import SLACK, Rig, StepCost, open_rig
from bench._procs import redis_server
from bench._redis_memory import NOT_PER_SEARCH, TRANSIENT, MemoryUse, measure_pending_searches
from bench._spec import SPEC_DESCRIPTIONS
from bench._sweep_growth import fill
from bench.model import Baseline, Result, at_most
from bench.stats import interleave, median, timed
from shared.state.limiter import RateLimiter, RateWindow
from shared.state.records import Origin

MEMORY_TARGET_BYTES = 2048
LIMITER_TARGET_RATIO = 2.0
SWEEP_TARGET_RATIO = 1.5
DUE = 10


def _shapes(step: StepCost, most: int = 5) -> str:
    common = step.round_trips.shapes.most_common(most)
    text = ", ".join(f"{count}× {shape}" for shape, count in common)
    more = len(step.round_trips.shapes) - len(common)
    return text + (f", {more} other kinds" if more > 0 else "")


async def _round_trips(rig: Rig, lifecycles: int) -> list[Result]:
    runs = [
        await rig.lifecycle(f"{SPEC_DESCRIPTIONS[n % len(SPEC_DESCRIPTIONS)]} (run {n})")
        for n in range(lifecycles)
    ]
    warm = runs[1:]
    totals = {sum(step.round_trips.count for step in run.values()) for run in warm}
    last = warm[-1]
    total = sum(step.round_trips.count for step in last.values())
    commands = sum(step.commands for step in last.values())
    steady = (
        f"the same in each of {len(warm)} warm runs"
        if len(totals) == 1
        else f"NOT the same in every warm run: {sorted(totals)}"
    )
    results = [
        Result(
            "Redis round trips per search lifecycle",
            total,
            "round trips",
            note=(
                "Slack search with callback URL: submit, 4 phases seen by sweep passes, "
                f"completion by callback, 6 delivery runs; {commands} commands executed by the "
                f"server (scripts' included); {steady}"
            ),
        )
    ]
    for name, step in last.items():
        per = step.round_trips.count / step.times
        results.append(
            Result(
                f"round trips in {name}" + (f" ×{step.times}" if step.times > 1 else ""),
                step.round_trips.count,
                "round trips",
                note=(
                    (f"{per:.3g} each; " if step.times > 1 else "")
                    + f"{step.commands} server commands; {_shapes(step)}"
                ),
            )
        )
    return results


def _memory_result(label: str, use: MemoryUse) -> Result:
    skipped = TRANSIENT | NOT_PER_SEARCH
    breakdown = ", ".join(
        f"{kind} {size:,.0f}"
        for kind, size in sorted(use.per_search.items(), key=lambda item: -item[1])
        if kind not in skipped
    )
    return Result(
        f"Redis memory per pending search ({label})",
        use.total(exclude=skipped),
        "B",
        target=at_most(MEMORY_TARGET_BYTES),
        note=f"MEMORY USAGE over {use.searches} pending searches, bytes each: {breakdown}",
    )


async def _memory(rig: Rig, searches: int) -> list[Result]:
    slack = await measure_pending_searches(rig, searches, SLACK)
    mcp = await measure_pending_searches(rig, searches, Origin(front="mcp", client="bench"))
    return [
        _memory_result("Slack", slack),
        _memory_result("MCP", mcp),
        Result(
            "Redis memory per queued delivery job (transient)",
            slack.total(kinds=TRANSIENT),
            "B",
            note=(
                "arq job and queue entry, gone once a worker takes it: not counted above; nor "
                "are the rate-limit log (per API request, not per search) and the "
                "recent-searches set (the last 500 searches): together "
                f"{slack.total(kinds=NOT_PER_SEARCH):,.0f} B per search here"
            ),
        ),
    ]


async def _limiter(rig: Rig, rounds: int, warmup: int) -> list[Result]:
    redis = rig.runtime.connections.redis
    # Budgets too large to refuse: what is timed is the granted path every request takes.
    limiter = RateLimiter(
        redis,
        rig.runtime.store.keys.rate_limit("bench"),
        windows=(RateWindow(10**9, 60.0), RateWindow(10**9, 3600.0)),
    )

    async def ping() -> object:
        return await redis.ping()

    samples = await interleave(
        {"ping": timed(ping), "acquire": timed(lambda: limiter.acquire("poll"))},
        rounds=rounds,
        warmup=warmup,
    )
    return [
        Result(
            "rate limiter acquire",
            median(samples["acquire"]) * 1e6,
            "µs",
            baseline=Baseline("PING round trip", median(samples["ping"]) * 1e6),
            target=at_most(LIMITER_TARGET_RATIO, ratio=True),
            note=(
                f"medians of {rounds} interleaved calls each, after {warmup} warm-up calls "
                "(the sliding log then holds that many requests, like a busy hour)"
            ),
        )
    ]


async def _sweep(rig: Rig, sizes: tuple[int, ...], rounds: int) -> list[Result]:
    sets = [await fill(rig.runtime, size, DUE) for size in sizes]
    results = []
    for label, probes in (
        ("claim_due_polls", {s.size: s.claim_probe() for s in sets}),
        ("sweep pass (polls stubbed)", {s.size: s.sweep_probe() for s in sets}),
    ):
        samples = await interleave(
            {str(size): probe for size, probe in probes.items()}, rounds=rounds
        )
        smallest = median(samples[str(sizes[0])]) * 1e6
        for size in sizes[1:]:
            results.append(
                Result(
                    f"{label}, {DUE} due of {size:,} pending",
                    median(samples[str(size)]) * 1e6,
                    "µs",
                    baseline=Baseline(f"{DUE} due of {sizes[0]:,}", smallest),
                    target=at_most(SWEEP_TARGET_RATIO, ratio=True) if size == sizes[-1] else None,
                    note="" if size != sizes[-1] else _sweep_note(samples, sizes, rounds),
                )
            )
    return results


def _sweep_note(samples: dict[str, list[float]], sizes: tuple[int, ...], rounds: int) -> str:
    note = f"medians of {rounds} interleaved passes each"
    if len(sizes) > 2:
        like = median(samples[str(sizes[-1])]) / median(samples[str(sizes[-2])])
        note += (
            f"; {sizes[-1]:,} vs {sizes[-2]:,}: {like:.2f}× (Redis keeps sorted sets of up to "
            "128 entries as a listpack, a slower linear layout, so the smallest set is not "
            "the fastest; the two larger sets are both skiplists)"
        )
    return note


async def run(quick: bool) -> list[Result]:
    """Start redis-server and the rig; measure the four Redis costs in turn."""
    with redis_server() as server:
        async with open_rig(server.url) as rig:
            results = await _round_trips(rig, lifecycles=2 if quick else 3)
            results += await _memory(rig, searches=20 if quick else 500)
            results += await _limiter(
                rig, rounds=20 if quick else 3000, warmup=5 if quick else 1000
            )
            results += await _sweep(
                rig, sizes=(20, 200) if quick else (100, 1_000, 10_000), rounds=5 if quick else 400
            )
    return results
