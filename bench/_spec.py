"""The Person Leads API spec's example descriptions: realistic input for every benchmark."""

__all__ = ["SPEC_DESCRIPTIONS"]

SPEC_DESCRIPTIONS = (
    "Marketing directors at SaaS companies who are interested in AI tools",
    "Startup founders discussing fundraising or looking for investors",
    "HR professionals talking about employee engagement software",
    "Real estate agents in California looking for CRM solutions",
    "CTOs at fintech companies discussing cloud migration",
)
