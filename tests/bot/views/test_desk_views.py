"""The team desk's views, as pure functions: card actions, states, the thread's plan."""

from __future__ import annotations

import csv
import io

from bot.desk import DeskState, SharedBefore
from bot.views.blocks import block_text_length
from bot.views.cards import CLAIM, DISMISS, RELEASE, UNDO, CardDesk, lead_card
from bot.views.export import CSV_COLUMNS, thread_csv
from bot.views.limits import MESSAGE_TEXT_BUDGET
from bot.views.parent import DeskCounts
from bot.views.thread import plan_thread
from sandbox.slack import validate_blocks
from shared.models import Author, Lead

REF = "a" * 64 + ":1|3"


def a_lead(i: int = 0, text: str = "We are moving our ledger to the cloud this quarter.") -> Lead:
    return Lead(
        platform="linkedin",
        post_url=f"https://linkedin.example/p/{i}",
        post_content=text,
        author=Author(name=f"Person {i}", profile_url=f"https://linkedin.example/in/p{i}"),
    )


def test_an_open_card_keeps_three_blocks_with_claim_and_not_relevant() -> None:
    card = lead_card(a_lead(), CardDesk(REF))
    assert len(card) == 3
    assert validate_blocks(card) == []
    claim, menu = card[0]["accessory"], card[1]["accessory"]
    assert (claim["action_id"], claim["value"], claim["text"]["text"]) == (CLAIM, REF, "Claim")
    assert menu["action_id"] == DISMISS
    labels = [option["text"]["text"] for option in menu["options"]]
    assert labels == ["Not relevant", "Wrong role", "Wrong topic", "Competitor", "Spam"]
    assert [o["value"] for o in menu["options"]][1] == f"{REF}|role"
    assert all(len(o["value"]) <= 150 for o in menu["options"])  # Slack's option value cap


def test_a_claimed_card_names_the_claimer_and_offers_release() -> None:
    state = DeskState(claimed_by="U0BOB", claimed_at=1_733_480_000.0)
    card = lead_card(a_lead(), CardDesk(REF, state))
    assert card[0]["accessory"]["action_id"] == RELEASE
    facts = card[2]["elements"][0]["text"]
    assert "*Claimed by <@U0BOB>* · <!date^1733480000^" in facts
    untimed = lead_card(a_lead(), CardDesk(REF, state, timed=False))[2]["elements"][0]["text"]
    assert "*Claimed by <@U0BOB>*" in untimed
    assert "1733480000" not in untimed


def test_a_dismissed_card_is_one_line_with_its_reason_and_undo() -> None:
    state = DeskState(dismissed_by="U0BOB", dismissed_at=1.0, reason="competitor")
    card = lead_card(a_lead(), CardDesk(REF, state))
    assert len(card) == 1
    assert validate_blocks(card) == []
    assert "~Person 0~ — competitor, marked by <@U0BOB>" in card[0]["text"]["text"]
    assert card[0]["accessory"]["action_id"] == UNDO


def test_a_hostile_claimer_id_cannot_ping_anyone() -> None:
    state = DeskState(claimed_by="<!channel>", claimed_at=None)
    facts = lead_card(a_lead(), CardDesk(REF, state))[2]["elements"][0]["text"]
    assert "<!channel>" not in facts
    assert "&lt;!channel&gt;" in facts


def test_a_shared_before_mark_says_how_long_ago_and_links_to_the_thread() -> None:
    shared = SharedBefore(
        1_733_480_000.0, "https://x.slack.com/archives/C1/p1733480000000100", "1.0"
    )
    facts = lead_card(a_lead(), CardDesk(REF, shared=shared))[2]["elements"][0]["text"]
    assert (
        ":repeat: shared <!date^1733480000^{ago}"
        "^https://x.slack.com/archives/C1/p1733480000000100|2024-12-06>"
    ) in facts
    unsafe = SharedBefore(1.0, "javascript:alert(1)", "1.0")
    unlinked = lead_card(a_lead(), CardDesk(REF, shared=unsafe))[2]["elements"][0]["text"]
    assert "javascript" not in unlinked
    assert ":repeat: shared <!date^1^{ago}|1970-01-01>" in unlinked  # no link, same words


def test_the_plan_leaves_muted_authors_out_and_keeps_the_order() -> None:
    leads = [a_lead(i) for i in range(5)]
    plan = plan_thread(leads, ref_prefix="d:1", muted=[False, True, False, True, False])
    assert plan.groups == [[0, 2, 4]]
    assert plan.hidden == 2
    assert plan.muted_authors == 2
    assert plan.reply_of(2) == 0
    assert plan.reply_of(1) is None


