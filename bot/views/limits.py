"""Slack's message limits and the budgets the views keep under them, in one place.

Slack's published Block Kit limits (docs.slack.dev/reference/block-kit): 50 blocks a
message, 3000 characters in a section's text, 3000 in a context element's. Beyond those,
``chat.postMessage`` refuses a message whose blocks hold more than roughly 12,000
characters of text in all (``msg_blocks_too_long``; undocumented, measured at 11.3k–13.3k
in bolt-js#2509 and #2867), so the packer budgets 11,000 to stay clear of it.

Lengths are of the text *as sent*: escaped (``&`` is five characters on the wire) and with
link markup, URLs included.
"""

from __future__ import annotations

MAX_BLOCKS = 50
"""Blocks in one message."""
SECTION_TEXT_MAX = 3000
"""Characters in a section's text object."""
CONTEXT_TEXT_MAX = 3000
"""Characters in one context element."""
MESSAGE_TEXT_BUDGET = 11_000
"""Characters of block text the packer puts in one message (Slack refuses ~12k)."""
FALLBACK_TEXT_MAX = 300
"""Characters of a message's top-level ``text`` (notifications and screen readers)."""

# What one lead card may use, so that its sections stay far inside SECTION_TEXT_MAX.
AUTHOR_NAME_MAX = 150
HEADLINE_MAX = 300
PLATFORM_MAX = 40
POST_EXCERPT_MAX = 700
"""Characters of a post shown on its card; the rest is one click away."""
URL_MAX = 1000
"""Longer URLs are not linked (real profile and post URLs are far shorter)."""

# The parent message and other surfaces.
DESCRIPTION_SHOWN_MAX = 600
"""Characters of a description echoed in a message (it may be 2000 long)."""
ERROR_SHOWN_MAX = 500
"""Characters of an API error reason shown to people."""
