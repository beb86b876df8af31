"""Sandbox search latency: the shipped corpus against a generated 100,000-post corpus.

Each round runs every description once on each engine, in rotating order, so outside load
lands on both alike; p50 and p99 pool every description's samples. The baseline is the
shipped corpus searched in the same rounds: the ratio says how search time grows with a
corpus eleven times larger. The absolute target is the one that matters to a user: even
the slow tail of searches over 100,000 posts stays well under a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench._corpus import generated_posts
from bench._spec import SPEC_DESCRIPTIONS
from bench.model import Baseline, Result, at_most
from bench.stats import Probe, interleave, median, percentile
from sandbox.corpus.store import load_packaged_posts
from sandbox.search import SearchEngine

DESCRIPTIONS = (
    *SPEC_DESCRIPTIONS,
    # A role with a narrow topic, facets only (no required group), a broad topic.
    "software engineers talking about kubernetes",
    "people working in fintech in California",
    "people talking about AI",
)
P99_TARGET_MS = 500.0


def _probe(engine: SearchEngine, description: str) -> Probe:
    async def probe() -> float:
        started = time.perf_counter()
        engine.search(description, limit=25)
        return time.perf_counter() - started

    return probe


def _build(make: Callable[[], SearchEngine]) -> tuple[SearchEngine, float]:
    started = time.perf_counter()
    engine = make()
    return engine, time.perf_counter() - started


def _ms(samples: list[float]) -> list[float]:
    return [seconds * 1000 for seconds in samples]


async def run(quick: bool) -> list[Result]:
    """Index both corpora, then time interleaved searches over them."""
    size, rounds = (1_000, 2) if quick else (100_000, 25)
    big_posts, cached = generated_posts(size)
    shipped, shipped_build = _build(lambda: SearchEngine.from_posts(load_packaged_posts()))
    big, big_build = _build(lambda: SearchEngine.from_posts(big_posts))
    engines = {"shipped": shipped, "big": big}
    probes = {
        (name, description): _probe(engine, description)
        for name, engine in engines.items()
        for description in DESCRIPTIONS
    }
    by_probe = await interleave(
        {f"{name}|{text}": probe for (name, text), probe in probes.items()}, rounds=rounds
    )
    pooled = {
        name: _ms([s for key, samples in by_probe.items() if key.startswith(name) for s in samples])
        for name in engines
    }
    slowest = max(DESCRIPTIONS, key=lambda text: median(by_probe[f"big|{text}"]))
    big_label = f"{len(big):,} generated posts"
    shipped_label = f"shipped corpus ({len(shipped):,} posts)"
    sampling = f"{rounds} rounds × {len(DESCRIPTIONS)} descriptions per corpus, interleaved"
    return [
        Result(f"search p50, {shipped_label}", median(pooled["shipped"]), "ms", note=sampling),
        Result(f"search p99, {shipped_label}", percentile(pooled["shipped"], 99), "ms"),
        Result(
            f"search p50, {big_label}",
            median(pooled["big"]),
            "ms",
            baseline=Baseline("shipped p50", median(pooled["shipped"])),
        ),
        Result(
            f"search p99, {big_label}",
            percentile(pooled["big"], 99),
            "ms",
            baseline=Baseline("shipped p99", percentile(pooled["shipped"], 99)),
            target=at_most(P99_TARGET_MS),
            note=(
                f"slowest description: {slowest!r} "
                f"(p50 {median(by_probe[f'big|{slowest}']) * 1000:.1f} ms)"
            ),
        ),
        Result(
            f"index build, {big_label}",
            big_build,
            "s",
            baseline=Baseline("shipped corpus build", shipped_build),
            note=(
                "one sample each (not a median): what a sandbox over such a corpus costs "
                f"at start-up; corpus {'read from the cache' if cached else 'generated and cached'}"
            ),
        ),
    ]
