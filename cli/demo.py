"""``make demo`` / ``leads demo``: the whole product on embedded defaults (being built)."""

from __future__ import annotations

import sys


def main() -> int:
    """Run the demo; return the exit status."""
    print("leads demo: not available yet in this build.", file=sys.stderr)
    return 1
