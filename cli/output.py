"""Rendering search results for people (a table) and for programs (JSON, JSON lines, CSV).

Everything a search brings back (post text, names, headlines, links, platform, error text)
comes from strangers on social media or from the API: it goes through :func:`clean` before
it can reach a terminal, so no escape sequence, hyperlink or bidi override gets through.
JSON keeps the exact data but writes the characters a terminal would act on as ``\\uXXXX``
escapes, and CSV cells that a spreadsheet would run as a formula are defused.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from shared.models import Lead
from shared.state.records import SearchRecord

__all__ = ["OutputFormat", "clean", "render", "search_summary"]

# C0 and C1 control characters except tab and newline (an ANSI escape or OSC-8 hyperlink
# in a post must not be able to repaint the user's terminal), and the bidi controls that
# make text display in another order than it reads (U+061C, U+200E/F, U+202A–E, U+2066–9).
_UNSAFE_CHARS = r"\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(rf"[\x00-\x08\x0b-\x1f{_UNSAFE_CHARS}]")
# What json.dumps(ensure_ascii=False) leaves raw but a terminal would act on (it escapes
# C0 itself).
_JSON_UNSAFE = re.compile(f"[{_UNSAFE_CHARS}]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = (
    "name",
    "username",
    "headline",
    "platform",
    "post_date",
    "post_url",
    "profile_url",
    "likes",
    "comments",
    "shares",
    "post_content",
)


class OutputFormat(StrEnum):
    """``--format`` choices."""

    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"


def clean(text: str | None) -> str:
    """Untrusted text made safe for a terminal."""
    return _CONTROL.sub("", text or "")


def _csv_cell(value: object) -> str:
    text = clean(None if value is None else str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def _json(value: object, *, indent: int | None = None) -> str:
    """``value`` as JSON whose text is safe on a terminal and parses back to the same data."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _JSON_UNSAFE.sub(lambda char: f"\\u{ord(char.group()):04x}", text)


def lead_row(lead: Lead) -> dict[str, Any]:
    """One lead as a flat row (CSV columns)."""
    return {
        "name": lead.author.name,
        "username": lead.author.username,
        "headline": lead.author.headline,
        "platform": lead.platform,
        "post_date": lead.post_date.isoformat().replace("+00:00", "Z") if lead.post_date else "",
        "post_url": lead.post_url,
        "profile_url": lead.author.profile_url,
        "likes": lead.engagement.likes,
        "comments": lead.engagement.comments,
        "shares": lead.engagement.shares,
        "post_content": lead.post_content,
    }


def search_summary(record: SearchRecord) -> dict[str, Any]:
    """The search's facts, for JSON output."""
    return {
        "request_id": record.request_id,
        "status": record.status.value,
        "description": record.description,
        "results_count": record.results_count,
        "credit_spent": record.credit_spent,
        "elapsed_seconds": record.elapsed_seconds,
        "source": "sandbox" if record.sandbox else "api",
        "error": record.error,
    }


def render(
    fmt: OutputFormat, record: SearchRecord, leads: Sequence[Lead], console: Console
) -> str | None:
    """The text to print on stdout for ``fmt`` (the table is printed on ``console``)."""
    if fmt is OutputFormat.JSON:
        body = search_summary(record) | {
            "leads": [lead.model_dump(mode="json", exclude_none=True) for lead in leads]
        }
        return _json(body, indent=2)
    if fmt is OutputFormat.JSONL:
        return "\n".join(_json(lead.model_dump(mode="json", exclude_none=True)) for lead in leads)
    if fmt is OutputFormat.CSV:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for lead in leads:
            writer.writerow({key: _csv_cell(value) for key, value in lead_row(lead).items()})
        return buffer.getvalue().rstrip("\n")
    console.print(_table(record, leads))
    return None


def _table(record: SearchRecord, leads: Sequence[Lead]) -> Table:
    source = " (sandbox: synthetic data)" if record.sandbox else ""
    table = Table(
        title=Text(f"{len(leads)} leads for “{clean(record.description)}”{source}"),
        show_lines=True,
        expand=True,
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Who", ratio=2)
    table.add_column("Post", ratio=5)
    table.add_column("Engagement", no_wrap=True)
    for number, lead in enumerate(leads, 1):
        who = Text(clean(lead.author.name) or clean(lead.author.username) or "?", style="bold")
        if lead.author.headline:
            who.append("\n" + clean(lead.author.headline), style="dim")
        who.append("\n" + clean(lead.platform))
        if lead.post_date:
            who.append(f" · {lead.post_date:%Y-%m-%d}")
        post = Text(clean(_trim(lead.post_content, 280)))
        if lead.post_url:
            post.append("\n" + clean(lead.post_url), style="cyan")
        engagement = Text(
            f"♥ {lead.engagement.likes}\n💬 {lead.engagement.comments}\n↻ {lead.engagement.shares}"
        )
        table.add_row(str(number), who, post, engagement)
    return table


def _trim(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
