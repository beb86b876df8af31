"""A chaos run's summary: the counts, the targets, the text printed and the JSON kept."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.chaos.logscan import ErrorLine
from bench.chaos.outcomes import Outcome, Verdict
from bench.chaos.scenario import Action, Scenario
from bench.stats import percentile

__all__ = ["DELIVERY_P99_TARGET", "Summary", "Target"]

DELIVERY_P99_TARGET = 15.0
"""Seconds from the signed command to the last lead reply, at the 99th percentile, for the
commands no kill and no Redis outage touched: with 30% of callbacks dropped, this is what
a lost callback costs. A command in flight while Redis is down for 10 s, or while the
process working on it is dead, is delayed by that much at least, whatever the product
does; those are reported apart ("disturbed"), and must be delivered exactly once."""
_SETTLE_MARGIN = 5.0
"""Seconds past a search's own duration during which a fault still counts as touching it."""
EXPLAINED_TOLD = frozenset({"api_500"})
"""Reasons a person may be told of a failure in this run: the API's injected 500s (the bot
does not repeat a POST that may have created a search). Any other — Redis, a restart,
"something went wrong" — is a miss."""


_TOLD_SHOWN = 5


@dataclass(frozen=True)
class Target:
    """One target, what was measured, and whether it was met."""

    name: str
    goal: str
    value: float | int | None
    met: bool

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "goal": self.goal, "value": self.value, "met": self.met}


