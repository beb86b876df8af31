"""The watch views are pure: Slack would accept them, whatever the descriptions and reasons."""

from __future__ import annotations

import dataclasses

from bot.views.watches import (
    LIST_SHOWN,
    WATCH_RUN_NOW,
    run_line,
    watch_created,
    watch_list,
    watch_paused,
    watch_posting,
)
from shared.state.records import Origin
from shared.watch.store import LastRun, Watch, WatchBudget
from tests.bot.support import message_text
from tests.bot.views.test_messages import assert_sendable

EVIL = "<!channel> ping <@U123> *bold* &amp; <https://evil.example|click> " + "x" * 2000
ORIGIN = Origin(front="slack", team_id="T1", channel_id="C1", user_id="U0ALICE")


def watch(n: int, **changes: object) -> Watch:
    base = Watch(
        watch_id=f"w{n:08x}",
        description=EVIL,
        schedule="hourly",
        origin=ORIGIN,
        created_at=1_800_000_000.0 + n,
        next_at=1_800_003_600.0,
        last=LastRun(1_800_000_100.0, "failed", note=EVIL),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_the_card_and_the_run_parent_escape_the_description() -> None:
    card = watch_created(watch(1), WatchBudget())
    assert_sendable(card)
    assert "each run costs at most 10 API requests and 1 credit" in message_text(card.as_args())
    posting = watch_posting(watch(1), run_line(4, 21))
    assert_sendable(posting)
    assert "4 new people · 21 seen before" in message_text(posting.as_args())
    assert run_line(1, 1) == "1 new person · 1 seen before"
    assert_sendable(watch_paused(watch(1), EVIL))


def test_a_full_channel_list_stays_inside_slacks_limits() -> None:
    many = [watch(n, paused=n % 2 == 0, pause_reason=EVIL) for n in range(LIST_SHOWN + 2)]
    listed = watch_list(many, {w.watch_id: 12 for w in many}, cap=20)
    assert_sendable(listed)
    text = message_text(listed.as_args())
    assert "2 newer watches not shown" in text
    buttons = [
        element["action_id"]
        for block in listed.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert buttons.count(WATCH_RUN_NOW) == LIST_SHOWN
    assert {"watch_pause", "watch_resume", "watch_delete"} <= set(buttons)


def test_an_empty_list_says_how_to_start() -> None:
    empty = watch_list([], {}, cap=20)
    assert_sendable(empty)
    assert (
        "/leads watch &lt;hourly|daily|weekly&gt; &lt;description&gt;"
        in empty.blocks[0]["text"]["text"]
    )
