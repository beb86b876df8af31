"""Small wording helpers: counts, durations, platform names. Pure and escape-safe."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from bot.views.limits import PLATFORM_MAX
from bot.views.text import clip, one_line

__all__ = ["duration", "per_platform", "platform_name", "plural"]

_PLATFORMS = {
    "linkedin": "LinkedIn",
    "twitter": "Twitter",
    "x": "X",
    "reddit": "Reddit",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "github": "GitHub",
    "hackernews": "Hacker News",
    "medium": "Medium",
    "substack": "Substack",
    "threads": "Threads",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
}


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``1 lead``, ``25 leads``, ``1,204 likes``."""
    word = noun if count == 1 else (plural_noun or f"{noun}s")
    return f"{count:,} {word}"


def duration(seconds: float) -> str:
    """``0.6 s``, ``42 s``, ``1 min 45 s``, ``2 h 5 min``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def platform_name(platform: str) -> str:
    """A platform as people write it (escaped: the API's value is untrusted)."""
    shown = one_line(platform)
    known = _PLATFORMS.get(shown.lower())
    if known is not None:
        return known
    return clip(shown or "unknown", PLATFORM_MAX)


def per_platform(platforms: Iterable[str]) -> str:
    """``14 on LinkedIn · 11 on Twitter``, most first, ties in first-seen order."""
    counts = Counter(platform_name(p) for p in platforms)
    return " · ".join(f"{count:,} on {name}" for name, count in counts.most_common())
