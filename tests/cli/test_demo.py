"""``leads demo`` (what ``make demo`` runs) as a subprocess: every step shows, exit 0, and
nothing is left running."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_demo_shows_the_whole_product_and_leaves_nothing_behind() -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NYNE_", "LEADS_", "REDIS_", "SLACK_", "PUBLIC_", "MCP_"))
    }
    env["COLUMNS"] = "120"
    process = subprocess.Popen(
        [sys.executable, "-c", "from cli.main import main; main()", "demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: anything it leaves is findable
        cwd="/",
    )
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output

    # The slash command was acknowledged and the parent went through live phases.
    assert "/leads CTOs at fintech companies discussing cloud migration" in output
    assert "bot acknowledged in" in output
    assert "parent posted" in output
    assert "Analyzing" in output or "Searching" in output
    # The thread of lead cards, and the final summary.
    assert "thread reply:" in output
    assert "Leads 1–" in output
    assert "credit spent" in output
    assert "linkedin.example" in output or "x.example" in output
    # The watch: its card, a first run posting new people, a second posting nothing.
    assert "/leads watch daily Heads of data at retailers" in output
    assert "watch card:" in output
    assert "new people · " in output
    assert "second run: nobody new (" in output
    assert "0 messages posted" in output
    # The MCP part: tools listed, progress heard, structured result printed.
    assert "search_leads" in output
    assert "progress" in output
    assert '"status": "completed"' in output
    assert '"source": "sandbox"' in output
    assert "done in" in output

    with pytest.raises(ProcessLookupError):  # no process of its group survived it
        os.killpg(process.pid, 0)  # signal 0: only asks whether any member exists
