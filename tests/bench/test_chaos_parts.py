"""The chaos run's pure parts: judging a command from its channel, scanning logs, reading
the Procfile, the seeded timeline and the targets. (The run itself: test_chaos.py.)"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from bench.chaos.__main__ import main
from bench.chaos.logscan import FaultWindow, scan_log
from bench.chaos.outcomes import Outcome, Seen, Sent, Verdict, classify, extra_searches
from bench.chaos.report import Summary
from bench.chaos.rig import procfile_command
from bench.chaos.scenario import Scenario, plan
from bot.views import notices

SENT_AT = 1_000.0


def sent(*, status: int | None = 200, ack: float | None = 0.05, sent_at: float = SENT_AT) -> Sent:
    return Sent(7, "C0CHAOS00007", "CTOs (chaos 1-7)", sent_at, "web-a", status, ack)


def parent(
    text: str = "Lead search for <@U0ALICE>: queued", *, kind: str = "message_posted"
) -> Seen:
    return Seen(kind, "1.000001", None, text, SENT_AT + 0.2)


def reply(heading: str, at: float) -> Seen:
    # A reply's heading is in its fallback text and again in its context block.
    text = f"<@U0ALICE> · {heading}\n{heading}\ncard text"
    return Seen("message_posted", f"{at}", "1.000001", text, SENT_AT + at)


FULL = [reply("Leads 1–15 of 25", 9.0), reply("Leads 16–25 of 25", 9.5)]


@pytest.mark.parametrize(
    ("seen", "ack", "verdict", "told", "latency"),
    [
        pytest.param([parent(), *FULL], 0.05, Verdict.DELIVERED, None, 9.5, id="delivered"),
        pytest.param(
            [parent(), *FULL, reply("Leads 16–25 of 25", 12.0)],
            0.05,
            Verdict.DUPLICATED,
            None,
            None,
            id="a reply twice",
        ),
        pytest.param(
            [
                parent(),
                reply("Leads 1–15 of 25", 9.0),
                reply("Leads 16–24 of 25", 9.5),
                reply("Leads 25 of 25", 9.8),
            ],
            0.05,
            Verdict.DELIVERED,
            None,
            9.8,
            id="a last reply of one card",
        ),
        pytest.param(
            [parent(), FULL[0]], 0.05, Verdict.LOST, None, None, id="half a thread, no word"
        ),
        pytest.param([], 0.05, Verdict.LOST, None, None, id="acknowledged, then nothing"),
        pytest.param([], None, Verdict.UNACKNOWLEDGED, None, None, id="no ack"),
        pytest.param([], 3.5, Verdict.UNACKNOWLEDGED, None, None, id="ack after Slack's 3 s"),
        pytest.param(
            [Seen("ephemeral_posted", "2.0", None, notices.database_down().text, SENT_AT + 1)],
            0.05,
            Verdict.TOLD,
            "database",
            None,
            id="Redis down, told ephemerally",
        ),
        pytest.param(
            [
                parent(),
                parent(
                    f"This search did not start. {notices.api_failed()}", kind="message_updated"
                ),
            ],
            0.05,
            Verdict.TOLD,
            "api_500",
            None,
            id="the API's 500, in the parent",
        ),
        pytest.param(
            [Seen("ephemeral_posted", "2.0", None, "Something new went wrong", SENT_AT + 1)],
            0.05,
            Verdict.TOLD,
            "other",
            None,
            id="an ephemeral the bot's notices don't have",
        ),
        pytest.param(
            [
                parent(),
                Seen(
                    "message_posted",
                    "3.0",
                    "1.000001",
                    "No leads found for this description — no credit was spent.",
                    SENT_AT + 4,
                ),
            ],
            0.05,
            Verdict.DELIVERED,
            None,
            4.0,
            id="no leads",
        ),
    ],
)
def test_what_became_of_a_command(
    seen: list[Seen], ack: float | None, verdict: Verdict, told: str | None, latency: float | None
) -> None:
    outcome = classify(sent(ack=ack), seen, searches=1)
    assert outcome.verdict is verdict
    assert outcome.told == told
    assert outcome.latency == latency


def test_a_delivery_after_being_told_counts_as_delivered() -> None:
    told = Seen("ephemeral_posted", "2.0", None, notices.unexpected_error().text, SENT_AT + 1)
    outcome = classify(sent(), [parent(), told, *FULL], searches=1)
    assert outcome.verdict is Verdict.DELIVERED
    assert outcome.leads_posted == 25


def test_extra_searches_are_those_beyond_one_per_acknowledged_command() -> None:
    acked = sent()
    twice = replace(sent(), description="twice")
    unacked = replace(sent(status=None, ack=None), description="never acknowledged")
    commands = [acked, twice, unacked]
    assert extra_searches(commands, Counter({acked.description: 1, "twice": 1})) == 0
    assert extra_searches(commands, Counter({"twice": 2})) == 1
    assert extra_searches(commands, Counter({"never acknowledged": 1})) == 1
    assert extra_searches(commands, Counter({"nobody asked": 1})) == 1


def log_line(level: str, msg: str, at: str = "2026-01-01T00:00:10.000+00:00", exc: str = "") -> str:
    fields = {"ts": at, "level": level, "logger": "bot.jobs", "msg": msg}
    if exc:
        fields["exc"] = exc
    return json.dumps(fields)


REDIS_TRACEBACK = (
    'Traceback (most recent call last):\n  File ".../redis/asyncio/connection.py", line 1\n'
)


def test_log_scan_explains_only_what_was_injected_while_it_was_in_force(tmp_path: Path) -> None:
    start = 1767225600.0  # 2026-01-01T00:00:00Z
    windows = [FaultWindow("redis_down", start + 5, start + 15)]
    log = tmp_path / "worker.1.log"
    lines = [
        log_line("info", "search delivered"),
        log_line("warning", "retrying after HTTP 500"),
        log_line(
            "error",
            "delivery failed (try 1)",
            exc=REDIS_TRACEBACK + "redis.exceptions.ConnectionError: Error 111 connecting",
        ),
        log_line(
            "error",
            "Redis is unreachable: /leads refused",
            at="2026-01-01T00:05:00.000+00:00",  # long after Redis came back
        ),
        log_line(
            "error",
            "Task exception was never retrieved",
            exc=REDIS_TRACEBACK + "arq.worker.Retry: <Retry defer 2.00s>",
        ),
        log_line("error", "delivery failed", exc=REDIS_TRACEBACK + "KeyError: 'ts'"),
        "Traceback (most recent call last):",
        "a plain line",
    ]
    log.write_text("\n".join(lines) + "\n")
    found = scan_log("worker.1", log, windows)
    assert [(line.line, line.explained_by) for line in found] == [
        (3, "redis_down"),
        (4, None),
        (5, None),  # a bug whatever was injected, though its traceback names redis
        (6, None),  # its traceback names redis, but the error is not about Redis
        (7, None),
    ]
    assert found[0].detail.startswith("redis.exceptions.ConnectionError")


def test_procfile_processes_run_as_python_modules_of_the_console_scripts(tmp_path: Path) -> None:
    assert procfile_command("web", {}, python="py") == ["py", "-m", "cli.web"]
    assert procfile_command("worker", {}, python="py") == ["py", "-m", "bot.worker"]
    assert procfile_command("mcp", {"PORT": "9"}, python="py")[-2:] == ["--port", "9"]
    assert procfile_command("mcp", {}, python="py")[-2:] == ["--port", "8000"]
    (tmp_path / "Procfile").write_text("web: leads-web\nclock: cron-thing\n")
    (tmp_path / "pyproject.toml").write_text('[project.scripts]\nleads-web = "cli.web:main"\n')
    with pytest.raises(ValueError, match="no 'worker' process"):
        procfile_command("worker", {}, root=tmp_path)
    with pytest.raises(ValueError, match="'cron-thing'"):
        procfile_command("clock", {}, root=tmp_path)


def test_the_timeline_is_the_same_for_a_seed_and_inside_the_window() -> None:
    scenario = Scenario(commands=60, rate=2.0, seed=3)
    actions = plan(scenario)
    assert actions == plan(scenario)
    assert actions != plan(Scenario(commands=60, rate=2.0, seed=4))
    assert all(0 <= action.at <= scenario.window for action in actions)
    assert sorted(a.target for a in actions if a.kind == "kill") == ["web-a", "web-b", "worker"]
    assert [a.kind for a in actions].count("redis_down") == 1


def outcome(verdict: Verdict, latency: float | None = None, told: str | None = None) -> Outcome:
    return Outcome(sent(), verdict, told, latency, 1, 25, "")


def test_targets_are_met_only_by_a_clean_run() -> None:
    clean = Summary(
        Scenario(commands=3),
        [
            outcome(Verdict.DELIVERED, 9.0),
            outcome(Verdict.DELIVERED, 12.0),
            outcome(Verdict.TOLD, told="api_500"),
        ],
        extra_searches=0,
        error_lines=[],
    )
    assert clean.met
    assert clean.latency(99) == 12.0
    assert "delivered exactly once  2" in clean.render()
    messy = Summary(
        Scenario(commands=3),
        [
            outcome(Verdict.DELIVERED, 16.0),
            outcome(Verdict.LOST),
            outcome(Verdict.TOLD, told="database"),
        ],
        extra_searches=1,
        error_lines=[],
    )
    missed = {t.name for t in messy.targets() if not t.met}
    assert missed == {
        "lost",
        "extra API searches",
        "told, other than of an injected API 500",
        "delivery p99, commands no fault touched (s)",
    }
    assert json.loads(json.dumps(messy.to_json()))["counts"]["told_by_reason"] == {"database": 1}


def test_the_latency_target_leaves_out_commands_a_kill_or_an_outage_touched() -> None:
    # Sent at 1000 s; at speed 10 a search takes 10.5 s. The worker dies at 1005 s for a
    # second: a command then in flight is "disturbed", reported apart, not in the target.
    injected = [
        {"at": 5.0, "what": "SIGKILL worker", "wall": 1005.0},
        {"at": 6.0, "what": "restarted worker", "wall": 1006.0},
        {"at": 50.0, "what": "SIGKILL web-b", "wall": 1050.0},
        {"at": 51.0, "what": "restarted web-b", "wall": 1051.0},
    ]
    touched = Outcome(sent(sent_at=1000.0), Verdict.DELIVERED, None, 40.0, 1, 25, "")
    clear = Outcome(sent(sent_at=1030.0), Verdict.DELIVERED, None, 11.0, 1, 25, "")
    other_replica = Outcome(sent(sent_at=1045.0), Verdict.DELIVERED, None, 12.0, 1, 25, "")
    summary = Summary(
        Scenario(commands=3),
        [touched, clear, other_replica],
        extra_searches=0,
        error_lines=[],
        injected=injected,
    )
    assert [summary.disturbed(o) for o in summary.outcomes] == [True, False, False]
    assert summary.latency_of(99, disturbed=False) == 12.0
    assert summary.latency_of(99, disturbed=True) == 40.0
    assert summary.met
    assert "in flight at a kill or outage   1: 40.0 s / 40.0 s" in summary.render()


def test_bad_options_are_refused_naming_them(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["--commands", "0"])
    assert refused.value.code == 2
    assert "commands must be at least 1" in capsys.readouterr().err
