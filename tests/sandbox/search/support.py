"""Helpers for the search tests: building lead-shaped posts by hand."""

from __future__ import annotations

from itertools import count
from typing import Any

_ids = count(1)


def make_post(
    username: str,
    text: str,
    date: str = "2026-11-01T12:00:00Z",
    *,
    headline: str = "CTO at Ledgerly | Fintech",
) -> dict[str, Any]:
    """One post in the API's lead shape, on the synthetic domains."""
    post_id = next(_ids)
    return {
        "platform": "linkedin",
        "post_url": f"https://linkedin.example/feed/update/urn:li:activity:{post_id}",
        "post_content": text,
        "post_date": date,
        "author": {
            "name": username.title(),
            "username": username,
            "profile_url": f"https://linkedin.example/in/{username}",
            "headline": headline,
            "image_url": f"https://images.example/avatars/{username}.jpg",
        },
        "engagement": {"likes": 3, "comments": 1, "shares": 0},
    }
