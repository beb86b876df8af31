"""The App Home tab: a person's own lead desk — what they claimed, what they searched, where.

Published with ``views.publish`` whenever they open the tab (and after they release a lead
from it). Within Slack's 100-block limit whatever they have: claims past the first
:data:`CLAIMS_SHOWN` are counted, not listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.desk import Claim
from bot.views.blocks import Block, context, divider, plain_text, section
from bot.views.limits import AUTHOR_NAME_MAX
from bot.views.text import channel_link, clip, link, one_line, slack_date
from shared.state.records import SearchRecord

__all__ = ["CLAIMS_SHOWN", "HOME_RELEASE", "HomeClaim", "home_view"]

HOME_RELEASE = "home_release"
"""The ``action_id`` of Release in the App Home (its value: the card's reference)."""
CLAIMS_SHOWN = 40
"""Claims listed one per block; the rest are counted (a home view holds 100 blocks)."""
SEARCHES_SHOWN = 10

HomeClaim = tuple[Claim, str | None]
"""A claim, and a permalink to its thread when known."""


def home_view(
    claims: Sequence[HomeClaim],
    searches: Sequence[SearchRecord],
    channels: Sequence[str],
    *,
    notice: str | None = None,
) -> dict[str, Any]:
    """The whole home view for one person; ``notice`` (view-built mrkdwn) goes on top."""
    blocks: list[Block] = [section("*Your lead desk* — what you claimed and searched with /leads.")]
    if notice:
        blocks.insert(0, section(f":information_source: {notice}"))
    blocks += [divider(), section(f"*Leads you claimed* ({len(claims)})")]
    if not claims:
        blocks.append(context("Nothing yet: click *Claim* on a lead card in a channel."))
    for claim, thread in claims[:CLAIMS_SHOWN]:
        blocks.append(_claim_row(claim, thread))
    if len(claims) > CLAIMS_SHOWN:
        blocks.append(context(f"…and {len(claims) - CLAIMS_SHOWN} more, newest first above."))
    blocks += [divider(), section("*Your recent searches*")]
    if searches:
        lines = [_search_line(search) for search in searches[:SEARCHES_SHOWN]]
        blocks.append(section("\n".join(lines)))
    else:
        blocks.append(
            context("None yet: try `/leads CTOs at fintech companies discussing cloud migration`.")
        )
    if channels:
        blocks += [divider(), section("*Channels where you use Leads*")]
        blocks.append(context(" · ".join(channel_link(c) for c in channels[:50])))
    return {"type": "home", "blocks": blocks}


def _claim_row(claim: Claim, thread: str | None) -> Block:
    name = clip(one_line(claim.name), AUTHOR_NAME_MAX)
    where = link(thread, "thread") if thread else "its thread"
    when = slack_date(datetime.fromtimestamp(claim.at, UTC))
    row = section(f"*{name}* · {channel_link(claim.channel_id)} · {where} · claimed {when}")
    row["accessory"] = {
        "type": "button",
        "text": plain_text("Release"),
        "action_id": HOME_RELEASE,
        "value": claim.ref,
    }
    return row


def _search_line(search: SearchRecord) -> str:
    described = clip(one_line(search.description), 90) or "(a search)"
    where = f" · {channel_link(search.origin.channel_id)}" if search.origin.channel_id else ""
    state = (
        search.status.value
        if not search.is_terminal
        else (
            f"{search.results_count} leads"
            if search.results_count is not None
            else search.status.value
        )
    )
    return f"• {described} — {state}{where} · {slack_date(search.created_at)}"
