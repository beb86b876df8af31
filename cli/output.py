"""Rendering search results and watches for people (a table) and for programs (JSON, JSON
lines, CSV).

Everything a search brings back (post text, names, headlines, links, platform, error text)
comes from strangers on social media or from the API, and the description from whoever
typed it. The table shows it through the product's text policy (:mod:`shared.untrusted`),
so no escape sequence, hyperlink, bidi override or zero-width character reaches a terminal,
and shows only links that pass :func:`shared.untrusted.safe_url`. JSON keeps the exact data
but writes every character the policy hides as a ``\\uXXXX`` escape, so none is ever raw on
stdout. CSV cells go through :func:`shared.untrusted.csv_cell`: cleaned, and defused when a
spreadsheet would run them as a formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from shared.models import Lead
from shared.state.records import SearchRecord
from shared.untrusted import clean, csv_cell, is_hidden, one_line, safe_url
from shared.watch.store import Watch

__all__ = ["OutputFormat", "render", "render_watches", "search_summary", "watch_row"]

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


def _json(value: object, *, indent: int | None = None) -> str:
    """``value`` as JSON that parses back to the same data, with no hidden character raw.

    ``json.dumps`` escapes C0 controls in strings; every other character the text policy
    hides (:func:`shared.untrusted.is_hidden`: C1 controls, bidi and zero-width characters,
    private use, U+2028/U+2029, stray variation selectors…) is written as ``\\uXXXX`` too
    (two escapes, a surrogate pair, above U+FFFF). A raw newline left is JSON's own layout.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    out: list[str] = []
    previous = ""
    for char in text:
        out.append(_json_escape(char) if char != "\n" and is_hidden(char, previous) else char)
        previous = char
    return "".join(out)


def _json_escape(char: str) -> str:
    units = char.encode("utf-16-be", "surrogatepass")
    return "".join(
        f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2)
    )


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
            writer.writerow({key: csv_cell(value) for key, value in lead_row(lead).items()})
        return buffer.getvalue().rstrip("\n")
    console.print(_table(record, leads))
    return None


def _table(record: SearchRecord, leads: Sequence[Lead]) -> Table:
    source = " (sandbox: synthetic data)" if record.sandbox else ""
    table = Table(
        title=Text(f"{len(leads)} leads for “{one_line(record.description)}”{source}"),
        show_lines=True,
        expand=True,
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Who", ratio=2)
    table.add_column("Post", ratio=5)
    table.add_column("Engagement", no_wrap=True)
    for number, lead in enumerate(leads, 1):
        # One line for each field: the cell's own line breaks say where the next one starts.
        name = one_line(lead.author.name) or one_line(lead.author.username) or "?"
        who = Text(name, style="bold")
        headline = one_line(lead.author.headline)
        if headline:
            who.append("\n" + headline, style="dim")
        who.append("\n" + one_line(lead.platform))
        if lead.post_date:
            who.append(f" · {lead.post_date:%Y-%m-%d}")
        post = Text(_trim(lead.post_content, 280))
        post_url = safe_url(lead.post_url)
        if post_url is not None:
            post.append("\n" + post_url, style="cyan")
        engagement = Text(
            f"♥ {lead.engagement.likes}\n💬 {lead.engagement.comments}\n↻ {lead.engagement.shares}"
        )
        table.add_row(str(number), who, post, engagement)
    return table


def _trim(text: str, limit: int) -> str:
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _when(at: float | None) -> str | None:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds") if at else None


def watch_row(watch: Watch, credits: int) -> dict[str, Any]:
    """A watch's facts, as data: one JSON object, CSV row or table row."""
    last = watch.last
    return {
        "watch_id": watch.watch_id,
        "description": watch.description,
        "schedule": watch.schedule,
        "channel_id": watch.origin.channel_id,
        "paused": watch.paused,
        "pause_reason": watch.pause_reason or None,
        "next_run_at": _when(watch.next_at),
        "last_run_at": _when(last.at) if last else None,
        "last_run": last.status if last else None,
        "last_new": last.new if last else 0,
        "last_seen": last.seen if last else 0,
        "credits_30_days": credits,
    }


def render_watches(
    fmt: OutputFormat, rows: Sequence[dict[str, Any]], console: Console
) -> str | None:
    """The text to print on stdout for ``fmt`` (the table is printed on ``console``).

    A description was typed by someone, maybe not the reader: it goes out as search results
    do, exact but with every hidden character escaped in JSON, through
    :func:`shared.untrusted.csv_cell` in CSV, and cleaned in the table.
    """
    if fmt is OutputFormat.JSON:
        return _json(list(rows), indent=2)
    if fmt is OutputFormat.JSONL:
        return "\n".join(_json(row) for row in rows)
    if fmt is OutputFormat.CSV:
        buffer = io.StringIO()
        fields = list(rows[0]) if rows else ["watch_id"]
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: csv_cell(value) for key, value in row.items()})
        return buffer.getvalue().rstrip("\n")
    table = Table(title=f"{len(rows)} watches")
    for column in ("ID", "Schedule", "Description", "Where", "Next run", "Last run"):
        table.add_column(column)
    table.add_column("Credits (30 d)")
    for row in rows:
        last = row["last_run"] or "not run yet"
        if row["last_run"] in ("found", "nothing_new"):
            last = f"{row['last_new']} new, {row['last_seen']} seen ({row['last_run_at']})"
        table.add_row(
            row["watch_id"],
            row["schedule"],
            Text(one_line(row["description"])),
            Text(one_line(row["channel_id"] or "get_new_leads")),
            "paused" if row["paused"] else str(row["next_run_at"]),
            Text(clean(str(last))),
            str(row["credits_30_days"]),
        )
    console.print(table)
    return None
