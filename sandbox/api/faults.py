"""Misbehaviour on demand: failing requests, latency, callback trouble, failing or slow searches.

Every fault is off by default. Counted faults take a number (the next N occurrences),
``"always"``, or a percentage (``"30%"``: each occurrence fires with that chance, for as
long as it is set); numbers count down as they fire. Chances are drawn from the faults' own
random generator, seeded with ``--fault-seed`` (``SandboxConfig.fault_seed``) so that a run
draws the same sequence again. Set faults with ``--fault NAME=VALUE`` or
``POST /sandbox/faults``.

Callback trouble, as a load balancer and a flaky network would cause it:
``drop_callbacks`` never sends one; ``duplicate_callbacks`` sends it ``duplicate_copies``
more times after it was delivered (1 by default: twice in all); ``misroute_callbacks``
sends every attempt of one to another origin of ``misroute_to`` (a comma-separated list of
``scheme://host:port`` origins, e.g. the other replicas behind the load balancer), same
path and query — a callback whose own origin is the only one listed goes where it was
meant to.

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
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from urllib.parse import urlsplit, urlunsplit

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
    "misroute_callbacks",
)

FAULT_HELP: dict[str, str] = {
    "fail_requests": (
        "next N requests to /person/leads answer 500 internal_error (N, always or P%)"
    ),
    "fail_after_create": (
        "next N POSTs to /person/leads create the search, then answer 500 internal_error "
        "(N, always or P%)"
    ),
    "latency_ms": "milliseconds added to every /person/leads request (real time, not scaled)",
    "fail_searches": "next N searches submitted end as status failed (N, always or P%)",
    "slow_search": "multiply the phase durations of new searches by this factor (1 = off)",
    "drop_callbacks": "next N callbacks are never sent (N, always or P%)",
    "duplicate_callbacks": (
        "next N callbacks are sent again, duplicate_copies more times, after delivery "
        "(N, always or P%)"
    ),
    "duplicate_copies": "how many more times duplicate_callbacks sends a callback (default 1)",
    "reorder_callbacks": (
        "next N callbacks are held until another search's callback overtakes them (N, always or P%)"
    ),
    "misroute_callbacks": (
        "next N callbacks go to another origin of misroute_to, same path (N, always or P%)"
    ),
    "misroute_to": "comma-separated origins misrouted callbacks go to (http://host:port,...)",
}

_PERCENT_SCALE = 100.0


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
    duplicate_copies: int = 1
    reorder_callbacks: int = 0
    misroute_callbacks: int = 0
    misroute_to: str = ""
    _chances: dict[str, float] = field(default_factory=dict, repr=False)
    """Counted faults set to a percentage: name → chance in (0, 1]."""
    _random: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def seed(self, value: int) -> None:
        """Seed the draws of percentage faults, so that a run draws the same sequence again."""
        self._random.seed(value)

    def take(self, name: str) -> bool:
        """Consume one occurrence of counted fault ``name``; True if it fires now."""
        chance = self._chances.get(name)
        if chance is not None:
            return self._random.random() < chance
        remaining: int = getattr(self, name)
        if remaining == ALWAYS:
            return True
        if remaining > 0:
            setattr(self, name, remaining - 1)
            return True
        return False

    def misroute(self, url: str) -> str:
        """Where a misrouted callback for ``url`` goes: another origin of ``misroute_to``.

        ``url`` itself when no other origin is listed.
        """
        parts = urlsplit(url)
        own = f"{parts.scheme}://{parts.netloc}".lower()
        others = [origin for origin in _origins(self.misroute_to) if origin.lower() != own]
        if not others:
            return url
        target = urlsplit(self._random.choice(others))
        return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))

    def update(self, values: Mapping[str, object]) -> None:
        """Set several faults at once; nothing changes if any name or value is invalid."""
        parsed = {name: _parse_value(name, value) for name, value in values.items()}
        for name, value in parsed.items():
            self._chances.pop(name, None)
            if isinstance(value, _Chance):
                self._chances[name] = value.chance
                value = 0
            setattr(self, name, value)

    def reset(self, name: str | None = None) -> None:
        """Turn one fault off, or all of them."""
        defaults = Faults()
        names = _public_names(self) if name is None else [_check_name(name)]
        for each in names:
            setattr(self, each, getattr(defaults, each))
            self._chances.pop(each, None)

    def to_json(self) -> dict[str, object]:
        """Current values, counted faults as a number, ``"always"`` or ``"P%"``."""
        out: dict[str, object] = {}
        for name in _public_names(self):
            value = getattr(self, name)
            if name in self._chances:
                value = f"{self._chances[name] * _PERCENT_SCALE:g}%"
            elif name in COUNTED_FAULTS and value == ALWAYS:
                value = "always"
            out[name] = value
        return out


@dataclass(frozen=True, slots=True)
class _Chance:
    """A counted fault set to a percentage."""

    chance: float


def _public_names(faults: Faults) -> list[str]:
    return [spec.name for spec in fields(faults) if not spec.name.startswith("_")]


def _origins(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _check_name(name: str) -> str:
    if name not in FAULT_HELP:
        raise FaultError(f"unknown fault {name!r}; known faults: {', '.join(FAULT_HELP)}")
    return name


def _parse_value(name: str, value: object) -> float | int | str | _Chance:
    _check_name(name)
    if name in COUNTED_FAULTS:
        return _parse_count(name, value)
    if name == "misroute_to":
        return _parse_origins(value)
    if name == "duplicate_copies":
        copies = _parse_number(name, value)
        if copies != int(copies) or not 1 <= copies <= 10:
            raise FaultError("duplicate_copies takes a whole number from 1 to 10")
        return int(copies)
    number = _parse_number(name, value)
    if name == "slow_search" and not number > 0:
        raise FaultError("slow_search must be a factor greater than 0 (1 turns it off)")
    if name == "latency_ms" and number < 0:
        raise FaultError("latency_ms cannot be negative")
    return number


def _parse_count(name: str, value: object) -> int | _Chance:
    if value is True or (isinstance(value, str) and value.strip().lower() in {"always", "all"}):
        return ALWAYS
    if isinstance(value, str) and value.strip().endswith("%"):
        return _parse_percent(name, value.strip()[:-1])
    if value is False or value is None:
        return 0
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise FaultError(
                f"{name} takes a whole number, 'always' or 'P%', not {value!r}"
            ) from None
    if isinstance(value, int) and value >= 0:
        return value
    raise FaultError(f"{name} takes a whole number ≥ 0, 'always' or 'P%', not {value!r}")


def _parse_percent(name: str, text: str) -> int | _Chance:
    try:
        percent = float(text)
    except ValueError:
        raise FaultError(f"{name} takes a percentage such as '30%', not {text + '%'!r}") from None
    if not 0 <= percent <= _PERCENT_SCALE:
        raise FaultError(f"{name} takes a percentage from 0% to 100%, not {percent:g}%")
    return _Chance(percent / _PERCENT_SCALE) if percent > 0 else 0


def _parse_origins(value: object) -> str:
    if not isinstance(value, str):
        raise FaultError(f"misroute_to takes comma-separated origins, not {value!r}")
    for origin in _origins(value):
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path.strip("/"):
            raise FaultError(
                f"misroute_to takes origins such as http://127.0.0.1:3000, not {origin!r}"
            )
    return ",".join(origin.rstrip("/") for origin in _origins(value))


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