@dataclass
class Summary:
    """Everything a run found."""

    scenario: Scenario
    outcomes: list[Outcome]
    extra_searches: int
    """Searches the sandbox created beyond one per acknowledged command."""
    error_lines: list[ErrorLine]
    injected: list[dict[str, Any]] = field(default_factory=list)
    """What was injected, when (seconds after the first command), as it happened."""
    timeline: list[Action] = field(default_factory=list)
    run_dir: str = ""
    seconds: float = 0.0
    unsettled: list[str] = field(default_factory=list)
    """What was left when the run ended: pending work, or leftover delivery jobs."""
    fates: dict[int, str] = field(default_factory=dict)
    """What became of each command's callback at the API (by index): delivered, dropped..."""
    traces: dict[int, list[str]] = field(default_factory=dict)
    """For each command that missed a target (by index): what happened to it, step by step."""

    def count(self, verdict: Verdict) -> int:
        return sum(1 for outcome in self.outcomes if outcome.verdict is verdict)

    @property
    def acknowledged(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.sent.acknowledged)

    @property
    def told_reasons(self) -> Counter[str]:
        return Counter(outcome.told or "other" for outcome in self.outcomes if outcome.told)

    @property
    def told_unexplained(self) -> int:
        return sum(n for reason, n in self.told_reasons.items() if reason not in EXPLAINED_TOLD)

    @property
    def latencies(self) -> list[float]:
        return [o.latency for o in self.outcomes if o.latency is not None]

    def latency(self, q: float) -> float | None:
        return round(percentile(self.latencies, q), 3) if self.latencies else None

    def _outages(self) -> list[tuple[float, float, str | None]]:
        """(start, end, replica or None for all) of every kill and Redis outage, wall clock."""
        spans: list[tuple[float, float, str | None]] = []
        opened: dict[str, float] = {}
        for event in self.injected:
            what, wall = str(event["what"]), float(event["wall"])
            if what.startswith("SIGKILL ") or what == "Redis shut down":
                opened[what.removeprefix("SIGKILL ")] = wall
            elif what.startswith("restarted ") or what == "Redis started again":
                name = what.removeprefix("restarted ").replace(
                    "Redis started again", "Redis shut down"
                )
                start = opened.pop(name, None)
                if start is not None:
                    # A web replica's death touches its own commands; the worker's and
                    # Redis's touch every command in flight.
                    only = name if name.startswith("web") else None
                    spans.append((start, wall, only))
        return spans

    def disturbed(self, outcome: Outcome) -> bool:
        """A kill or a Redis outage happened while the command should have been in flight."""
        begin = outcome.sent.sent_at
        end = begin + 105.0 / self.scenario.speed + _SETTLE_MARGIN
        return any(
            start < end and stop > begin and (only is None or only == outcome.sent.replica)
            for start, stop, only in self._outages()
        )

    def latency_of(self, q: float, *, disturbed: bool) -> float | None:
        """The ``q``-th percentile of the commands a fault touched, or of the others."""
        values = [
            o.latency
            for o in self.outcomes
            if o.latency is not None and self.disturbed(o) == disturbed
        ]
        return round(percentile(values, q), 3) if values else None

    def _count(self, *, disturbed: bool) -> int:
        return sum(
            1 for o in self.outcomes if o.latency is not None and self.disturbed(o) == disturbed
        )

    def latency_by_fate(self) -> dict[str, dict[str, float | int]]:
        """Delivery p50/p99 by what became of the command's callback."""
        groups: dict[str, list[float]] = {}
        for o in self.outcomes:
            if o.latency is not None:
                groups.setdefault(self.fates.get(o.sent.index, "?"), []).append(o.latency)
        return {
            fate: {
                "count": len(values),
                "p50": round(percentile(values, 50), 3),
                "p99": round(percentile(values, 99), 3),
            }
            for fate, values in sorted(groups.items())
        }

    @property
    def unexpected_errors(self) -> list[ErrorLine]:
        return [line for line in self.error_lines if line.explained_by is None]

    def targets(self) -> list[Target]:
        """The run's targets; a run meets them all or it failed."""
        p99 = self.latency_of(99, disturbed=False)
        lost = self.count(Verdict.LOST)
        duplicated = self.count(Verdict.DUPLICATED)
        return [
            Target("lost", "0", lost, lost == 0),
            Target("duplicated", "0", duplicated, duplicated == 0),
            Target("extra API searches", "0", self.extra_searches, self.extra_searches == 0),
            Target(
                "told, other than of an injected API 500",
                "0",
                self.told_unexplained,
                self.told_unexplained == 0,
            ),
            Target(
                "delivery p99, commands no fault touched (s)",
                f"≤ {DELIVERY_P99_TARGET:g}",
                p99,
                p99 is not None and p99 <= DELIVERY_P99_TARGET,
            ),
            Target(
                "unexpected error lines in logs",
                "0",
                len(self.unexpected_errors),
                not self.unexpected_errors,
            ),
        ]

    @property
    def met(self) -> bool:
        return all(target.met for target in self.targets())

    def to_json(self) -> dict[str, Any]:
        """The summary as JSON-ready data (every command's outcome included)."""
        return {
            "scenario": self.scenario.to_json(),
            "run_dir": self.run_dir,
            "seconds": round(self.seconds, 1),
            "counts": {
                "sent": len(self.outcomes),
                "acknowledged": self.acknowledged,
                "delivered_exactly_once": self.count(Verdict.DELIVERED),
                "told": sum(self.told_reasons.values()),
                "told_by_reason": dict(self.told_reasons),
                "lost": self.count(Verdict.LOST),
                "duplicated": self.count(Verdict.DUPLICATED),
                "unacknowledged": self.count(Verdict.UNACKNOWLEDGED),
                "extra_api_searches": self.extra_searches,
            },
            "delivery_seconds": {
                "p50": self.latency(50),
                "p99": self.latency(99),
                "undisturbed": {
                    "count": self._count(disturbed=False),
                    "p50": self.latency_of(50, disturbed=False),
                    "p99": self.latency_of(99, disturbed=False),
                },
                "disturbed": {
                    "count": self._count(disturbed=True),
                    "p50": self.latency_of(50, disturbed=True),
                    "p99": self.latency_of(99, disturbed=True),
                },
            },
            "delivery_seconds_by_callback": self.latency_by_fate(),
            "unsettled": self.unsettled,
            "targets": [target.to_json() for target in self.targets()],
            "met": self.met,
            "timeline": [vars(action) for action in self.timeline],
            "injected": self.injected,
            "error_lines": [line.to_json() for line in self.error_lines],
            "traces": {str(index): trace for index, trace in self.traces.items()},
            "outcomes": [outcome.to_json() for outcome in self.outcomes],
        }

    def render(self) -> str:
        """The text printed at the end of a run."""
        s = self.scenario
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(self.told_reasons.items()))
        lines = [
            f"chaos: {s.commands} commands at {s.rate:g}/s, sandbox speed {s.speed:g}, "
            f"Redis down {s.redis_down_seconds:g} s, seed {s.seed} ({self.seconds:.0f} s)",
            f"  sent                    {len(self.outcomes)}",
            f"  acknowledged            {self.acknowledged}",
            f"  delivered exactly once  {self.count(Verdict.DELIVERED)}",
            f"  told                    {sum(self.told_reasons.values())}"
            + (f" ({reasons})" if reasons else ""),
            f"  lost                    {self.count(Verdict.LOST)}",
            f"  duplicated              {self.count(Verdict.DUPLICATED)}",
            f"  unacknowledged          {self.count(Verdict.UNACKNOWLEDGED)}",
            f"  extra API searches      {self.extra_searches}",
            f"  delivery p50 / p99      {_seconds(self.latency(50))} / "
            f"{_seconds(self.latency(99))}",
            f"    no fault touched {self._count(disturbed=False):>6}: "
            f"{_seconds(self.latency_of(50, disturbed=False))} / "
            f"{_seconds(self.latency_of(99, disturbed=False))}",
            f"    in flight at a kill or outage {self._count(disturbed=True):>3}: "
            f"{_seconds(self.latency_of(50, disturbed=True))} / "
            f"{_seconds(self.latency_of(99, disturbed=True))}",
            *(
                f"    callback {fate:<22}{v['count']:>4}: {v['p50']:.1f} s / {v['p99']:.1f} s"
                for fate, v in self.latency_by_fate().items()
            ),
            "injected:",
            *(f"  +{item['at']:7.2f} s  {item['what']}" for item in self.injected),
            "targets:",
        ]
        for target in self.targets():
            mark = "met " if target.met else "MISS"
            lines.append(f"  {mark} {target.name}: {target.value} (goal {target.goal})")
        told = [o for o in self.missed() if o.verdict is Verdict.TOLD]
        for outcome in self.missed():
            if outcome.verdict is not Verdict.TOLD:
                lines.append(_describe(outcome, self._start))
                lines += [f"      {step}" for step in self.traces.get(outcome.sent.index, [])]
        for outcome in told[:_TOLD_SHOWN]:
            lines.append(_describe(outcome, self._start))
        if len(told) > _TOLD_SHOWN:
            lines.append(f"  … {len(told) - _TOLD_SHOWN} more told (the JSON has every one)")
        unexpected = Counter(
            (line.process.split(".")[0], _first_line(line.message), line.detail)
            for line in self.unexpected_errors
        )
        for (process, message, detail), n in sorted(unexpected.items()):
            because = f" ({detail[:100]})" if detail else ""
            lines.append(f"  unexpected log line ×{n} in {process}: {message[:120]}{because}")
        if self.unsettled:
            lines.append("left at the end: " + "; ".join(self.unsettled))
        lines.append(f"logs and summary: {self.run_dir}")
        return "\n".join(lines)

    def missed(self) -> list[Outcome]:
        """The commands that missed a target: lost, duplicated, told for no injected 500."""
        order = {Verdict.LOST: 0, Verdict.DUPLICATED: 1, Verdict.TOLD: 2}
        missed = [
            o
            for o in self.outcomes
            if o.verdict in (Verdict.LOST, Verdict.DUPLICATED)
            or (o.told is not None and o.told not in EXPLAINED_TOLD)
        ]
        return sorted(missed, key=lambda o: (order[o.verdict], o.sent.index))

    @property
    def _start(self) -> float:
        return min((o.sent.sent_at for o in self.outcomes), default=0.0)


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def _describe(outcome: Outcome, start: float) -> str:
    sent = outcome.sent
    what = outcome.verdict.value + (f" ({outcome.told})" if outcome.told else "")
    return (
        f"  {what}: #{sent.index} {sent.channel} at +{sent.sent_at - start:.1f} s via "
        f"{sent.replica}, {outcome.searches} search(es), {outcome.leads_posted} leads posted; "
        f"last seen: {outcome.last_words[:100]!r}"
    )
