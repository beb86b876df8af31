"""The Leads Slack bot: ``/leads`` with live progress, threaded lead cards and a callback receiver."""
