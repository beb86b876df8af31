"""Block Kit views: pure functions from data to Slack messages (no I/O, no Slack client).

Untrusted text is escaped in exactly one function, :func:`bot.views.text.escape`; limits
live in :mod:`bot.views.limits`.
"""
