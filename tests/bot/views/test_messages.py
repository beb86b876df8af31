"""Every message the bot builds, checked with the stand-in's Block Kit validator.

Leads here are the worst the API could send (huge posts made of ``&<>``, control sequences
in names, long URLs) and real ones from the sandbox corpus.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.deliveries import SlackRequest
from bot.views.blocks import SlackMessage, block_text_length
from bot.views.cards import lead_card
from bot.views.help import help_message
from bot.views.notices import (
    api_refused,
    budget_exhausted,
    credentials_refused,
    database_down,
    invalid_description,
    not_in_channel,
)
from bot.views.parent import (
    DeskCounts,
    ParentHeader,
    parent_not_started,
    parent_progress,
    parent_summary,
    parent_waiting,
    same_phase,
)
from bot.views.status import status_invalid_id, status_message, status_unknown
from bot.views.thread import pack, thread_replies
from sandbox.api.engine import load_default_engine, project_lead
from sandbox.slack import MESSAGE_BLOCKS_TEXT_MAX, validate_blocks
from sandbox.slack import blocks_text_length as slack_count
from sandbox.slack.mrkdwn import CONTROL
from shared.models import Author, Engagement, Lead
from shared.state.records import SearchRecord, SearchState
from tests.bot.support import (
    DESCRIPTION,
    control_sequences,
    message_text,
    one_result_description,
)

NOW = datetime(2026, 1, 14, 15, 30, tzinfo=UTC)
ORIGIN = SlackRequest(team_id="T1", channel_id="C0LEADS", user_id="U0ALICE").origin
EVIL = "<!channel> <!here> <@U123> <#C123> <!subteam^S1> <https://x.example|y> & <b> >"


def evil_lead(n: int = 0, *, post_length: int = 20_000) -> Lead:
    return Lead(
        platform="<!here>linkedin" + "&" * 100,
        post_url=f"https://x.example/post/{n}?a=1&b=<!channel>|" + "&" * 150,
        post_content=(EVIL * (post_length // len(EVIL) + 1))[:post_length],
        post_date=NOW - timedelta(days=n),
        author=Author(
            name=EVIL * 10,
            username="<@U999>",
            profile_url="javascript:alert(1)",
            headline=EVIL * 20,
        ),
        engagement=Engagement(likes=10**9, comments=12_345, shares=1),
    )


def plain_lead(n: int = 0) -> Lead:
    return Lead(
        platform="twitter",
        post_url=f"https://twitter.example/a/status/{n}",
        post_content="Short post.",
        author=Author(name=f"Person {n}", profile_url=f"https://twitter.example/p{n}"),
    )


def corpus_leads(description: str) -> list[Lead]:
    return [Lead.model_validate(project_lead(r)) for r in load_default_engine().search(description)]


def search(
    status: SearchState = SearchState.COMPLETED,
    *,
    count: int | None = None,
    error: str | None = None,
    description: str = "CTOs & <b>founders</b> <!channel>",
) -> SearchRecord:
    return SearchRecord(
        request_id="ab" * 32,
        description=description,
        origin=ORIGIN,
        status=status,
        created_at=NOW - timedelta(seconds=105),
        completed_at=NOW if status.is_terminal else None,
        results_count=count,
        error=error,
        sandbox=True,
    )


ALLOWED_CONTROL = ("@U0ALICE", "!date^", "#C0LEADS", "https://", "http://")


def assert_sendable(message: SlackMessage) -> None:
    """Slack would accept it, and nothing in it pings or links but what we meant."""
    assert validate_blocks(message.blocks) == []
    assert len(message.blocks) <= 50
    assert slack_count(message.blocks) == block_text_length(message.blocks)
    assert slack_count(message.blocks) <= MESSAGE_BLOCKS_TEXT_MAX
    for sequence in control_sequences(message_text(message.as_args())):
        assert sequence.startswith(ALLOWED_CONTROL), sequence
        assert not sequence.startswith(("!channel", "!here", "@U123", "#C123", "!subteam")), (
            sequence
        )


def test_every_card_stays_inside_the_limits_whatever_the_lead() -> None:
    card = lead_card(evil_lead())
    assert validate_blocks(card) == []
    for block in card:
        assert slack_count([block]) < 3000
    text = message_text({"blocks": card})
    # The only live sequences: the post's link (URL percent-encoded) and the date. The
    # javascript: profile URL is not linked; every control sequence in the text is inert.
    links = [s for s in control_sequences(text) if not s.startswith("!date^")]
    assert len(links) == 1
    url, label = links[0].split("|")
    assert url.startswith("https://x.example/post/0?a=1&amp;b=%3C!channel%3E%7C")
    assert label == "Read the full post"
    assert "javascript" not in "".join(control_sequences(text))


def test_a_card_says_who_what_where_when_and_the_engagement() -> None:
    lead = Lead(
        platform="linkedin",
        post_url="https://linkedin.example/feed/update/1",
        post_content="Moving our core banking to the cloud.\n\n#fintech",
        post_date=NOW,
        author=Author(
            name="Ada Example",
            profile_url="https://linkedin.example/in/ada",
            headline="CTO at Ledgerly",
        ),
        engagement=Engagement(likes=1234, comments=5, shares=1),
    )
    text = message_text({"blocks": lead_card(lead)})
    assert "*<https://linkedin.example/in/ada|Ada Example>*" in text
    assert "CTO at Ledgerly" in text
    assert ">Moving our core banking to the cloud. #fintech" in text
    assert "<https://linkedin.example/feed/update/1|Open the post>" in text
    assert "LinkedIn" in text
    assert f"<!date^{int(NOW.timestamp())}^" in text
    assert "1,234 likes · 5 comments · 1 share" in text


def test_a_long_post_is_trimmed_with_a_link_to_all_of_it() -> None:
    lead = plain_lead().model_copy(update={"post_content": "word " * 1000})
    text = message_text({"blocks": lead_card(lead)})
    assert "…\n<https://twitter.example/a/status/0|Read the full post>" in text


def test_missing_fields_still_make_a_card() -> None:
    card = lead_card(Lead())
    assert validate_blocks(card) == []
    assert "Unknown author" in message_text({"blocks": card})


@pytest.mark.parametrize("count", [1, 2, 16, 17, 25, 100])
def test_packing_keeps_order_and_fills_each_message(count: int) -> None:
    leads = [plain_lead(n) for n in range(count)]
    messages = thread_replies(search(count=count), leads, "U0ALICE")
    for message in messages:
        assert_sendable(message)
    shown = "\n".join(message_text(m.as_args()) for m in messages)
    positions = [shown.index(f"status/{n}|") for n in range(count)]
    assert positions == sorted(positions)
    # Short cards: the 50-block limit binds (16 cards + a heading per message).
    assert len(messages) == -(-count // 16)
    assert "<@U0ALICE>" in messages[0].text


@pytest.mark.parametrize("count", [1, 25])
def test_the_longest_posts_still_fit(count: int) -> None:
    leads = [evil_lead(n) for n in range(count)]
    messages = thread_replies(search(count=count), leads, "U0ALICE")
    for message in messages:
        assert_sendable(message)
    assert sum(len(m.blocks) - 1 for m in messages) == 3 * count


@pytest.mark.parametrize("results", [1, 25])
def test_real_results_fit_in_as_few_messages_as_the_limits_allow(results: int) -> None:
    description = DESCRIPTION if results == 25 else one_result_description()
    leads = corpus_leads(description)
    assert len(leads) == results
    assert leads
    messages = thread_replies(search(count=len(leads)), leads, "U0ALICE")
    for message in messages:
        assert_sendable(message)
    # Fewest messages: no two neighbours could have been one.
    groups = pack([lead_card(lead) for lead in leads])
    assert len(groups) == len(messages)
    for first, second in itertools.pairwise(groups):
        merged = [*first, second[0]]
        blocks = sum(len(card) for card in merged)
        text = sum(block_text_length(card) for card in merged)
        assert blocks > 49 or text > 11_000 - 400


def test_pack_puts_an_oversized_card_alone_rather_than_dropping_it() -> None:
    big: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 50}}]
    assert pack([big, big, big], max_blocks=10, max_text=60) == [[big], [big], [big]]


def test_outcomes_without_leads_are_explained_in_the_thread() -> None:
    (none,) = thread_replies(search(count=0), [], "U0ALICE")
    assert "No leads found" in none.text
    assert "no credit was spent" in none.text
    (failed,) = thread_replies(
        search(SearchState.FAILED, error="Upstream <!channel> broke & died"), [], "U0ALICE"
    )
    assert "Upstream &lt;!channel&gt; broke &amp; died" in message_text(failed.as_args())
    (expired,) = thread_replies(
        search(SearchState.EXPIRED, error="No result after 30 minutes."), [], "U0ALICE"
    )
    for message in (none, failed, expired):
        assert_sendable(message)
        assert "<@U0ALICE>" in message.text


def test_the_parent_goes_through_the_phases_then_sums_up() -> None:
    header = ParentHeader.of(search(), "U0ALICE")
    seen = []
    for state in (
        SearchState.QUEUED,
        SearchState.ANALYZING,
        SearchState.SEARCHING,
        SearchState.AGGREGATING,
    ):
        message = parent_progress(header, state)
        assert_sendable(message)
        seen.append(message_text(message.as_args()))
    assert "Queued" in seen[0]
    assert "step 2 of 4" in seen[1]
    assert "step 3 of 4" in seen[2]
    assert "step 4 of 4" in seen[3]
    leads = [plain_lead(n) for n in range(3)] + [evil_lead(9)]
    summary = parent_summary(header, search(count=4), leads, reused=False)
    assert_sendable(summary)
    text = message_text(summary.as_args())
    assert "*4 leads*" in text
    assert "3 on Twitter · 1 on" in text
    assert "took 1 min 45 s" in text
    assert "1 credit spent" in text
    assert "CTOs &amp; &lt;b&gt;founders&lt;/b&gt; &lt;!channel&gt;" in text
    reused = message_text(parent_summary(header, search(count=4), leads, reused=True).as_args())
    assert "no new credit" in reused


def test_the_summary_says_how_many_leads_were_left_out() -> None:
    header = ParentHeader.of(search(), "U0ALICE")
    leads = [plain_lead(n) for n in range(100)]
    summary = parent_summary(header, search(count=1000), leads, reused=False)
    assert_sendable(summary)
    text = message_text(summary.as_args())
    assert "*1,000 leads found* — the first 100 are in the thread (900 left out)" in text
    assert "1,000 leads found, the first 100 shown" in summary.text  # the notification
    # All of them kept: no word of leaving any out.
    whole = message_text(parent_summary(header, search(count=100), leads, reused=False).as_args())
    assert "*100 leads* —" in whole
    assert "left out" not in whole


def test_a_share_of_a_few_leads_counts_only_those() -> None:
    header = ParentHeader.of(search(), "", shared_by="Claude")
    chosen = [plain_lead(n) for n in range(3)]  # an assistant shared 3 of the 25
    counts = DeskCounts(new=3, shared_before=0, muted_hidden=0)
    summary = parent_summary(
        header, search(count=25), chosen, reused=True, desk=counts, chosen_from=25
    )
    assert_sendable(summary)
    text = message_text(summary.as_args())
    assert "*3 leads* chosen from the 25 found —" in text
    assert "3 on Twitter" in text
    assert "3 new · 0 shared before" in text
    assert "25 leads" not in text
    assert "left out" not in text
    assert "3 leads chosen from 25 found" in summary.text  # the notification


def test_pending_reads_as_queued_so_the_parent_is_not_edited_for_it() -> None:
    assert same_phase("queued", SearchState.PENDING)
    assert not same_phase("pending", SearchState.ANALYZING)
    assert not same_phase(None, SearchState.QUEUED)
    assert not same_phase("searching", SearchState.COMPLETED)


def test_parent_endings_without_leads() -> None:
    header = ParentHeader.of(search(), "U0ALICE")
    none = message_text(parent_summary(header, search(count=0), [], reused=False).as_args())
    assert "No leads found" in none
    assert "no credit was spent" in none
    failed = parent_summary(header, search(SearchState.FAILED, error="x"), [], reused=False)
    assert "failed" in message_text(failed.as_args())
    for reason in (
        credentials_refused(),
        budget_exhausted(NOW, 3600),
        api_refused("invalid_callback_url"),
        api_refused("<!channel>"),
    ):
        message = parent_not_started(header, reason)
        assert_sendable(message)
    assert "NYNE_API_KEY" in credentials_refused()
    assert "NYNE_API_SECRET" in credentials_refused()
    assert "PUBLIC_BASE_URL" in api_refused("invalid_callback_url")
    waiting = parent_waiting(header, NOW)
    assert_sendable(waiting)
    assert f"<!date^{int(NOW.timestamp())}^{{time_secs}}" in message_text(waiting.as_args())


def test_a_2000_character_description_is_echoed_within_limits() -> None:
    header = ParentHeader("U0ALICE", "&" * 2000, "ab" * 32, sandbox=False)
    message = parent_progress(header, SearchState.SEARCHING)
    assert_sendable(message)


def test_ephemeral_answers() -> None:
    short = invalid_description(4)
    assert "too short" in short.text
    assert "10–2,000 characters" in short.text
    assert "too long" in invalid_description(2001).text
    assert "/invite @Leads" in message_text(not_in_channel().as_args())
    assert "database" in database_down().text
    for message in (
        short,
        not_in_channel(),
        database_down(),
        help_message(),
        status_unknown(),
        status_invalid_id(),
    ):
        assert_sendable(message)


def test_status_of_a_search() -> None:
    leads = [plain_lead(n) for n in range(2)]
    done = status_message(search(count=2), leads)
    assert_sendable(done)
    text = message_text(done.as_args())
    assert "2 leads" in text
    assert "<@U0ALICE> in <#C0LEADS>" in text
    running = message_text(status_message(search(SearchState.SEARCHING), []).as_args())
    assert "step 3 of 4" in running
    failed = message_text(status_message(search(SearchState.FAILED, error="boom"), []).as_args())
    assert "failed: boom" in failed


def test_control_regex_agrees_with_the_stand_in() -> None:
    # Our helper and the stand-in's parser find the same sequences.
    text = "<@U1> and <https://x.example|y> and &lt;!here&gt;"
    assert len(control_sequences(text)) == len(CONTROL.findall(text)) == 2
