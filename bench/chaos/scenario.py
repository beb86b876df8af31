"""What a chaos run does: its options, and the timeline of faults drawn from its seed."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["Action", "Scenario", "plan"]

ActionKind = Literal["kill", "redis_down", "api_500_burst", "api_500_after_create"]


@dataclass(frozen=True)
class Scenario:
    """The knobs of a run. The defaults are the operator's run, with Redis down for 10 s."""

    commands: int = 300
    """Signed ``/leads`` commands, each in its own channel."""
    rate: float = 2.0
    """Commands sent per second."""
    speed: float = 10.0
    """The sandbox's speed (a search takes 105 s ÷ speed): the product's default."""
    redis_down_seconds: float = 10.0
    """How long Redis stays shut down."""
    seed: int = 1
    """Seeds the timeline, the replica each command goes to, and the sandbox's draws."""
    drop_callbacks_percent: float = 30.0
    duplicate_callbacks_percent: float = 10.0
    duplicate_copies: int = 2
    """A duplicated callback is sent this many more times (three times in all)."""
    misroute_callbacks_percent: float = 10.0
    slack_429_every: int = 7
    """Slack answers 429 (``Retry-After: 1``) to every Nth Web API call."""
    api_500_burst: int = 5
    """Requests to the API answered 500 in each burst."""
    restart_after: float = 1.0
    """Seconds a killed process stays down before it is started again."""
    drain_seconds: float = 180.0
    """After the last command, how long to wait for every command to settle."""

    def __post_init__(self) -> None:
        if self.commands < 1:
            raise ValueError("commands must be at least 1")
        if not self.rate > 0 or not self.speed > 0:
            raise ValueError("rate and speed must be greater than 0")
        if self.redis_down_seconds < 0 or self.restart_after < 0 or self.drain_seconds < 0:
            raise ValueError("durations cannot be negative")

    @property
    def window(self) -> float:
        """Seconds over which the commands are sent (and the faults injected)."""
        return self.commands / self.rate

    def to_json(self) -> dict[str, Any]:
        """The options, for the JSON summary."""
        return asdict(self)


@dataclass(frozen=True)
class Action:
    """One fault to inject, ``at`` seconds after the first command."""

    at: float
    kind: ActionKind
    target: str = ""
    """The process to kill (``web-a``, ``web-b``, ``worker``)."""


# Where in the sending window each fault falls (± a seeded jitter): one kill of each process,
# then Redis, each clear of the others so that what follows each can be told apart.
_KILLS = (("web-a", 0.15), ("web-b", 0.30), ("worker", 0.45))
_REDIS = 0.60
_BURSTS = (0.10, 0.40, 0.85)
_AFTER_CREATE = (0.25, 0.75)
_JITTER = 0.03


def plan(scenario: Scenario) -> list[Action]:
    """The run's faults in time order, the same for the same scenario (seed included)."""
    draw = random.Random(scenario.seed)
    window = scenario.window

    def when(fraction: float) -> float:
        return round(max(0.0, fraction + draw.uniform(-_JITTER, _JITTER)) * window, 3)

    actions = [Action(when(fraction), "kill", name) for name, fraction in _KILLS]
    actions.append(Action(when(_REDIS), "redis_down"))
    actions += [Action(when(fraction), "api_500_burst") for fraction in _BURSTS]
    actions += [Action(when(fraction), "api_500_after_create") for fraction in _AFTER_CREATE]
    return sorted(actions, key=lambda action: action.at)