def test_the_plan_counts_muted_authors_not_their_posts() -> None:
    # Person 1 wrote three of the posts: one muted author, three leads left out.
    leads = [a_lead(0), a_lead(1), a_lead(2), a_lead(1), a_lead(1), a_lead(3)]
    leads[3] = leads[3].model_copy(update={"post_url": "https://linkedin.example/p/13"})
    leads[4] = leads[4].model_copy(update={"post_url": "https://linkedin.example/p/14"})
    muted = [False, True, False, True, True, True]
    plan = plan_thread(leads, ref_prefix="d:1", muted=muted)
    assert plan.groups == [[0, 2]]
    assert plan.hidden == 4
    assert plan.muted_authors == 2  # person 1 and person 3
    # A share of a few counts only the muted among those chosen.
    chosen = plan_thread(leads, ref_prefix="d:1", muted=muted, only={0, 1, 3})
    assert (chosen.groups, chosen.hidden, chosen.muted_authors) == ([[0]], 2, 1)
    assert DeskCounts(1, 0, chosen.muted_authors).line() == (
        "1 new · 0 shared before · 1 muted author hidden"
    )


def test_every_reply_fits_even_with_every_card_claimed() -> None:
    long = "cloud " * 400
    leads = [a_lead(i, long) for i in range(25)]
    plan = plan_thread(leads, ref_prefix="d" * 66)
    widest = DeskState(claimed_by="U0123456789AB", claimed_at=1_733_480_000.0)
    for group in plan.groups:
        cards = [lead_card(leads[i], CardDesk(f"d|{i}", widest, timed=False)) for i in group]
        assert sum(block_text_length(card) for card in cards) <= MESSAGE_TEXT_BUDGET
        assert sum(len(card) for card in cards) < 50


def test_the_summary_counts_new_shared_and_hidden() -> None:
    assert DeskCounts(18, 7, 2).line() == "18 new · 7 shared before · 2 muted authors hidden"
    assert DeskCounts(25, 0, 0).line() == "25 new · 0 shared before"


def test_the_csv_defuses_hostile_cells_and_keeps_the_data() -> None:
    hostile = Lead(
        platform="=cmd|' /C calc'!A0",
        post_url="https://x.example/p/1",
        post_content="\n  +SUM(A1:A9)\u202e",
        author=Author(name='＝HYPERLINK("http://evil")', headline="@attack"),
    )
    data = thread_csv([hostile], {}, {}, {0})
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(CSV_COLUMNS)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["platform"] == "'=cmd|' /C calc'!A0"
    assert row["post_content"] == "'\n  +SUM(A1:A9)"  # defused, bidi override dropped
    assert row["author_name"].startswith("'＝")
    assert row["author_headline"] == "'@attack"
    assert row["post_url"] == "https://x.example/p/1"


def test_the_csv_of_a_few_shared_leads_has_those_alone() -> None:
    # An assistant shared leads 1, 3 and 4 of 5; lead 3's author is muted here.
    leads = [a_lead(i) for i in range(5)]
    mark = SharedBefore(1_733_480_000.0, "https://x.slack.com/archives/C1/p1", "1.0")
    data = thread_csv(leads, {}, {0: mark}, {0, 3}, [0, 2, 3])
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row["position"] for row in rows] == ["1", "3", "4"]
    assert [row["in_thread"] for row in rows] == ["yes", "no (author muted here)", "yes"]
    assert rows[0]["shared_before_thread"] == "https://x.slack.com/archives/C1/p1"
    assert rows[0]["shared_before_at"] == "2024-12-06T10:13:20+00:00"


def test_marks_keep_their_links_for_the_export_when_the_cards_drop_them() -> None:
    # Every card marked with a link would cost the thread a reply: the cards go unlinked...
    leads = [a_lead(i, "cloud " * 88) for i in range(25)]  # 2 replies unlinked, 3 linked
    link = "https://x.slack.com/archives/C0LEADS/p1733480000000100"
    shared = [SharedBefore(1_733_480_000.0, link, "1.0")] * 25
    plan = plan_thread(leads, ref_prefix="d" * 66, shared=shared)
    assert not plan.linked
    assert plan.mark(0) == SharedBefore(1_733_480_000.0, None, "1.0")
    # ...but the plan keeps them: the CSV says where each lead was shared before.
    assert {mark.link for mark in plan.shared.values()} == {link}
    linked = plan_thread(leads[:2], ref_prefix="d:1", shared=shared[:2])
    assert linked.linked
    assert linked.mark(0) == shared[0]
