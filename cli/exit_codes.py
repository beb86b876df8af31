"""The ``leads`` command's exit codes (documented in ``leads --help`` and the README)."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["EXIT_CODES_HELP", "MEANINGS", "ExitCode"]


class ExitCode(IntEnum):
    """What a script can branch on; :data:`MEANINGS` says what each code means."""

    OK = 0
    ERROR = 1
    USAGE = 2
    AUTH = 3
    RATE_LIMITED = 4
    API_ERROR = 5
    SEARCH_FAILED = 6
    STILL_RUNNING = 7
    NOT_FOUND = 8


# A mapping, not member docstrings: attribute docstrings exist only in the source, and an
# enum member's ``__doc__`` is its class's, so help built from them said the same thing
# for every code.
MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.ERROR: "unexpected error (a bug: see the log)",
    ExitCode.USAGE: "usage or validation error: unknown option, description not 10–2000 "
    "characters, bad setting, the channel's watch cap reached",
    ExitCode.AUTH: "the API refused the credentials (NYNE_API_KEY / NYNE_API_SECRET)",
    ExitCode.RATE_LIMITED: "rate limited: the request budget is used up (the message says "
    "when to retry), a queued search could not start in time, or the budget cannot sustain "
    "a new watch",
    ExitCode.API_ERROR: "API or network failure (unreachable, timed out, 5xx, unexpected "
    "answer, Redis unreachable)",
    ExitCode.SEARCH_FAILED: "the search failed or expired",
    ExitCode.STILL_RUNNING: "--wait ran out of time; the search goes on (leads status <id>)",
    ExitCode.NOT_FOUND: "no search with that request ID (or no watch with that ID)",
}

EXIT_CODES_HELP = "\n".join(f"  {code.value}  {MEANINGS[code]}" for code in ExitCode)
"""One line per exit code, for ``leads --help``."""
