"""Benchmarks: speed and memory targets, as ratios against baselines measured in the same run.

Run ``make bench`` (or ``python -m bench [NAME ...] [--quick]``); see :mod:`bench.runner`.

To add one, write ``bench/bench_<name>.py``: a docstring whose first line says what it
measures (the rest: how, and why its baseline is fair) and
``async def run(quick: bool) -> list[bench.model.Result]``. Measure the subject and its
baseline in the same rounds (:func:`bench.stats.interleave`), report medians, give each
``Result`` its ``Baseline`` and, where there is one, a ``Target``; start and stop whatever it
needs (``bench._procs``: redis-server, helper processes). ``--quick`` must still run every
code path, with tiny counts: ``tests/bench/test_bench_smoke.py`` runs it.
"""
