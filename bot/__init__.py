"""The Leads Slack bot: ``/leads`` with live progress, lead cards in threads, callbacks."""
