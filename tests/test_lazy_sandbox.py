"""The fronts load the sandbox only when they start it (no API key): never with real keys.

Importing it costs about 20–30 MB of RSS and half a second of start-up (its corpus, search
engine and numpy); ``bench/bench_footprint.py`` measures the processes.
"""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import bot.__main__, bot.worker, mcp_server.__main__, cli.main
loaded = sorted(m for m in sys.modules if m.startswith("sandbox.") and m != "sandbox.launch")
print(",".join(loaded))
"""


def test_importing_every_front_loads_no_part_of_the_sandbox() -> None:
    # A fresh interpreter: this test process has long imported the sandbox for other tests.
    found = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    assert found.stdout.strip() == ""
