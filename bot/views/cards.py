"""One lead as a card: who (linked), their headline, the post (trimmed, linked), engagement —
and the team desk's state and actions on it.

A card keeps three blocks whatever the desk adds: the author section carries the **Claim**
(or **Release**) button as its accessory, the post section an overflow menu to mark the lead
**Not relevant** (with an optional reason), and the context line says who claimed it and
where it was shared before. A lead marked not relevant collapses to one section with
**Undo**. Every action carries the card's reference (``<delivery_id>|<position>``), which
any replica can resolve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.desk import REASONS, DeskState, SharedBefore
from bot.views.blocks import Block, context, plain_text, section
from bot.views.formatting import platform_name, plural
from bot.views.limits import AUTHOR_NAME_MAX, HEADLINE_MAX, POST_EXCERPT_MAX
from bot.views.text import ELLIPSIS, clip, escape, link, mention, one_line, safe_url, slack_date
from shared.models import Lead

__all__ = [
    "CLAIM",
    "DISMISS",
    "RELEASE",
    "UNDO",
    "CardDesk",
    "author_name",
    "lead_card",
]

CLAIM, RELEASE, DISMISS, UNDO = "lead_claim", "lead_release", "lead_dismiss", "lead_undo"
"""The ``action_id``s of a card's actions."""

_AGO = "{ago}"
"""Slack's relative date token: each reader sees "3 minutes ago", "3 days ago"…"""


@dataclass(frozen=True)
class CardDesk:
    """What the team desk adds to one card."""

    ref: str
    """``<delivery_id>|<position>``: the card, for its actions."""
    state: DeskState = field(default_factory=DeskState)
    shared: SharedBefore | None = None
    timed: bool = True
    """Say when it was claimed or dismissed (left out when a reply must save room)."""


def lead_card(lead: Lead, desk: CardDesk | None = None) -> list[Block]:
    """Three blocks: author and headline, the post excerpt, then platform/date/engagement.

    Every field is untrusted and may be missing; each section stays under ~2,500
    characters whatever the input (see ``limits``). With ``desk``, the card carries its
    actions and desk state; dismissed, it is one section with Undo.
    """
    if desk is not None and desk.state.muted:
        return [_dismissed(lead, desk)]
    author, post = section(_author_line(lead)), section(_post(lead))
    facts = _facts(lead)
    if desk is not None:
        author["accessory"] = _claim_button(desk)
        post["accessory"] = _dismiss_menu(desk.ref)
        facts = " · ".join([facts, *_desk_notes(desk)])
    return [author, post, context(facts)]


def author_name(lead: Lead) -> str:
    """The author's name (raw), or their handle, or a placeholder."""
    author = lead.author
    return author.name or (f"@{author.username}" if author.username else "Unknown author")


def _author_line(lead: Lead) -> str:
    line = f"*{link(lead.author.profile_url, one_line(author_name(lead)), limit=AUTHOR_NAME_MAX)}*"
    if lead.author.headline and lead.author.headline.strip():
        line += f"\n{clip(one_line(lead.author.headline), HEADLINE_MAX)}"
    return line


def _post(lead: Lead) -> str:
    text = one_line(lead.post_content)
    excerpt = clip(text, POST_EXCERPT_MAX)
    lines = [f">{excerpt}"] if excerpt else []
    if safe_url(lead.post_url) is not None:
        trimmed = excerpt.endswith(ELLIPSIS) and excerpt != escape(text)
        lines.append(link(lead.post_url, "Read the full post" if trimmed else "Open the post"))
    return "\n".join(lines) or "_(no text)_"


def _facts(lead: Lead) -> str:
    facts = [platform_name(lead.platform)]
    if lead.post_date is not None:
        facts.append(slack_date(lead.post_date))
    engagement = lead.engagement
    facts.append(
        " · ".join(
            (
                plural(engagement.likes, "like"),
                plural(engagement.comments, "comment"),
                plural(engagement.shares, "share"),
            )
        )
    )
    return " · ".join(facts)


def _when(timestamp: float | None, *, timed: bool) -> str:
    """`` · <when>`` in each reader's time zone, or nothing when not ``timed``."""
    if timestamp is None or not timed:
        return ""
    when = datetime.fromtimestamp(timestamp, UTC)
    return " · " + slack_date(when, "{date_short_pretty} {time}")


def _desk_notes(desk: CardDesk) -> list[str]:
    notes = []
    state = desk.state
    if state.claimed_by:
        who = mention(state.claimed_by)
        notes.append(f"*Claimed by {who}*{_when(state.claimed_at, timed=desk.timed)}")
    if desk.shared is not None:
        notes.append(f":repeat: shared {_shared_date(desk.shared)}")
    return notes


def _shared_date(shared: SharedBefore) -> str:
    """How long ago a lead was first shared here ("3 days ago"), linked to that thread when
    there is a link; clients that can't render it show the date.

    Slack's ``{ago}`` token renders a relative time in each reader's client. Its date
    syntax carries the link itself (``<!date^ts^format^url|fallback>``): one link, not a
    date and a second one, as every character counts toward the reply's cap.
    """
    when = datetime.fromtimestamp(shared.at, UTC)
    target = safe_url(shared.link)
    if target is None:
        return slack_date(when, _AGO)
    return f"<!date^{int(shared.at)}^{_AGO}^{target}|{when:%Y-%m-%d}>"


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": plain_text(text),
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _claim_button(desk: CardDesk) -> Block:
    if desk.state.claimed_by:
        return _button("Release", RELEASE, desk.ref)
    return _button("Claim", CLAIM, desk.ref, style="primary")


def _dismiss_menu(ref: str) -> Block:
    """Not relevant, with each reason of the fixed list (an overflow holds five options)."""
    # Short labels: every character of a card counts toward Slack's per-message cap.
    options = [
        {"text": plain_text(words.capitalize()), "value": f"{ref}|{code}"}
        for code, words in REASONS.items()
    ]
    return {"type": "overflow", "action_id": DISMISS, "options": options}


def _dismissed(lead: Lead, desk: CardDesk) -> Block:
    state = desk.state
    name = clip(one_line(author_name(lead)), AUTHOR_NAME_MAX)
    reason = REASONS.get(state.reason, REASONS[""])
    by = mention(state.dismissed_by) if state.dismissed_by else "someone"
    when = _when(state.dismissed_at, timed=desk.timed)
    line = f":no_entry_sign: ~{name}~ — {reason}, marked by {by}{when}"
    block = section(line + "\n_Muted in this channel's next results._")
    block["accessory"] = _button("Undo", UNDO, desk.ref)
    return block
