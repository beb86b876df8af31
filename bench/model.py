"""What a benchmark reports: measured values, their same-run baselines, their targets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Baseline", "Result", "Status", "Target", "at_least", "at_most"]

Status = Literal["PASS", "MISS", "INFO"]
"""PASS/MISS against a target; INFO when a result has none (a number worth stating)."""


@dataclass(frozen=True)
class Baseline:
    """A reference measured in the same run, in the same unit as the result it belongs to."""

    label: str
    """What the baseline is, e.g. "PING round trip"."""
    value: float


@dataclass(frozen=True)
class Target:
    """A goal for a result's value (or its ratio to the baseline)."""

    limit: float
    bound: Literal["max", "min"]
    of: Literal["value", "ratio"] = "value"

    def met_by(self, result: Result) -> bool | None:
        """Whether ``result`` meets the target; None when there is nothing to compare."""
        measured = result.value if self.of == "value" else result.ratio
        if measured is None:
            return None
        return measured <= self.limit if self.bound == "max" else measured >= self.limit

    def describe(self, unit: str) -> str:
        """The target as a reader wants it: "≤ 2,048 B", "ratio ≤ 1.5"."""
        sign = "≤" if self.bound == "max" else "≥"
        if self.of == "ratio":
            return f"ratio {sign} {self.limit:g}"
        return f"{sign} {format_value(self.limit, unit)}"


def at_most(limit: float, *, ratio: bool = False) -> Target:
    """Met when the value (or with ``ratio=True`` the ratio to the baseline) is ≤ ``limit``."""
    return Target(limit, "max", "ratio" if ratio else "value")


def at_least(limit: float, *, ratio: bool = False) -> Target:
    """Met when the value (or with ``ratio=True`` the ratio to the baseline) is ≥ ``limit``."""
    return Target(limit, "min", "ratio" if ratio else "value")


@dataclass(frozen=True)
class Result:
    """One measured number, with what it is compared against."""

    metric: str
    """What was measured, e.g. "search p50, 100k posts"."""
    value: float
    unit: str
    """"ms", "µs", "req/s", "B", "round trips", ..."""
    baseline: Baseline | None = None
    target: Target | None = None
    note: str = ""
    """How it was measured, a breakdown, or why a number may mislead."""

    @property
    def ratio(self) -> float | None:
        """value / baseline, or None without a (non-zero) baseline."""
        if self.baseline is None or self.baseline.value == 0:
            return None
        return self.value / self.baseline.value

    @property
    def status(self) -> Status:
        """PASS or MISS against the target, INFO without one."""
        met = self.target.met_by(self) if self.target is not None else None
        if met is None:
            return "INFO"
        return "PASS" if met else "MISS"

    def to_json(self) -> dict[str, Any]:
        """The result as it appears in the JSON report."""
        return {
            "metric": self.metric,
            "value": self.value,
            "unit": self.unit,
            "baseline": (
                None
                if self.baseline is None
                else {"label": self.baseline.label, "value": self.baseline.value}
            ),
            "ratio": self.ratio,
            "target": (
                None
                if self.target is None
                else {
                    "limit": self.target.limit,
                    "bound": self.target.bound,
                    "of": self.target.of,
                    "text": self.target.describe(self.unit),
                }
            ),
            "status": self.status,
            "note": self.note,
        }


def format_value(value: float, unit: str) -> str:
    """A number for people: thousands separators for big ones, three digits for small ones."""
    if (value == int(value) and abs(value) >= 1) or abs(value) >= 100:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".rstrip()
