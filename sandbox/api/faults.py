"""Misbehaviour on demand: failing requests, latency, callback trouble, failing or slow searches.

Every fault is off by default. Counted faults take a number (the next N occurrences) or
``"always"``; they count down as they fire. Set them with ``--fault NAME=VALUE`` or
``POST /sandbox/faults``.

The spec lists ``500 internal_error`` but is silent on whether a POST answered 500 created
a search. The sandbox's default reading is that it did not: ``fail_requests`` answers 500
before anything else, so nothing is created, counted or charged. ``fail_after_create``
models the other reading, "a 500 may come after the search was created": the POST creates
and keeps the search — it runs, completes, is charged, can be fetched with GET and sends
its callback — and then answers 500 ``internal_error`` instead of 202, so the caller never
learns its ``request_id`` (``GET /sandbox/searches`` shows it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

__all__ = ["ALWAYS", "COUNTED_FAULTS", "FAULT_HELP", "FaultError", "Faults", "parse_fault_arg"]

ALWAYS = -1
"""Internal value of a counted fault set to ``"always"``."""

COUNTED_FAULTS = (
    "fail_requests",
    "fail_after_create",
    "fail_searches",
    "drop_callbacks",
    "duplicate_callbacks",
    "reorder_callbacks",
)

FAULT_HELP: dict[str, str] = {
    "fail_requests": "next N requests to /person/leads answer 500 internal_error (N or always)",
    "fail_after_create": (
        "next N POSTs to /person/leads create the search, then answer 500 internal_error "
        "(N or always)"
    ),
    "latency_ms": "milliseconds added to every /person/leads request (real time, not scaled)",
    "fail_searches": "next N searches submitted end as status failed (N or always)",
    "slow_search": "multiply the phase durations of new searches by this factor (1 = off)",
    "drop_callbacks": "next N callbacks are never sent (N or always)",
    "duplicate_callbacks": "next N callbacks are sent a second time after delivery (N or always)",
    "reorder_callbacks": (
        "next N callbacks are held until another search's callback overtakes them (N or always)"
    ),
}


class FaultError(ValueError):
    """An unknown fault name or a value it cannot take."""


@dataclass(slots=True)
class Faults:
    """The faults currently in force. One instance per sandbox, mutated in place."""

    fail_requests: int = 0
    fail_after_create: int = 0
    latency_ms: float = 0.0
    fail_searches: int = 0
    slow_search: float = 1.0
    drop_callbacks: int = 0
    duplicate_callbacks: int = 0
    reorder_callbacks: int = 0

    def take(self, name: str) -> bool:
        """Consume one occurrence of counted fault ``name``; True if it fires now."""
        remaining: int = getattr(self, name)
        if remaining == ALWAYS:
            return True
        if remaining > 0:
            setattr(self, name, remaining - 1)
            return True
        return False

    def update(self, values: Mapping[str, object]) -> None:
        """Set several faults at once; nothing changes if any name or value is invalid."""
        parsed = {name: _parse_value(name, value) for name, value in values.items()}
        for name, value in parsed.items():
            setattr(self, name, value)

    def reset(self, name: str | None = None) -> None:
        """Turn one fault off, or all of them."""
        defaults = Faults()
        names = [spec.name for spec in fields(self)] if name is None else [_check_name(name)]
        for each in names:
            setattr(self, each, getattr(defaults, each))

    def to_json(self) -> dict[str, object]:
        """Current values, counted faults as a number or ``"always"``."""
        out: dict[str, object] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            out[spec.name] = "always" if spec.name in COUNTED_FAULTS and value == ALWAYS else value
        return out


def _check_name(name: str) -> str:
    if name not in FAULT_HELP:
        raise FaultError(f"unknown fault {name!r}; known faults: {', '.join(FAULT_HELP)}")
    return name


def _parse_value(name: str, value: object) -> float | int:
    _check_name(name)
    if name in COUNTED_FAULTS:
        return _parse_count(name, value)
    number = _parse_number(name, value)
    if name == "slow_search" and not number > 0:
        raise FaultError("slow_search must be a factor greater than 0 (1 turns it off)")
    if name == "latency_ms" and number < 0:
        raise FaultError("latency_ms cannot be negative")
    return number


def _parse_count(name: str, value: object) -> int:
    if value is True or (isinstance(value, str) and value.strip().lower() in {"always", "all"}):
        return ALWAYS
    if value is False or value is None:
        return 0
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise FaultError(f"{name} takes a whole number or 'always', not {value!r}") from None
    if isinstance(value, int) and value >= 0:
        return value
    raise FaultError(f"{name} takes a whole number ≥ 0 or 'always', not {value!r}")


def _parse_number(name: str, value: object) -> float:
    if isinstance(value, bool):
        raise FaultError(f"{name} takes a number, not {value!r}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise FaultError(f"{name} takes a number, not {value!r}") from None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    raise FaultError(f"{name} takes a number, not {value!r}")


def parse_fault_arg(text: str) -> tuple[str, object]:
    """Split a ``NAME=VALUE`` command-line fault, checking the name and value."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep:
        raise FaultError(f"expected NAME=VALUE, got {text!r}")
    _parse_value(name, value)
    return name, value
