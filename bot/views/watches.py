"""Watches in Slack: the card a new watch gets, the channel's list with its buttons, the
parent of a run that found new people, and the notice of a watch paused after failures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from bot.views.blocks import Block, SlackMessage, context, plain_text, section
from bot.views.formatting import plural
from bot.views.text import clip, escape, mention, one_line, slack_date
from shared.watch.store import Watch, WatchBudget

__all__ = [
    "WATCH_ACTIONS",
    "WATCH_DELETE",
    "WATCH_PAUSE",
    "WATCH_RESUME",
    "WATCH_RUN_NOW",
    "run_line",
    "watch_created",
    "watch_deleted",
    "watch_list",
    "watch_notice",
    "watch_paused",
    "watch_posting",
]

WATCH_PAUSE = "watch_pause"
WATCH_RESUME = "watch_resume"
WATCH_RUN_NOW = "watch_run_now"
WATCH_DELETE = "watch_delete"
WATCH_ACTIONS = (WATCH_PAUSE, WATCH_RESUME, WATCH_RUN_NOW, WATCH_DELETE)
"""The ``action_id`` of the watch list's buttons; each button's value is the watch ID."""

_DESCRIPTION_MAX = 150
_NOTE_MAX = 100
LIST_SHOWN = 18
"""Watches shown in one list: two blocks and at most ~600 characters each keep a list
inside Slack's 50 blocks and 12,000 characters."""


def _when(at: float | None) -> str:
    return slack_date(datetime.fromtimestamp(at, UTC), "{date_short_pretty} {time}") if at else "—"


def _title(watch: Watch) -> str:
    return f"*{clip(one_line(watch.description), _DESCRIPTION_MAX)}*"


def run_line(new: int, seen: int) -> str:
    """What a run found: "4 new people · 21 seen before"."""
    return f"{plural(new, 'new person', 'new people')} · {seen:,} seen before"


def watch_created(watch: Watch, budget: WatchBudget) -> SlackMessage:
    """The answer to ``/leads watch``: ID, schedule, next run, the most a run costs."""
    text = (
        f":eyes: Watching {_title(watch)} {watch.schedule} for this channel.\n"
        f"ID `{watch.watch_id}` · next run {_when(watch.next_at)} · each run costs at most "
        f"{budget.requests_per_run} API requests and 1 credit (none when it finds nobody)."
    )
    hint = (
        "The first run posts what it finds; later runs post only people new to this "
        f"channel. `/leads watches` lists watches; `/leads unwatch {watch.watch_id}` "
        "stops this one."
    )
    return SlackMessage(
        f"Watching {clip(one_line(watch.description), 80)} {watch.schedule} (ID {watch.watch_id})",
        [section(text), context(hint)],
    )


def _last(watch: Watch) -> str:
    last = watch.last
    if last is None:
        return "not run yet"
    when = _when(last.at)
    match last.status:
        case "found":
            return f"{when}: {run_line(last.new, last.seen)}"
        case "nothing_new":
            return f"{when}: nobody new ({last.seen:,} seen before), nothing posted"
        case "failed":
            return f"{when}: failed — {clip(one_line(last.note), _NOTE_MAX)}"
        case _:
            return f"{when}: skipped (paused)"


def _buttons(watch: Watch) -> Block:
    toggle = (WATCH_RESUME, "Resume") if watch.paused else (WATCH_PAUSE, "Pause")
    elements = [
        {"type": "button", "text": plain_text(label), "action_id": action, "value": watch.watch_id}
        for action, label in (toggle, (WATCH_RUN_NOW, "Run now"))
    ]
    elements.append(
        {
            "type": "button",
            "text": plain_text("Delete"),
            "action_id": WATCH_DELETE,
            "value": watch.watch_id,
            "style": "danger",
            "confirm": {
                "title": plain_text("Delete this watch?"),
                "text": plain_text("It stops running. What it posted stays in the channel."),
                "confirm": plain_text("Delete"),
                "deny": plain_text("Keep it"),
            },
        }
    )
    return {"type": "actions", "elements": elements}


def watch_list(watches: Sequence[Watch], credits: Mapping[str, int], *, cap: int) -> SlackMessage:
    """The channel's watches, each with its schedule, runs, credits and buttons."""
    if not watches:
        return SlackMessage(
            "No watches in this channel yet.",
            [
                section(
                    ":eyes: No watches in this channel yet. Start one with "
                    f"`{escape('/leads watch <hourly|daily|weekly> <description>')}`."
                )
            ],
        )
    blocks: list[Block] = [section(f"*Watches in this channel* ({len(watches)} of {cap})")]
    for watch in watches[:LIST_SHOWN]:
        reason = clip(one_line(watch.pause_reason), _NOTE_MAX) or "by hand"
        state = (
            f":double_vertical_bar: paused — {reason}"
            if watch.paused
            else f"next run {_when(watch.next_at)}"
        )
        blocks += [
            section(
                f"{_title(watch)}\n`{watch.watch_id}` · {watch.schedule} · {state}\n"
                f"Last run: {_last(watch)}\n"
                f"Credits in the last 30 days: {credits.get(watch.watch_id, 0):,} · "
                f"made by {mention(watch.origin.user_id or '')}"
            ),
            _buttons(watch),
        ]
    if len(watches) > LIST_SHOWN:
        hidden = len(watches) - LIST_SHOWN
        blocks.append(
            context(f"{plural(hidden, 'newer watch', 'newer watches')} not shown: delete some.")
        )
    return SlackMessage(f"{plural(len(watches), 'watch', 'watches')} in this channel", blocks)


def watch_posting(watch: Watch, line: str) -> SlackMessage:
    """A run's parent for the moment before its cards are up (then it becomes the summary)."""
    text = f":eyes: Watch {_title(watch)}: {line}"
    return SlackMessage(
        f"Watch {clip(one_line(watch.description), 80)}: {line}",
        [section(text), context("Posting them in the thread… :thread:")],
    )


def watch_paused(watch: Watch, reason: str) -> SlackMessage:
    """Posted in the channel when failures pause a watch."""
    text = (
        f":double_vertical_bar: Watch {_title(watch)} (`{watch.watch_id}`) is paused: "
        f"{clip(one_line(reason), 300)}. Resume it from `/leads watches` once the cause is "
        "fixed."
    )
    return SlackMessage(f"Watch {watch.watch_id} is paused after failing", [section(text)])


def watch_deleted(watch: Watch) -> SlackMessage:
    """The answer to ``/leads unwatch`` or Delete."""
    return watch_notice(
        f":wastebasket: Deleted watch `{watch.watch_id}` ({_title(watch)}). "
        "What it posted stays in the channel."
    )


def watch_notice(text: str) -> SlackMessage:
    """A one-line answer about watches (``text`` is view-built mrkdwn)."""
    return SlackMessage(text, [section(text)])
