"""One lead as a card: who (linked), their headline, the post (trimmed, linked), engagement."""

from __future__ import annotations

from bot.views.blocks import Block, context, section
from bot.views.formatting import platform_name, plural
from bot.views.limits import AUTHOR_NAME_MAX, HEADLINE_MAX, POST_EXCERPT_MAX
from bot.views.text import ELLIPSIS, clip, escape, link, one_line, safe_url, slack_date
from shared.models import Lead

__all__ = ["lead_card"]


def lead_card(lead: Lead) -> list[Block]:
    """Three blocks: author and headline, the post excerpt, then platform/date/engagement.

    Every field is untrusted and may be missing; each section stays under ~2,500
    characters whatever the input (see ``limits``).
    """
    return [section(_author_line(lead)), section(_post(lead)), context(_facts(lead))]


def _author_line(lead: Lead) -> str:
    author = lead.author
    name = author.name or (f"@{author.username}" if author.username else "Unknown author")
    line = f"*{link(author.profile_url, one_line(name), limit=AUTHOR_NAME_MAX)}*"
    if author.headline and author.headline.strip():
        line += f"\n{clip(one_line(author.headline), HEADLINE_MAX)}"
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
