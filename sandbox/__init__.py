"""Local stand-ins for the Person Leads API and the Slack Web API (tests, demo, development)."""
