"""Unit tests of the CLI's rendering: nothing a lead carries can drive the user's terminal."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from cli.output import (
    CSV_COLUMNS,
    OutputFormat,
    lead_row,
    render,
    render_watches,
    watch_row,
)
from shared.models import Author, Engagement, Lead
from shared.state.records import Origin, SearchRecord, SearchState
from shared.untrusted import CSV_FORMULA_LEADS, clean, csv_cell
from shared.watch.store import LastRun, Watch
from tests.support.hostile_text import PROPERTY_SETTINGS, hostile_leads, hostile_text, leaks

CLEAR = "\x1b[2J"
HYPERLINK = "\x1b]8;;https://evil.example\x1b\\click me\x1b]8;;\x1b\\"
C1_CLEAR = "\x9b2J"
BIDI = "\u202e\u2066"
HOSTILE = CLEAR + HYPERLINK + C1_CLEAR + BIDI
# What Rich itself writes for the table's styles; anything else starting with ESC came
# from the data.
_RICH_STYLE = re.compile(r"\x1b\[[0-9;]*m")
_TERMINAL_ACTS_ON = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hostile_lead() -> Lead:
    """A lead with an escape sequence, an OSC-8 hyperlink and bidi overrides in every field."""
    return Lead(
        platform="linkedin" + HOSTILE,
        post_url="https://x.example/p" + HOSTILE,
        post_content="Great post" + HOSTILE,
        post_date=datetime(2026, 1, 14, tzinfo=UTC),
        author=Author(
            name="Jane" + HOSTILE,
            username="jane" + HOSTILE,
            headline="CTO" + HOSTILE,
            profile_url="https://x.example/in/jane" + HOSTILE,
        ),
        engagement=Engagement(likes=1, comments=2, shares=3),
    )


def completed(description: str = "CTOs talking about cloud costs") -> SearchRecord:
    """A completed search with one lead."""
    return SearchRecord(
        request_id="a" * 64,
        description=description,
        origin=Origin(front="cli"),
        status=SearchState.COMPLETED,
        created_at=datetime(2026, 1, 14, tzinfo=UTC),
        completed_at=datetime(2026, 1, 14, 0, 2, tzinfo=UTC),
        results_count=1,
    )


def test_clean_drops_escapes_c1_controls_and_bidi_overrides() -> None:
    # The CLI now shows text through the shared policy (shared.untrusted.clean).
    assert clean(None) == ""
    assert clean("keeps\ttabs\nand newlines") == "keeps\ttabs\nand newlines"
    assert clean(HOSTILE) == "[2J]8;;https://evil.example\\click me]8;;\\2J"
    for char in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
        assert clean(f"a{char}b") == "ab", hex(ord(char))
    # Before: the CLI kept zero-width characters, so "ad\u200bmin" looked like "admin".
    for char in "\u200b\u200c\u200d\u2060\ufeff\u00ad\U000e0041":
        assert clean(f"a{char}b") == "ab", hex(ord(char))


def test_the_table_on_a_terminal_carries_no_escape_from_a_lead() -> None:
    # Before: the platform went into the table raw, so "\x1b[2J" cleared the user's screen
    # and an OSC-8 sequence put a hidden link in it.
    console = Console(file=io.StringIO(), force_terminal=True, width=200, color_system="standard")
    assert render(OutputFormat.TABLE, completed(HOSTILE), [hostile_lead()], console) is None
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Jane" in shown  # the table is there
    assert "linkedin" in shown
    data_only = _RICH_STYLE.sub("", shown)
    assert "\x1b" not in data_only
    assert "\x9b" not in shown
    assert "\u202e" not in shown
    assert "\u2066" not in shown


def test_json_keeps_the_exact_data_but_escapes_what_a_terminal_would_act_on() -> None:
    # Before: C1 controls and bidi overrides went out raw (json.dumps escapes only C0).
    console = Console(file=io.StringIO())
    for fmt in (OutputFormat.JSON, OutputFormat.JSONL):
        text = render(fmt, completed(), [hostile_lead()], console)
        assert text is not None
        assert not _TERMINAL_ACTS_ON.search(text.replace("\n", ""))
        body = json.loads(text)
        lead = body["leads"][0] if fmt is OutputFormat.JSON else body
        assert lead["author"]["name"] == "Jane" + HOSTILE  # programs still get the real data


def test_csv_cells_carry_no_escape() -> None:
    # Before: CSV printed on a terminal passed "\x1b[2J" straight through.
    text = render(OutputFormat.CSV, completed(), [hostile_lead()], Console(file=io.StringIO()))
    assert text is not None
    assert not _TERMINAL_ACTS_ON.search(text.replace("\n", ""))
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["name"] == "Jane[2J]8;;https://evil.example\\click me]8;;\\2J"


def test_json_escapes_every_hidden_character_and_keeps_emoji() -> None:
    # Before: zero-width characters, U+2028/U+2029 and TAG characters went out raw.
    name = "ad\u200bmin\u2028\U000e0041 \u2600\ufe0f"
    lead = hostile_lead().model_copy(update={"author": Author(name=name)})
    text = render(OutputFormat.JSONL, completed(), [lead], Console(file=io.StringIO()))
    assert text is not None
    assert '"name": "ad\\u200bmin\\u2028\\udb40\\udc41 \u2600\ufe0f"' in text
    assert json.loads(text)["author"]["name"] == name


def test_the_table_shows_only_links_that_pass_the_policy() -> None:
    def table_for(url: str) -> str:
        lead = hostile_lead().model_copy(update={"post_url": url})
        out = io.StringIO()
        render(OutputFormat.TABLE, completed(), [lead], Console(file=out, width=200))
        return out.getvalue()

    assert "https://x.example/p/1" in table_for("https://x.example/p/1")
    # Before: any text in post_url was shown in the link's place.
    assert "javascript" not in table_for("javascript:alert(1)")
    assert "user@" not in table_for("https://user@x.example/")


def test_csv_cells_that_start_a_formula_are_defused() -> None:
    lead = hostile_lead().model_copy(
        update={"post_content": ' =HYPERLINK("https://evil.example")', "platform": "＠x"}
    )
    text = render(OutputFormat.CSV, completed(), [lead], Console(file=io.StringIO()))
    assert text is not None
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["post_content"] == '\' =HYPERLINK("https://evil.example")'
    assert row["platform"] == "'＠x"


# Property tests over arbitrary Unicode: whatever a lead holds, no hidden character reaches
# stdout raw. The only newlines (and, in CSV, tabs) are the format's own or kept inside a
# quoted CSV cell, where RFC 4180 allows them and a spreadsheet shows them as text.


@PROPERTY_SETTINGS
@given(hostile_leads(), hostile_text())
def test_the_table_shows_nothing_hidden(lead: Lead, description: str) -> None:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    render(OutputFormat.TABLE, completed(description), [lead], console)
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert leaks(shown, allowed="\n") == []  # the table's own line breaks


@PROPERTY_SETTINGS
@given(hostile_leads(), hostile_text())
def test_json_keeps_the_exact_data_with_nothing_hidden_raw(lead: Lead, description: str) -> None:
    console = Console(file=io.StringIO())
    data = lead.model_dump(mode="json", exclude_none=True)
    text = render(OutputFormat.JSON, completed(description), [lead], console)
    assert text is not None
    assert leaks(text, allowed="\n") == []  # indent=2's own line breaks
    body = json.loads(text)
    assert body["leads"] == [data]
    assert body["description"] == description
    lines = render(OutputFormat.JSONL, completed(description), [lead, lead], console)
    assert lines is not None
    assert leaks(lines, allowed="\n") == []
    assert [json.loads(line) for line in lines.split("\n")] == [data, data]


@PROPERTY_SETTINGS
@given(hostile_leads())
def test_csv_has_nothing_hidden_and_no_formula(lead: Lead) -> None:
    text = render(OutputFormat.CSV, completed(), [lead], Console(file=io.StringIO()))
    assert text is not None
    assert leaks(text, allowed="\n\t") == []
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(CSV_COLUMNS)
    (row,) = rows[1:]
    assert row == [csv_cell(value) for value in lead_row(lead).values()]
    for cell in row:
        assert not cell.lstrip().startswith(CSV_FORMULA_LEADS)


# Watches: their descriptions were typed by people, and go out through the same rules.


def hostile_watch(description: str, pause_reason: str = "", channel: str = "C1") -> Watch:
    """A watch whose stored text came from someone else."""
    return Watch(
        watch_id="w1a2b3c4d",
        description=description,
        schedule="daily",
        origin=Origin(front="slack", team_id="T1", channel_id=channel or None),
        created_at=datetime(2026, 1, 14, tzinfo=UTC).timestamp(),
        paused=bool(pause_reason),
        pause_reason=pause_reason,
        next_at=datetime(2026, 1, 15, tzinfo=UTC).timestamp(),
        last=LastRun(at=datetime(2026, 1, 14, 1, tzinfo=UTC).timestamp(), status="found", new=2),
    )


def test_a_watch_description_cannot_start_a_formula_or_hide_text() -> None:
    # Before: watch rows went to CSV as typed (=HYPERLINK(...) ran in a spreadsheet) and to
    # JSON through plain json.dumps (bidi, zero-width and TAG characters raw on stdout).
    typed = ' =HYPERLINK("https://evil.example","CTOs")\u202e\u200b\U000e0041\u2060'
    rows = [watch_row(hostile_watch(typed, pause_reason="＋1 failures"), 4)]
    console = Console(file=io.StringIO())
    text = render_watches(OutputFormat.CSV, rows, console)
    assert text is not None
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["description"] == '\' =HYPERLINK("https://evil.example","CTOs")'
    assert row["pause_reason"] == "'＋1 failures"
    for fmt in (OutputFormat.JSON, OutputFormat.JSONL):
        shown = render_watches(fmt, rows, console)
        assert shown is not None
        assert "\\u202e\\u200b\\udb40\\udc41\\u2060" in shown  # escaped, not raw
        assert leaks(shown, allowed="\n") == []
        body = json.loads(shown)
        assert (body[0] if fmt is OutputFormat.JSON else body)["description"] == typed


@PROPERTY_SETTINGS
@given(hostile_text(), hostile_text(), hostile_text(20), st.integers(0, 3))
def test_watch_csv_has_nothing_hidden_and_no_formula(
    description: str, pause_reason: str, channel: str, count: int
) -> None:
    rows = [watch_row(hostile_watch(description, pause_reason, channel), 1)] * count
    text = render_watches(OutputFormat.CSV, rows, Console(file=io.StringIO()))
    assert text is not None
    assert leaks(text, allowed="\n\t") == []
    header, *cells = list(csv.reader(io.StringIO(text)))
    assert header == (list(rows[0]) if rows else ["watch_id"])
    assert len(cells) == count
    for row in cells:
        assert row == [csv_cell(value) for value in rows[0].values()]
        for cell in row:
            assert not cell.lstrip().startswith(CSV_FORMULA_LEADS)


@PROPERTY_SETTINGS
@given(hostile_text(), hostile_text(), hostile_text(20))
def test_watch_json_keeps_the_exact_data_with_nothing_hidden_raw(
    description: str, pause_reason: str, channel: str
) -> None:
    rows = [watch_row(hostile_watch(description, pause_reason, channel), 1)]
    console = Console(file=io.StringIO())
    text = render_watches(OutputFormat.JSON, rows, console)
    assert text is not None
    assert leaks(text, allowed="\n") == []  # indent=2's own line breaks
    assert json.loads(text) == rows
    lines = render_watches(OutputFormat.JSONL, rows * 2, console)
    assert lines is not None
    assert leaks(lines, allowed="\n") == []
    assert [json.loads(line) for line in lines.split("\n")] == rows * 2


@PROPERTY_SETTINGS
@given(hostile_text(), hostile_text(20))
def test_the_watch_table_shows_nothing_hidden(description: str, channel: str) -> None:
    console = Console(file=io.StringIO(), width=160, color_system=None)
    rows = [watch_row(hostile_watch(description, channel=channel), 1)]
    assert render_watches(OutputFormat.TABLE, rows, console) is None
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "w1a2b3c4d" in shown
    assert leaks(shown, allowed="\n") == []  # the table's own line breaks
