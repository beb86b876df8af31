"""The ``leads`` command's exit codes (documented in ``leads --help`` and the README)."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode"]


class ExitCode(IntEnum):
    """What a script can branch on."""

    OK = 0
    """Success."""
    ERROR = 1
    """An unexpected error (a bug: see the log)."""
    USAGE = 2
    """Bad usage or input: unknown option, description not 10–2000 characters, bad setting."""
    AUTH = 3
    """The API refused the credentials (NYNE_API_KEY / NYNE_API_SECRET)."""
    RATE_LIMITED = 4
    """The API request budget is used up; retry later (the message says when)."""
    API_ERROR = 5
    """The API or the network failed (unreachable, timed out, 5xx, unexpected answer)."""
    SEARCH_FAILED = 6
    """The search itself failed or expired."""
    STILL_RUNNING = 7
    """``--wait`` ran out of time; the search goes on (check it with ``leads status``)."""
    NOT_FOUND = 8
    """No search with that request ID."""


EXIT_CODES_HELP = "\n".join(
    f"  {code.value}  {code.name.lower().replace('_', ' ')}: {code.__doc__}" for code in ExitCode
)
